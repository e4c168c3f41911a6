r"""The settings of rfsym's LaTeX printer, their checks, and the private symbols it recognises.

Settings (unknown ones raise :class:`~rfsym.RfsymError`), besides sympy's own:

``notation``
    ``"subscript"`` (``k_{\ell}``, default) or ``"superscript"`` (``k^{(\ell)}``).
``names``
    LaTeX names of the quantities, e.g. ``{"r": "R", "start": "c"}``; keys
    ``n, j, r, start, P, k, s, p, d, kappa, N`` and ``L`` (the output's index:
    the number of layers; ``\mathrm{out}`` when the network has a symbol ``L``).
``index``
    the layer index, ``\ell`` by default.
``index_base``
    1 (layers ``1..L`` map state ``\ell-1`` to ``\ell``; default) or 0 (layers
    ``0..L-1`` map state ``\ell`` to ``\ell+1``).  The input state is always 0.
``environment``
    ``None`` (bare), ``"inline"``, ``"equation"``, ``"equation*"``, ``"align"``
    or ``"align*"``.
``label``
    a ``\label`` key; for several relations ``<label>:<quantity>`` per line.
``floor_style``
    ``"auto"`` (``\left\lfloor … \right\rfloor``, default), ``"fixed"``
    (``\lfloor … \rfloor``) or ``"function"`` (``\operatorname{floor}(…)``).
``intertext``
    explanations between the lines of a derivation (``\intertext``; default True).
``compact_threshold``
    networks with more layers than this print sums and products (``\sum``,
    ``\prod``) instead of term-by-term expansions (default 12).
``quantities``
    which of ``n, j, r, start, P`` to print (default all).
``pass_through``
    show pass-through layers (activations, normalisation, dropout: they change
    no value) as table rows and count them in layer indices (default False:
    hidden, as a paper would print the network).
``numbers``
    ``"decimal"`` (default: a number with a finite decimal expansion prints as
    a decimal, ``5.5``, in tables and equations alike) or ``"exact"`` (a
    fraction, ``\frac{11}{2}``; ``11/2`` in tables).  Coefficients inside
    symbolic expressions are always exact.
``units``
    physical units (:func:`rfsym.printing.units.parse_units`: a sample rate or a
    pixel spacing): numeric r, j and start also print in ms, mm, … (default None).
``long_forms``
    how expressions are ordered: ``"auto"`` (default), ``"canonical"`` or
    ``"as built"``.  ``"canonical"`` sorts terms and factors as sympy does
    (then: a bare state first, negative terms after positive ones, constants
    last); ``"as built"`` keeps the order in which the closed form was
    composed (factors of plain symbols in natural order, ``s_{2}`` before
    ``s_{10}``) and memoises its subtree queries, so that the nested forms
    of a 1000-layer stack print in linear time.  ``"auto"`` prints as built
    the forms of long stacks (``ClosedForms.compact``) and expressions of more
    than :data:`LONG_FORM_NODES` nodes, canonically everything else.
"""

from __future__ import annotations

from typing import Any

import sympy

from ..errors import RfsymError

__all__ = ["DEFAULT_NAMES", "ENVIRONMENTS", "QUANTITIES", "RF_SETTINGS", "Rel", "check_settings"]

#: One printed relation: (left-hand side, right-hand side, quantity key for labels or None).
Rel = tuple[str, str, "str | None"]

QUANTITIES = ("n", "j", "r", "start", "P")
DEFAULT_NAMES = {
    "n": "n",
    "j": "j",
    "r": "r",
    "start": r"\mathrm{start}",
    "P": "P",
    "k": "k",
    "s": "s",
    "p": "p",
    "d": "d",
    "kappa": r"\kappa",
    "N": "N",
    "L": "L",
}
ENVIRONMENTS = (None, "inline", "equation", "equation*", "align", "align*")
FLOOR_STYLES = ("auto", "fixed", "function")
NOTATIONS = ("subscript", "superscript")
_STATE_KEY = {"P": "effective_padding"}

# Private symbol names: the printer recognises them; users cannot write them
# (the expression parser only accepts [A-Za-z_][A-Za-z0-9_]*).
_PREFIX = "rf:"
_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu",
    "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega", "ell",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
}  # fmt: skip


def indexed(key: str, index: Any, **assumptions: bool) -> Any:
    """``key[index]`` as a sympy Indexed over a private base (printed through ``names``)."""
    return sympy.IndexedBase(_PREFIX + key, **assumptions)[index]


def index_symbol() -> Any:
    """The layer index ``\\ell`` (printed through the ``index`` setting)."""
    return sympy.Symbol(_PREFIX + "ell", integer=True)


def depth_symbol() -> Any:
    """The number of layers ``L``."""
    return sympy.Symbol(_PREFIX + "L", integer=True, positive=True)


LONG_FORMS = ("auto", "canonical", "as built")
#: above this many nodes an expression prints "as built" under long_forms="auto"
LONG_FORM_NODES = 2000

#: rfsym's settings and their defaults (sympy's own come on top)
RF_SETTINGS: dict[str, Any] = {
    "notation": "subscript",
    "names": None,
    "index": r"\ell",
    "index_base": 1,
    "environment": None,
    "label": None,
    "floor_style": "auto",
    "intertext": True,
    "compact_threshold": 12,
    "quantities": QUANTITIES,
    "long_forms": "auto",
    "pass_through": False,
    "numbers": "decimal",
    "units": None,
}
NUMBERS = ("decimal", "exact")


def check_settings(s: dict[str, Any]) -> None:
    """Raise RfsymError on a bad value of one of rfsym's settings."""
    if "notation" in s and s["notation"] not in NOTATIONS:
        raise RfsymError(f"LaTeX setting notation must be one of {', '.join(NOTATIONS)} (got {s['notation']!r})")
    if "environment" in s and s["environment"] not in ENVIRONMENTS:
        raise RfsymError(
            f"LaTeX setting environment must be one of {', '.join(str(e) for e in ENVIRONMENTS)} (got {s['environment']!r})"
        )
    if "floor_style" in s and s["floor_style"] not in FLOOR_STYLES:
        raise RfsymError(
            f"LaTeX setting floor_style must be one of {', '.join(FLOOR_STYLES)} (got {s['floor_style']!r})"
        )
    if "index_base" in s and s["index_base"] not in (0, 1):
        raise RfsymError(f"LaTeX setting index_base must be 0 or 1 (got {s['index_base']!r})")
    if s.get("names") is not None:
        if not isinstance(s["names"], dict):
            raise RfsymError(f"LaTeX setting names must be a dict (got {s['names']!r})")
        bad = sorted(set(s["names"]) - set(DEFAULT_NAMES))
        if bad:
            raise RfsymError(
                f"LaTeX setting names: unknown quantity {bad[0]!r} (choose from {', '.join(DEFAULT_NAMES)})"
            )
        for k, v in s["names"].items():
            if not isinstance(v, str) or not v:
                raise RfsymError(f"LaTeX setting names[{k!r}] must be a non-empty string (got {v!r})")
    if "quantities" in s:
        q = s["quantities"]
        if isinstance(q, str) or not all(x in QUANTITIES for x in q) or not q:
            raise RfsymError(
                f"LaTeX setting quantities must be a non-empty list from {', '.join(QUANTITIES)} (got {q!r})"
            )
    if "compact_threshold" in s and (not isinstance(s["compact_threshold"], int) or s["compact_threshold"] < 0):
        raise RfsymError(
            f"LaTeX setting compact_threshold must be a non-negative integer (got {s['compact_threshold']!r})"
        )
    if "label" in s and s["label"] is not None and not isinstance(s["label"], str):
        raise RfsymError(f"LaTeX setting label must be a string (got {s['label']!r})")
    if "long_forms" in s and s["long_forms"] not in LONG_FORMS:
        raise RfsymError(f"LaTeX setting long_forms must be one of {', '.join(LONG_FORMS)} (got {s['long_forms']!r})")
    if "pass_through" in s and not isinstance(s["pass_through"], bool):
        raise RfsymError(f"LaTeX setting pass_through must be True or False (got {s['pass_through']!r})")
    if "numbers" in s and s["numbers"] not in NUMBERS:
        raise RfsymError(f"LaTeX setting numbers must be one of {', '.join(NUMBERS)} (got {s['numbers']!r})")
    if s.get("units") is not None and type(s["units"]).__name__ != "Units":
        raise RfsymError(
            f"LaTeX setting units must be rfsym.printing.units.parse_units(...) or None (got {s['units']!r})"
        )
    if "index" in s and (not isinstance(s["index"], str) or not s["index"]):
        raise RfsymError(f"LaTeX setting index must be a non-empty string (got {s['index']!r})")
