r"""Escaping of user strings (network, layer and node names, titles) for LaTeX.

Every string that a user, a spec file or a model file chose and that reaches
LaTeX goes through :func:`tex_text` (text mode, comments included) or
:func:`tex_math_text` (inside math).  The result contains no character that
TeX reads as markup: the ten specials ``\ { } % # & _ $ ^ ~`` and ``< > |``
become commands that print them, characters that would form ligatures
(``--``, ``''``, ``,,``) are kept apart, and everything outside printable ASCII
(newlines, other control characters, Unicode) prints as its code point,
``[U+00E9]``.  So a name can neither end a ``%`` comment nor run a command
such as ``\input`` or ``\openout``, and pdflatex never stops on a character
its fonts lack.

>>> tex_text("conv_1 50% & more")
'conv\\_1 50\\% \\& more'
>>> tex_text("a--b")
'a-{}-{}b'
>>> tex_text("a\n\\input{/etc/hostname}")
'a{[}U+000A{]}\\textbackslash{}input\\{/etc/hostname\\}'
>>> tex_math_text("relu"), tex_math_text("my op")
('\\mathrm{relu}', '\\text{my op}')
"""

from __future__ import annotations

import re

__all__ = ["label_key", "tex_math_text", "tex_text", "tex_visible"]

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "#": r"\#",
    "&": r"\&",
    "_": r"\_",
    "$": r"\$",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    # ligatures: -- and --- (dashes), `` and '' (quotes), ,, << >> (T1), !` ?` (inverted marks)
    "-": "-{}",
    "'": r"\textquotesingle{}",
    "`": r"\textasciigrave{}",
    ",": ",{}",
    '"': r"{\ttfamily\char34}",  # \textquotedbl does not exist in the default OT1 encoding
    # after \\ (a table row, an align line) a leading [ or * would be read as its argument
    "[": "{[}",
    "]": "{]}",
    "*": "{*}",
}
_WORD = re.compile(r"[A-Za-z0-9]+")


def _code(ch: str) -> str:
    return "{[}U+%04X{]}" % ord(ch)


def tex_text(s: str) -> str:
    """``s`` as LaTeX text that prints ``s`` (see :func:`tex_visible`) and runs nothing."""
    out = []
    for ch in str(s):
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.append(_code(ch))
    return "".join(out)


def tex_visible(s: str) -> str:
    """The text that :func:`tex_text` makes LaTeX print: ``s`` with non-ASCII and control characters
    shown as ``[U+XXXX]``."""
    return "".join(ch if " " <= ch <= "~" else "[U+%04X]" % ord(ch) for ch in str(s))


def tex_math_text(s: str) -> str:
    """A name inside math: ``\\mathrm{relu}`` for a plain word, else ``\\text{…}`` (amsmath) escaped."""
    s = str(s)
    if _WORD.fullmatch(s):
        return r"\mathrm{%s}" % s
    return r"\text{%s}" % tex_text(s)


def label_key(s: str) -> str:
    """A ``\\label`` key made from a name: ASCII letters and digits, everything else ``-``."""
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in str(s)) or "-"
