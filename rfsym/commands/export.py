r"""``rfsym export``: a network's table, closed form, derivation and figure as LaTeX for a paper.

Without ``--standalone`` the file is a fragment to ``\input`` into a paper whose
preamble loads amsmath, booktabs and tikz; with ``--standalone`` it is a
complete ``article`` document that compiles with pdflatex as it is.  Files are
written atomically (a temporary file in the same directory, then
``os.replace``) and an existing file is kept unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from fractions import Fraction
from typing import Any

from .. import _arith as A
from ..errors import RfsymError
from ._common import add_convention_argument, add_input_argument, add_origin_argument, add_spec_argument, load_network

HELP = "write a network's table, closed form, derivation and figure as LaTeX (amsmath, booktabs, tikz)"
EPILOG = """\
examples:
  rfsym export alexnet -o alexnet.tex --standalone     a complete document (pdflatex alexnet.tex)
  rfsym export net.toml -o rf.tex                      a fragment: \\input{rf} in your paper
  rfsym export vgg16 -o - --columns layer,k,s,r,j      to stdout, selected table columns
  rfsym export net.toml -o rf.tex --force              replace an existing file

The fragment needs \\usepackage{amsmath,booktabs,tikz} in your preamble.
Exit status: 0 on success, 2 on bad input or when the output file exists (use --force).
"""

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage{amsmath}
\usepackage{booktabs}
\usepackage{tikz}
\allowdisplaybreaks
"""

_COLUMN_ALIASES = {"k": "kernel", "s": "stride", "p": "padding", "d": "dilation", "effective_padding": "P"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export", help=HELP, description=HELP, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_spec_argument(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the .tex file to write ('-' for stdout)")
    p.add_argument("--standalone", action="store_true", help="a complete article document instead of a fragment")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    add_input_argument(p)
    add_convention_argument(p)
    add_origin_argument(p)
    p.add_argument(
        "--columns",
        metavar="LIST",
        help="table columns, comma-separated (layer,kernel,stride,padding,dilation,n,j,r,start,P)",
    )
    p.add_argument(
        "--layer",
        metavar="NAME",
        help="layer drawn in the figure (default: the deepest layer with two or more features per axis)",
    )
    p.add_argument(
        "--notation", choices=["subscript", "superscript"], default="subscript", help="k_l or k^(l) (default subscript)"
    )
    p.add_argument("--no-figure", dest="figure", action="store_false", help="leave out the TikZ figure")
    p.add_argument("--no-derivation", dest="derivation", action="store_false", help="leave out the derivation")
    p.set_defaults(run=run)


def parse_columns(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(_COLUMN_ALIASES.get(c.strip(), c.strip()) for c in text.split(",") if c.strip())


def write_atomic(path: str, data: str | bytes, force: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``; refuse to overwrite without ``force``."""
    if os.path.isdir(path):
        raise RfsymError(f"{path}: is a directory")
    if os.path.exists(path) and not force:
        raise RfsymError(f"{path}: file exists (use --force to overwrite)")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise RfsymError(f"{path}: directory {folder} does not exist")
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=".rfsym-", suffix=os.path.splitext(path)[1], dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def document(body: str, title: str | None = None) -> str:
    """A complete article document around ``body`` (amsmath, booktabs and tikz only)."""
    from ..printing.latex import _tex_text

    head = PREAMBLE + "\\begin{document}\n"
    if title:
        head += "\\section*{%s}\n" % _tex_text(title)
    return head + body.rstrip("\n") + "\n\\end{document}\n"


def export_body(
    net: Any,
    *,
    input: Any = None,
    convention: str = "framework",
    origin: Any = Fraction(1, 2),
    columns: tuple[str, ...] | None = None,
    layer: str | None = None,
    figure: bool = True,
    derivation: bool = True,
    notation: str = "subscript",
) -> str:
    """The LaTeX of an export: table, output closed form, derivation and figure, each labelled."""
    from ..printing.latex import _tex_text, latex
    from ..printing.latex import derivation as derive_tex
    from ..printing.table import COLUMNS
    from ..printing.tikz import tikz_figure

    key = "".join(c if c.isalnum() else "-" for c in net.name)
    name = _tex_text(net.name)
    if input is not None:
        net = with_input(net, input)
    parts = [
        f"% rfsym export of {net.name} ({convention} convention, origin {A.fmt(origin)}); needs amsmath, booktabs, tikz"
    ]
    expandable = _flat_depth_int(net)
    if expandable is not None:
        table = net.table(convention=convention, origin=origin)
        parts.append(
            table.to_latex(columns=columns or COLUMNS, label=f"tab:{key}", notation=notation, placement="htbp")
        )
    numeric = not net.free_symbols
    if convention == "framework":
        parts.append(f"The output of \\texttt{{{name}}}:")
        parts.append(latex(net, environment="align", label=f"eq:{key}", notation=notation))
    from ..printing.latex import _is_graph

    if derivation and convention == "framework" and not _is_graph(net):
        parts.append(f"\\noindent Derivation for \\texttt{{{name}}}:")
        parts.append(derive_tex(net, label=f"eq:{key}-derivation", notation=notation, origin=origin))
    if figure and numeric and expandable is not None:
        parts.append(tikz_figure(net, layer, convention=convention, origin=origin, label=f"fig:{key}"))
    return "\n".join(p.rstrip("\n") + "\n" for p in parts)


def with_input(net: Any, input: Any) -> Any:
    """The same network (sequential or graph) with another input size."""
    from ..network import Network
    from ..printing.latex import _is_graph

    if isinstance(net, Network):
        return Network(net.layers, input=input, name=net.name, symbols=net.symbols)
    if _is_graph(net):
        entries = [(lay, net.inputs_of(node)) for node, lay in zip(net.nodes, net.layers)]
        return type(net).from_layers(entries, input=input, name=net.name, symbols=net.symbols)
    raise RfsymError(f"{getattr(net, 'name', net)!r}: cannot set the input size of a {type(net).__name__}")


def _flat_depth_int(net: Any) -> int | None:
    from ..printing.latex import _flat_depth

    d = _flat_depth(net)
    return d if isinstance(d, int) else None


def run(args: argparse.Namespace) -> int:
    net = load_network(args.spec, args.input)
    body = export_body(
        net,
        input=args.input,
        convention=args.convention,
        origin=Fraction(args.origin),
        columns=parse_columns(args.columns),
        layer=args.layer,
        figure=args.figure,
        derivation=args.derivation,
        notation=args.notation,
    )
    text = document(body, title=f"Receptive fields of {net.name}") if args.standalone else body
    if args.output == "-":
        sys.stdout.write(text)
    else:
        write_atomic(args.output, text, force=args.force)
    return 0
