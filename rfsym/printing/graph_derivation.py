r"""The derivation of a graph's closed forms, step by step, as an ``align`` environment.

For a graph (residual stages, Inception blocks, U-Nets) it shows

* the per-layer recurrence (the layers' own transfer functions, as in
  :func:`rfsym.printing.derivation.derivation`);
* the recurrence along every path segment between merges, the segment's layers
  composed as one affine map (:mod:`rfsym.maps`):
  ``j_b = m j_a``, ``r_b = r_a + a j_a``, ``P_b = P_a + b j_a``;
* the union at each merge, ``lo = min lo_i``, ``hi = max hi_i`` with
  ``lo = start - (r - 1)/2`` and ``hi = start + (r - 1)/2``, and the proof that
  one input's window contains the others' (the differences of the edges, each
  ``>= 0`` because every symbol is at least its lower bound) or the ``Max``
  kept when there is none;
* the alignment conditions (equal jumps and centres ``(r - 1)/2 - P``) and the
  equal sizes each merge needs;
* the closed form of the output.

Everything printed comes from :func:`rfsym.derive` (:mod:`rfsym.closed_form.graphs`);
names are escaped (:mod:`rfsym.printing.escape`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy

from .. import _arith as A
from ..errors import RfsymError
from ..graph import INPUT, Graph, Merge
from ..maps import compose_all
from ..network import parse_origin
from .derivation import recurrence_lines
from .environments import join_intertext, label
from .escape import tex_math_text, tex_text
from .printer import RfsymLatexPrinter

__all__ = ["graph_derivation", "segments"]

#: At most this many merges are derived one by one; the others are summarised (their conditions stay).
MERGE_LIMIT = 64


def segments(graph: Graph) -> list[tuple[str, list[str]]]:
    """The graph's path segments between merges and branch points: (source node, [nodes of the segment]).

    A segment starts at a non-merge node whose input is the network input, a merge or a node read by
    several nodes, and runs on while its last node is read by exactly one node that is not a merge.
    """
    layers = dict(zip(graph.nodes, graph.layers))
    readers: dict[str, list[str]] = {}
    for node in graph.nodes:
        for x in graph.inputs_of(node):
            readers.setdefault(x, []).append(node)

    def boundary(u: str) -> bool:
        return u == INPUT or isinstance(layers[u], Merge) or len(readers.get(u, [])) != 1

    out = []
    for node in graph.nodes:
        if isinstance(layers[node], Merge):
            continue
        (src,) = graph.inputs_of(node)
        if not boundary(src):
            continue
        chain = [node]
        while len(readers.get(chain[-1], [])) == 1 and not isinstance(layers[readers[chain[-1]][0]], Merge):
            chain.append(readers[chain[-1]][0])
        out.append((src, chain))
    return out


class _Lines:
    def __init__(self, p: RfsymLatexPrinter) -> None:
        self.p = p
        self.star = p._settings["environment"].endswith("*")
        self.rows: list[str] = []

    def inter(self, s: str) -> None:
        if self.p._settings["intertext"]:
            self.rows.append(r"\intertext{%s}" % s)

    def line(self, lhs: str, rhs: str, key: str | None = None) -> None:
        lab = label(self.p, key) if key and not self.star else ""
        tag = "" if self.star or key else r"\notag"
        self.rows.append(f"  {lhs} &= {rhs}{tag}{lab}")

    def text(self) -> str:
        env = self.p._settings["environment"]
        return "\\begin{%s}\n%s\n\\end{%s}\n" % (env, " \\\\\n".join(join_intertext(self.rows)), env)


def _tt(name: str) -> str:
    """A node name in running text: typewriter, escaped, breakable after its dots and underscores."""
    return r"\texttt{%s}" % tex_text(name).replace(".", r".\allowbreak{}").replace(r"\_", r"\_\allowbreak{}")


def _q(p: RfsymLatexPrinter, key: str, node: str) -> str:
    """``r_{\\mathrm{node}}``: a quantity of a node."""
    return p._hprint_indexed(key, tex_math_text(node))


#: A printed right-hand side longer than this (characters of LaTeX) is broken over several lines.
WIDTH = 70

_KINKS = (sympy.Max, sympy.Min, sympy.Piecewise, sympy.floor, sympy.ceiling, sympy.Mod, sympy.Sum, sympy.Product)


def _v(p: RfsymLatexPrinter, v: Any) -> str:
    """A value as LaTeX; polynomials expanded (sums of the layers' terms), long sums broken over lines."""
    v = A.norm(v)
    if A.is_num(v) or not isinstance(v, sympy.Basic):
        return p._hprint_value(v)
    if not v.has(*_KINKS):
        v = sympy.expand(v)
    text = p._hprint_value(v)
    if len(text) <= WIDTH or not v.is_Add:
        return text
    rows: list[str] = []
    cur = ""
    for term in v.as_ordered_terms():
        t = p._print(term)
        piece = t if not cur and not rows else (f" - {t[1:].lstrip()}" if t.startswith("-") else f" + {t}")
        if cur and len(cur) + len(piece) > WIDTH:
            rows.append(cur)
            cur = piece
        else:
            cur += piece
    rows.append(cur)
    return "\\notag \\\\\n  &\\qquad ".join(rows)


def _segment_lines(out: _Lines, graph: Graph, forms: Any, axis: int, convention: str) -> None:
    from ..closed_form.derive import _element_map

    p = out.p
    layers = dict(zip(graph.nodes, graph.layers))
    out.inter("Along each path segment between merges the layers compose to one affine map of the segment's input:")
    for src, chain in segments(graph):
        mp = compose_all([_element_map(layers[x], axis, convention, domains=graph.symbols) for x in chain])
        end = chain[-1]
        out.inter(r"segment %s $\to$ %s (%d layer%s):" % (_tt(src), _tt(end), len(chain), "s" * (len(chain) > 1)))
        ja = _q(p, "j", src)

        def step(base: str, coef: Any, ja: str = ja) -> str:
            coef = A.norm(coef)
            if A.is_num(coef) and coef == 0:
                return base
            c = _v(p, coef)
            if A.is_num(coef) and coef == 1:
                return f"{base} + {ja}"
            wrap = c if A.is_num(coef) or not A.to_sympy(coef).is_Add else r"\left(%s\right)" % c
            return f"{base} + {wrap}\\, {ja}"

        m = A.norm(mp.m)
        out.line(_q(p, "j", end), ja if A.is_num(m) and m == 1 else r"%s\, %s" % (_v(p, m), ja))
        out.line(_q(p, "r", end), step(_q(p, "r", src), mp.a))
        out.line(_q(p, "P", end), step(_q(p, "P", src), mp.b))


def _merge_lines(out: _Lines, graph: Graph, forms: Any, axis: int) -> None:
    walk = forms.walk
    reps = [m for m in forms.merges if m.axis == axis]
    if not reps:
        return
    out.inter(
        r"At a merge the region is the union of the inputs' windows: with $\mathrm{lo} = \mathrm{start} - (r - 1)/2$ "
        r"and $\mathrm{hi} = \mathrm{start} + (r - 1)/2$, $\mathrm{lo} = \min_i \mathrm{lo}_i$ and "
        r"$\mathrm{hi} = \max_i \mathrm{hi}_i$; $j$ and $P$ are those of the input with the largest $r$. An input "
        r"wins when the difference of the edges is $\ge 0$ for every value of the symbols (each at least its lower "
        r"bound: kernel, stride, dilation $\ge 1$, padding $\ge 0$, and the declared domains)."
    )
    for rep in reps[:MERGE_LIMIT]:
        _one_merge(out, rep, walk, axis, graph)
    if len(reps) > MERGE_LIMIT:
        out.inter(
            r"The other %d merges are derived alike (their conditions are listed below)." % (len(reps) - MERGE_LIMIT)
        )


def _edges(st: Any) -> tuple[Any, Any]:
    h = A.div(A.add(st.r, -1), 2)
    return A.add(st.start, A.mul(-1, h)), A.add(st.start, h)


def _one_merge(out: _Lines, rep: Any, walk: Any, axis: int, graph: Graph) -> None:
    p = out.p
    m = rep.merge
    ins = rep.inputs
    sts = [walk.states[x][axis] for x in ins]
    out.inter(r"merge %s of %s:" % (_tt(m), ", ".join(_tt(x) for x in ins)))
    if rep.dominant is not None and not rep.undecided:
        win = ins[rep.dominant]
        lo_w, hi_w = _edges(walk.states[win][axis])
        for x, st in zip(ins, sts):
            if x == win:
                continue
            lo_x, hi_x = _edges(st)
            d_hi = A.norm(sympy.expand(A.to_sympy(A.add(hi_w, A.mul(-1, hi_x)))))
            d_lo = A.norm(sympy.expand(A.to_sympy(A.add(lo_x, A.mul(-1, lo_w)))))
            out.inter(
                r"%s against %s, the edges' differences $\Delta_{\mathrm{hi}} = \mathrm{hi}_{1} - \mathrm{hi}_{2}$ "
                r"and $\Delta_{\mathrm{lo}} = \mathrm{lo}_{2} - \mathrm{lo}_{1}$:" % (_tt(win), _tt(x))
            )
            out.line(r"\Delta_{\mathrm{hi}}", _v(p, d_hi) + r" \ge 0")
            out.line(r"\Delta_{\mathrm{lo}}", _v(p, d_lo) + r" \ge 0")
        st = walk.states[m][axis]
        out.inter(r"so the window of %s is that of %s:" % (_tt(m), _tt(win)))
        out.line(_q(p, "r", m), r"%s = %s" % (_q(p, "r", win), _v(p, st.r)))
        out.line(_q(p, "P", m), r"%s = %s" % (_q(p, "P", win), _v(p, st.P)))
    else:
        st = walk.states[m][axis]
        out.inter(
            r"no input's window provably contains the others' for every value of the symbols; the union keeps its "
            r"$\max$/$\min$:"
        )
        out.line(_q(p, "r", m), _v(p, st.r))
        out.line(_q(p, "P", m), _v(p, st.P))
    for al in rep.alignments:
        a, b = al.inputs
        (ja, jb), (ca, cb) = al.jumps, al.centres
        what = {True: "aligned (proved)", False: "not aligned", None: "aligned only when"}[al.aligned]
        text = r"alignment of %s and %s (jump and centre $(r - 1)/2 - P$): %s" % (_tt(a), _tt(b), what)
        if al.aligned is None:
            text += r" $%s$" % p._print(al.condition)
        out.inter(text)
        for x, jx, cx in ((a, ja, ca), (b, jb, cb)):
            out.line(_q(p, "j", x), _v(p, jx))
            out.line(r"c_{%s}" % tex_math_text(x), _v(p, cx))
    if rep.sizes is not True:
        out.inter(r"its inputs must have equal sizes:")
        out.rows.append(r"  & %s%s" % (p._print(rep.sizes), "" if out.star else r"\notag"))


def graph_derivation(
    graph: Graph, *, axis: int = 0, origin: Any = None, convention: str = "framework", **settings: Any
) -> str:
    r"""An ``align`` environment deriving the closed forms of a graph step by step (see the module docstring).

    ``settings`` are the LaTeX printer's (``label``, ``notation``, ``environment`` …); the output's
    closed forms are numbered (``<label>:n`` …) unless the environment is starred.
    """
    from ..closed_form import derive

    settings.setdefault("environment", "align")
    p = RfsymLatexPrinter(settings)
    env = p._settings["environment"]
    if env not in ("align", "align*"):
        raise RfsymError(f"a derivation needs environment 'align' or 'align*' (got {env!r})")
    if not isinstance(graph, Graph):
        raise RfsymError(f"graph derivations print graphs (got {type(graph).__name__}); use rfsym.printing.derivation")
    if convention != "framework":
        raise RfsymError(f"derivations use the framework convention (got {convention!r})")
    origin = parse_origin(Fraction(1, 2) if origin is None else origin)
    forms: Any = derive(graph, origin=origin)
    if getattr(forms, "walk", None) is None:
        raise RfsymError(f"{tex_text(graph.name)}: a chain; use rfsym.printing.derivation.derivation")
    f_ax = forms.axis(axis) if forms.axes is not None else forms
    out = _Lines(p)
    name = r"\texttt{%s}" % tex_text(graph.name)
    idx = p._settings["index"]
    out.inter(
        r"Each layer $%s$ of %s (kernel $%s$, stride $%s$, padding $%s$, $%s$, dilation $%s$) maps the state of "
        r"its input to that of its output:"
        % (idx, name, p._hprint_indexed("k", idx), p._hprint_indexed("s", idx), p._hprint_indexed("p", idx, "L"),
           p._hprint_indexed("p", idx, "R"), p._hprint_indexed("d", idx))
    )  # fmt: skip
    for lhs, rhs, _ in recurrence_lines(p, convention):
        out.line(lhs, rhs)
    _segment_lines(out, graph, forms, axis, convention)
    _merge_lines(out, graph, forms, axis)
    out.inter(r"Closing the recurrences over the graph gives the closed form of the output %s:" % _tt(forms.output))
    for q in p._settings["quantities"]:
        out.line(p._hprint_indexed(q, tex_math_text(forms.output)), _v(p, getattr(f_ax, q)), q)
    return out.text()
