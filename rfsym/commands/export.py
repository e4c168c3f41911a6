r"""``rfsym export``: a network's table, closed form, derivation and figure as LaTeX for a paper.

Without ``--standalone`` the file is a fragment to ``\input`` into a paper whose
preamble loads amsmath, booktabs and tikz; with ``--standalone`` it is a
complete ``article`` document that compiles with pdflatex as it is.  Files are
written by :func:`rfsym._files.write_file`: regular files only (a FIFO, a
device or a symbolic link at the path is refused), atomically, with the
umask's permissions; an existing file is kept unless ``--force`` is given.
Every name (of the network, its layers and nodes) is escaped
(:mod:`rfsym.printing.escape`), in ``%`` comments too, so a name can neither
end a comment nor run a command when the file is compiled.
"""

from __future__ import annotations

import argparse
import re
import warnings
from fractions import Fraction
from typing import Any

from .. import _arith as A
from .._display import term_text
from .._files import write_file, write_stdout
from ..errors import RfsymError
from ..graph import Graph
from ..network import Network
from ..printing.escape import label_key, tex_text
from ..printing.tikz import check_figure_size, tikz_figure
from ..printing.units import parse_units
from ._common import add_convention_argument, add_input_argument, add_origin_argument, add_spec_argument, load_network

try:  # rfsym --passthrough PATTERN for imported models (models' helpers, issue 15); absent before they land
    from ..io._loaders import add_passthrough_argument, load_model_spec  # type: ignore[attr-defined,unused-ignore]

    _passthrough: tuple[Any, Any] | None = (add_passthrough_argument, load_model_spec)
except ImportError:
    _passthrough = None

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

#: a symbolic network deeper than this exports no per-layer table (its cells grow with the depth)
SYMBOLIC_TABLE_ROWS = 24

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
    if _passthrough is not None:  # models' importer option (issue 15), where it exists
        _passthrough[0](p)
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
    p.add_argument(
        "--show-pass-through",
        dest="pass_through",
        action="store_true",
        help="show pass-through layers (ReLU, batch norm, dropout) as table rows and in layer indices",
    )
    p.add_argument(
        "--numbers",
        choices=["decimal", "exact"],
        default="decimal",
        help="finite decimals as 5.5 (default) or exact fractions 11/2, in tables and equations alike",
    )
    p.add_argument("--landscape", action="store_true", help="turn the table (it may be as wide as the page is tall)")
    add_units_arguments(p)
    add_figure_arguments(p)
    p.add_argument(
        "--spread",
        action="store_true",
        help="the derivation also gives the variance of the coverage counts and the hole-free condition",
    )
    p.add_argument("--no-derivation", dest="derivation", action="store_false", help="leave out the derivation")
    p.set_defaults(run=run)


def add_figure_arguments(p: argparse.ArgumentParser) -> None:
    """--dims 1|2 (a strip or rows and columns; default: 1-D for one declared axis or a sample rate),
    --axes A[,B] (which of an N-D network's axes one picture draws; default the last two) and --per-axis (one
    strip per group of equal axes: the default where an N-D network's axes differ)."""
    p.add_argument("--dims", type=int, choices=[1, 2], help="draw the figure as one picture, in 1-D (a strip) or 2-D")
    p.add_argument("--axes", metavar="A[,B]", help="the network axes one picture draws (default: the last two)")
    p.add_argument(
        "--per-axis",
        dest="per_axis",
        action="store_true",
        help="one strip per group of equal axes (the default where an N-D network's axes differ)",
    )


def figure_options(args: argparse.Namespace) -> dict[str, Any]:
    """The figure options of --dims, --axes and --per-axis."""
    out: dict[str, Any] = {}
    if getattr(args, "dims", None) is not None:
        out["dims"] = args.dims
    if getattr(args, "axes", None):
        try:
            out["axes"] = [int(a) for a in args.axes.split(",")]
        except ValueError:
            raise RfsymError(f"--axes {args.axes!r}: expected one or two axis numbers, e.g. 1,2") from None
    if getattr(args, "per_axis", False):
        if out:
            raise RfsymError("--per-axis draws every axis: leave out --dims and --axes")
        out["layout"] = "axes"
    return out


def add_units_arguments(p: argparse.ArgumentParser) -> None:
    """--sample-rate HZ (j, r and start in ms, the figure in 1-D) or --spacing LEN (in mm, um, …)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--sample-rate", metavar="HZ", help="samples per second: j, r and start also in ms (audio)")
    g.add_argument("--spacing", metavar="LEN", help="size of one input pixel, e.g. 0.5mm: j, r and start in mm")


def parse_columns(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(_COLUMN_ALIASES.get(c.strip(), c.strip()) for c in text.split(",") if c.strip())


def write_atomic(path: str, data: str | bytes, force: bool = False) -> None:
    """Write ``data`` to ``path`` (see :func:`rfsym._files.write_file`); refuse to overwrite without ``force``.

    Kept for ``rfsym plot`` (commands/plot.py) until it calls :func:`~rfsym._files.write_file` itself."""
    write_file(path, data, force=force)


def document(body: str, title: str | None = None) -> str:
    """A complete article document around ``body`` (amsmath, booktabs and tikz only); ``title`` is escaped."""
    head = PREAMBLE + "\\begin{document}\n"
    if title:
        head += "\\section*{%s}\n" % tex_text(title)
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
    pass_through: bool = False,
    numbers: str = "decimal",
    landscape: bool = False,
    units: Any = "auto",
    figure_axes: dict[str, Any] | None = None,
    spread: bool = False,
) -> str:
    """The LaTeX of an export: table, output closed form, derivation and figure, each labelled.

    Long because it lists the export's sections in their order, each with its own option checks (a list
    of steps, not one computation).

    ``units``: physical units (:func:`rfsym.printing.units.parse_units`); ``"auto"`` (default) takes the
    network's own ``sample_rate`` when its spec gives one, None leaves them out.
    Paper mode: pass-through layers are hidden (``pass_through`` shows them),
    columns holding only defaults (dilation 1) are left out unless ``columns``
    are given, and no equation appears twice -- with the derivation, its last,
    numbered lines are the output (``eq:<name>:r``, …); without it, the output
    is printed on its own under the same labels.  A symbolic repeat count
    exports the table of its layers (the block, repeated).  Limits are checked
    before the work: a figure takes an input of at most
    :data:`rfsym.printing.tikz.MAX_FIGURE_SIZE` pixels per axis.
    """
    # the LaTeX printer imports sympy: only when an export runs, so that `rfsym table` stays light
    from ..printing.derivation import derivation as derive_tex
    from ..printing.latex import latex
    from ..printing.relations import flat_depth
    from ..printing.table import block_table_latex, paper_columns

    key = label_key(net.name)
    name = tex_text(net.name)
    if input is not None:
        net = with_input(net, input)
    if isinstance(units, str) and units == "auto":  # the network's own sample rate, if its spec gives one
        units = parse_units(net=net)
    settings: dict[str, Any] = {"notation": notation, "pass_through": pass_through, "numbers": numbers, "units": units}
    numeric = not net.free_symbols
    depth = flat_depth(net, pass_through=True)
    expandable = depth if isinstance(depth, int) else None
    if figure and numeric and expandable is not None:
        check_figure_size(net, hint="; leave the figure out with --no-figure")
    parts = [
        f"% rfsym export of {name} ({convention} convention, origin {A.fmt(origin)}); needs amsmath, booktabs, tikz"
    ]
    if expandable is not None and not numeric and expandable > SYMBOLIC_TABLE_ROWS:
        warnings.warn(
            f"{term_text(net.name)}: the per-layer table is left out of the export ({expandable} symbolic layers, "
            f"more than {SYMBOLIC_TABLE_ROWS}); 'rfsym table' prints it",
            stacklevel=2,
        )
        parts.append(f"% per-layer table left out: {expandable} symbolic layers (more than {SYMBOLIC_TABLE_ROWS})")
    elif expandable is not None:
        table = net.table(convention=convention, origin=origin)
        parts.append(
            table.to_latex(
                columns=columns or paper_columns(table),
                label=f"tab:{key}",
                placement="htbp",
                landscape=landscape,
                **settings,
            )  # fmt: skip
        )
    elif isinstance(net, Network):
        parts.append(block_table_latex(net, columns=columns, label=f"tab:{key}", **settings))
    derived_here = derivation and convention == "framework" and not isinstance(net, Graph)
    graph_tex = _graph_derivation(net, key, origin, settings) if derivation and convention == "framework" else None
    if derived_here:
        parts.append(f"\\noindent Derivation for \\texttt{{{name}}}; its numbered lines are the output:")
        parts.append(derive_tex(net, label=f"eq:{key}", origin=origin, spread=spread, **settings))
    elif graph_tex is not None:
        parts.append(f"\\noindent Derivation for \\texttt{{{name}}}:")
        parts.append(graph_tex)
        parts.append(f"The output of \\texttt{{{name}}}:")
        parts.append(latex(net, environment="align", label=f"eq:{key}", **settings))
    elif convention == "framework":
        parts.append(f"The output of \\texttt{{{name}}}:")
        parts.append(latex(net, environment="align", label=f"eq:{key}", **settings))
    if figure and numeric and expandable is not None:
        parts.append(
            tikz_figure(
                net,
                layer,
                convention=convention,
                origin=origin,
                label=f"fig:{key}",
                units=units,
                upsampled=layer is None,  # a network that upsamples also shows its first upsampled layer
                **(figure_axes or {}),
            )  # fmt: skip
        )
    return "\n".join(p.rstrip("\n") + "\n" for p in parts)


def _graph_derivation(net: Any, key: str, origin: Any, settings: dict[str, Any]) -> str | None:
    """The derivation of a branched graph (rfsym.printing.graph_derivation, the graphs engineer's), or None
    for a sequential network, a chain, or where that printer is not available."""
    if not isinstance(net, Graph) or getattr(net, "is_chain", True):
        return None
    try:
        from ..printing.graph_derivation import graph_derivation  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    tex = str(graph_derivation(net, label=f"eq:{key}-derivation", notation=settings["notation"], origin=origin))
    # long node names in its explanations (Mixed_6a.branch3x3dbl_3a.conv) may break after an underscore too,
    # and the explanations are set \sloppy (a loose line rather than one that sticks out)
    tex = _break_align_lines(tex.replace(r"\_", r"\_\allowbreak{}"))
    return "\\begingroup\\sloppy\n" + tex.rstrip("\n") + "\n\\endgroup\n"


_ALIGN_LINE = re.compile(r"^(\s*)(.*?) &= (.*?)((?:\\notag|\\label\{[^}]*\})*)( \\\\)?$")


def _break_align_lines(tex: str) -> str:
    """Break the long right-hand sides of an align environment's lines to the column, as rfsym's own
    derivations are (:func:`rfsym.printing.environments.break_rhs`); continuation lines are not numbered."""
    from ..printing.environments import break_rhs, rhs_width

    out = []
    for line in tex.split("\n"):
        m = _ALIGN_LINE.match(line)
        if m is None or line.lstrip().startswith("\\intertext") or r"\\ &" in line:
            out.append(line)
            continue
        indent, lhs, rhs, tags, end = m.groups()
        pieces = break_rhs(rhs, rhs_width(lhs))
        if len(pieces) == 1:
            out.append(line)
            continue
        cont = "\\notag \\\\\n" + indent + r"&\qquad "
        out.append(f"{indent}{lhs} &= {cont.join(pieces)}{tags}{end or ''}")
    return "\n".join(out)


def with_input(net: Any, input: Any) -> Any:
    """The same network (sequential or graph) with another input size."""
    rate = getattr(net, "sample_rate", None)
    extra: dict[str, Any] = {"sample_rate": rate} if rate is not None else {}  # kept: ms and 1-D figures
    if isinstance(net, Network):
        return Network(net.layers, input=input, name=net.name, symbols=net.symbols, **extra)
    if isinstance(net, Graph):
        entries = [(lay, net.inputs_of(node)) for node, lay in zip(net.nodes, net.layers)]
        return type(net).from_layers(entries, input=input, name=net.name, symbols=net.symbols, **extra)
    raise RfsymError(f"{getattr(net, 'name', net)!r}: cannot set the input size of a {type(net).__name__}")


def run(args: argparse.Namespace) -> int:
    if _passthrough is not None and getattr(args, "passthrough", None):
        net = _passthrough[1](args.spec, args.input, args.passthrough)
    else:
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
        pass_through=args.pass_through,
        numbers=args.numbers,
        landscape=args.landscape,
        units=parse_units(args.sample_rate, args.spacing, net),
        figure_axes=figure_options(args),
        spread=args.spread,
    )
    text = document(body, title=f"Receptive fields of {net.name}") if args.standalone else body
    if args.output == "-":
        write_stdout(text)
    else:
        write_file(args.output, text, force=args.force)
    return 0
