"""The one reader of a layer's ``transfer`` as an affine map, and the algebra of such maps.

Every layer kind's arithmetic lives in its :meth:`~rfsym.layers.Layer.transfer`.
This module runs a transfer function once on a generic symbolic state
``(x, J, R, S, P)`` and reads the result as an :class:`AffineMap`

    j_out = m j_in,  r_out = r_in + a j_in,  start_out = start_in + c j_in,
    P_out = P_in + b j_in,  n_out = floor((n_in + g - 1) / den) + 1  (or any nfun(n_in)).

Maps form a monoid (:func:`compose`, :func:`identity`): a run X followed by Y has

    m = m_X m_Y,   a = a_X + m_X a_Y,   b = b_X + m_X b_Y,   c = c_X + m_X c_Y,
    den = den_X den_Y,   g = g_X + den_X g_Y          (floor folding)

where the last line is ``floor((floor((x + e_X)/D_X) + 1 + e_Y)/D_Y) =
floor((x + e_X + D_X (1 + e_Y))/(D_X D_Y))`` with ``g = 1 + e``, valid for an
integer ``1 + e_Y`` and a positive integer ``D_Y`` (docs/closed-forms.md).
:meth:`AffineMap.smallest_input` inverts the size map (the smallest input
giving at least a wanted number of outputs) and :func:`smallest_input` chains
that backwards through a stack.

Reading a transfer function costs a sympy run, so maps are cached in one
scheme keyed on the layer's *template*: its kind and structure with every
parameter value replaced by a placeholder of the same assumptions
(:func:`layer_map`).  Layers of one shape share the template's map and only
substitute their values; layers with the same numbers share the substituted
map too.

Used by closed forms (:mod:`rfsym.closed_form`), the solver
(:mod:`rfsym.solver`) and :meth:`rfsym.network.Network.min_input_size`.
This module reads layers only (import level 2).

>>> from rfsym.layers import Conv
>>> mp = layer_map(Conv(kernel="k", stride="s", padding="p"))
>>> mp.m, mp.a, mp.b, mp.g, mp.den
(s, k - 1, p, -k + 2*p + 1, s)
>>> smallest_input([layer_map(Conv(kernel=3)), layer_map(Conv(kernel=3, stride=2))])
5
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from fractions import Fraction
from typing import Any

import sympy

from . import _arith as A
from ._bisect import smallest
from .errors import RfsymError
from .layers import AxisState, Conv, Layer

__all__ = [
    "FLAT_LIMIT",
    "AffineMap",
    "at",
    "compose",
    "compose_all",
    "check_n_dependent",
    "compose_flat",
    "depends_on_x",
    "equivalent",
    "floor_form",
    "generic",
    "identity",
    "power",
    "proved_ge",
    "lower_bound",
    "sign",
    "int_ceiling",
    "int_floor",
    "integrality",
    "layer_map",
    "proved_integer",
    "read_transfer",
    "safe_xreplace",
    "same",
    "smallest_input",
    "SEARCH_CAP",
]

#: Above this many layers with a symbolic jump factor, compose as a balanced tree (nested Horner forms).
FLAT_LIMIT = 48


@dataclass
class AffineMap:
    """An affine receptive-field map in local coordinates (input jump 1).

    ``m`` jump factor, ``a`` receptive-field growth, ``b`` effective padding,
    ``c`` centre shift, all in input pixels of the run's input.  When
    ``n_out = floor((x + g - 1)/den) + 1`` (``g = 1 + e``: one plus the
    run's folded offset), ``g`` and ``den`` hold it; else ``g`` is None and
    ``nfun`` is n_out as an expression in the generic input size.  ``a, b, c, m``
    may depend on the input size when padding does (TensorFlow ``same``);
    then ``xdep`` is set.  ``pad`` (Σ (p_L + p_R) J_{l-1}) may be a thunk.
    """

    m: Any
    a: Any
    b: Any
    c: Any
    g: Any
    den: Any
    nfun: Any = None
    count: int = 1  # layers in the run
    nsym: int = 0  # layers with a symbolic jump factor
    pad_: Any = None  # Σ (p_L + p_R) J_{l-1} when the n-denominators are the jumps, or a thunk
    xdep: bool = False  # m, a, b or c depend on the run's input size
    centred: bool = False  # c == a/2 - b: start = origin + (R - 1)/2 - P
    min_in: Any = None  # smallest input with a non-empty output at every layer (numeric stacks)

    @property
    def folds(self) -> bool:
        return self.g is not None

    @property
    def pad(self) -> Any:
        if callable(self.pad_):
            self.pad_ = self.pad_()
        return self.pad_

    @property
    def e(self) -> Any:
        return A.add(self.g, -1)

    def n_of(self, x: Any) -> Any:
        if self.g is not None:
            try:
                return A.add(int_floor(A.div(A.add(x, self.e), self.den)), 1)
            except (ArithmeticError, ValueError, TypeError):  # see at(): keep the composition unevaluated
                m = sympy.Dummy("m", integer=True)
                inner = A.add(int_floor(A.div(A.add(m, self.e), self.den)), 1)
                return sympy.Subs(A.to_sympy(inner), m, A.to_sympy(x))
        return at(self.nfun, x)


#: The generic input state: size x (a positive integer), jump J, field R, start S, padding P.
#: Dummies: never equal to a user's symbol, whatever its name.
_GEN: dict[str, Any] = {
    "x": sympy.Dummy("x", integer=True, positive=True),
    "J": sympy.Dummy("J", positive=True),
    "R": sympy.Dummy("R", real=True),
    "S": sympy.Dummy("S", real=True),
    "P": sympy.Dummy("P", real=True),
}
X = _GEN["x"]


def generic() -> dict[str, Any]:
    """The generic input state's symbols (``x``: the input size, ``J``, ``R``, ``S``, ``P``)."""
    return _GEN


def at(expr: Any, x: Any) -> Any:
    """expr with the generic input size replaced by x."""
    if hasattr(expr, "free_symbols") and X in expr.free_symbols:
        try:
            return A.norm(safe_xreplace(expr, {X: A.to_sympy(x)}))
        except (ArithmeticError, ValueError, TypeError):
            # sympy's evalf gives up on some deeply nested floor/Piecewise forms (ceil_mode after
            # n-dependent 'same' padding): keep the composition as an unevaluated Subs; doit() evaluates it
            m = sympy.Dummy("m", integer=True)
            return sympy.Subs(expr.xreplace({X: m}), m, A.to_sympy(x))
    return expr


def depends_on_x(expr: Any) -> bool:
    return hasattr(expr, "free_symbols") and X in expr.free_symbols


_FACTS = ("integer", "positive", "nonnegative", "odd", "even")


def _facts(v: Any) -> dict[str, bool]:
    """The assumptions a placeholder for value v may carry (so sympy simplifies as it would on v)."""
    if isinstance(v, int):
        if v == 0:
            return {"integer": True, "nonnegative": True, "even": True}
        out = {"integer": True, "odd" if v % 2 else "even": True}
        if v > 0:
            out["positive"] = True
        return out
    if isinstance(v, Fraction):
        return {"positive": True} if v > 0 else ({"nonnegative": True} if v == 0 else {"real": True})
    out = {}
    for f in _FACTS:
        if getattr(v, f"is_{f}", None):
            out[f] = True
    if out.get("positive"):
        out.pop("nonnegative", None)
    if not out:
        out["real"] = True
    return out


_FIELDS: dict[type, tuple[str, ...]] = {}


def _shape(value: Any) -> Any:
    """A layer's structure without its parameter values (strings, flags and nesting kept)."""
    if isinstance(value, tuple):
        return tuple(_shape(v) for v in value)
    if value is None or isinstance(value, (str, bool)):
        return value
    names = _FIELDS.get(type(value))
    if names is None:
        if not (isinstance(value, Layer) and is_dataclass(value)):
            return "#"
        names = _FIELDS[type(value)] = tuple(
            f.name for f in fields(value) if f.name != "name" and not f.name.startswith("_")
        )
    return (type(value),) + tuple((n, _shape(getattr(value, n))) for n in names)


_TEMPLATES: dict[Any, Any] = {}
_SIGNATURES: dict[Any, Any] = {}


def _template(layer: Any) -> tuple[Any, list[Any]]:
    """The layer with its parameter values replaced by placeholders (same assumptions) + (placeholder, value)."""

    values: list[Any] = []

    def ph(v: Any) -> Any:
        for sym, w in values:
            if w is v or w == v:
                return sym  # equal values share a placeholder: symmetric padding gives 2 p, not p + p
        facts = _facts(v)
        sym = sympy.Dummy(f"t{len(values)}", **facts)  # a Dummy: never a user's symbol
        values.append((sym, v))
        return sym

    tl = layer.map_values(ph)
    try:
        tl = replace(tl, name=None)
    except (TypeError, ValueError):  # pragma: no cover - a layer type without a name field
        pass
    return tl, values


def _lookup(layer: Any, axis: int, convention: str) -> tuple[AffineMap, list[Any], list[Any]]:
    """(template map, placeholders, values) for a layer; templates are shared by layers of one shape."""
    try:
        allv = list(layer.values())
        vals: list[Any] = []
        pattern: list[int] = []
        for v in allv:
            for i, w in enumerate(vals):
                if w is v or w == v:
                    pattern.append(i)
                    break
            else:
                pattern.append(len(vals))
                vals.append(v)
        sig = (_shape(layer), tuple(tuple(sorted(_facts(v))) for v in vals), tuple(pattern), axis, convention)
        hit = _SIGNATURES.get(sig)
    except (TypeError, RfsymError):
        sig, hit, vals = None, None, []
    if hit is not None:
        return hit[0], hit[1], vals
    try:
        tl, pairs = _template(layer)
        key = (type(tl), tl, axis, convention)
        hash(key)
    except (TypeError, RfsymError):
        return read_transfer(layer, axis, convention), [], []
    tmpl = _TEMPLATES.get(key)
    if tmpl is None:
        tmpl = _TEMPLATES[key] = read_transfer(tl, axis, convention)
    phs = [s for s, _ in pairs]
    if sig is not None and len(pairs) == len(vals) and all(v is w or v == w for (_, v), w in zip(pairs, vals)):
        _SIGNATURES[sig] = (tmpl, phs)  # layer.values() visits the values in map_values' order
    return tmpl, phs, [v for _, v in pairs]


def _rebuild(e: Any, sub: dict[Any, Any]) -> Any:
    """e with placeholders substituted, Add/Mul/Pow rebuilt without evaluation (fast; long stacks only)."""

    if e in sub:
        return sub[e]
    if not e.args:
        return e
    if isinstance(e, (sympy.Add, sympy.Mul, sympy.Pow)):
        args = [_rebuild(a, sub) for a in e.args]
        if any(not isinstance(a, sympy.Basic) or a.is_Number for a, b in zip(args, e.args) if a is not b):
            return safe_xreplace(e, sub)
        return _raw(e.func, args)
    return safe_xreplace(e, sub)


def layer_map(layer: Any, axis: int = 0, convention: str = "framework", fast: bool = False) -> AffineMap:
    """The layer's transfer function, read as an affine map (cached per parameter shape).

    ``fast``: build the per-layer expressions without sympy's evaluation (for
    long stacks, whose forms are nested anyway).
    """
    tmpl, phs, vals = _lookup(layer, axis, convention)
    if not phs:
        return tmpl
    numeric = all(A.is_num(v) for v in vals)
    if numeric:  # layers with the same numbers (ResNet blocks, VGG convs) share their map
        key = (id(tmpl), tuple(vals))
        hit = _NUMERIC.get(key)
        if hit is not None:
            return replace(hit)
    out = _instantiate(tmpl, phs, vals, fast)
    if numeric:
        if len(_NUMERIC) > 4096:
            _NUMERIC.clear()
        _NUMERIC[key] = replace(out, pad_=out.pad)
    return out


_NUMERIC: dict[Any, AffineMap] = {}


def _instantiate(tmpl: AffineMap, phs: list[Any], vals: list[Any], fast: bool) -> AffineMap:
    """The template's expressions with the layer's values put in."""
    sub = {s: A.to_sympy(v) for s, v in zip(phs, vals)}
    fast = fast and all(isinstance(v, sympy.Basic) and not getattr(v, "is_Number", True) for v in sub.values())

    def f(e: Any) -> Any:
        if e is None or A.is_num(e):
            return e
        if e.is_Symbol:
            return A.norm(sub.get(e, e))
        return _rebuild(e, sub) if fast else A.norm(safe_xreplace(e, sub))

    m = f(tmpl.m)
    out = AffineMap(
        m=m,
        a=f(tmpl.a),
        b=f(tmpl.b),
        c=f(tmpl.c),
        g=f(tmpl.g),
        den=f(tmpl.den),
        nfun=f(tmpl.nfun),
        nsym=0 if A.is_num(m) else 1,
        pad_=(lambda: f(tmpl.pad)) if tmpl.pad is not None else None,
        xdep=tmpl.xdep,
        centred=tmpl.centred,
    )
    if out.xdep:
        out.xdep = any(depends_on_x(v) for v in (out.m, out.a, out.b, out.c))
    if out.g is None and not out.xdep:
        ff = floor_form(out.nfun)  # e.g. 'same' padding with stride 1: n_out = n_in
        if ff is not None:
            out.g, out.den, out.nfun = A.add(1, ff[0]), ff[1], None
            out.pad_ = _pad_of(out.m, out.a, out.g, out.den)
    return out


def _pad_of(m: Any, a: Any, g: Any, den: Any) -> Any:
    """p_L + p_R = g + a when the n-denominator is the jump factor, else None."""

    if g is None or depends_on_x(a) or not same(m, den):
        return None
    return A.norm(sympy.factor_terms(sympy.expand(A.to_sympy(g) + A.to_sympy(a))))


def read_transfer(layer: Any, axis: int, convention: str) -> AffineMap:
    """Run the layer's transfer function on the generic state and read off the affine map."""

    g = generic()
    x, J, R, S, P = g["x"], g["J"], g["R"], g["S"], g["P"]
    out = layer.transfer(AxisState(n=x, j=J, r=R, start=S, P=P), axis, convention)
    who = layer.label() if hasattr(layer, "label") else type(layer).__name__

    def coef(val: Any, base: Any, what: str) -> Any:
        q = (A.to_sympy(val) - base) / J if base is not None else A.to_sympy(val) / J
        if q.free_symbols & {J, R, S, P}:
            q = sympy.expand(q)
        if q.free_symbols & {J, R, S, P}:
            raise RfsymError(f"{who}: {what} is not affine in the incoming jump; no closed form for this layer kind")
        return A.norm(q)

    m = coef(out.j, None, "the jump")
    a = coef(out.r, R, "the receptive field")
    c = coef(out.start, S, "start")
    b = coef(out.P, P, "the effective padding")
    nf = A.norm(out.n)
    if getattr(nf, "free_symbols", set()) & {J, R, S, P}:
        raise RfsymError(f"{who}: n depends on the jump or receptive field; no closed form for this layer kind")
    ff = floor_form(nf)
    gg, den, pad = None, None, None
    if ff is not None:
        den = ff[1]
        pad = _pad_of(m, a, A.add(1, ff[0]), den)
        # g = 1 + e, written as p_L + p_R - (kappa - 1) when that is what it is
        gg = A.add(pad, A.mul(-1, a)) if pad is not None else A.add(1, ff[0])
    return AffineMap(
        m=m,
        a=a,
        b=b,
        c=c,
        g=gg,
        den=den,
        nfun=None if ff else nf,
        nsym=0 if A.is_num(m) else 1,
        pad_=pad,
        xdep=any(depends_on_x(v) for v in (m, a, b, c)),
        centred=same(c, A.add(A.div(a, 2), A.mul(-1, b))),
    )


def floor_form(nf: Any) -> tuple[Any, Any] | None:
    """(e, D) with nf == floor((x + e)/D) + 1, or None."""

    x = generic()["x"]
    if nf is None or A.is_num(nf) or x not in nf.free_symbols:
        return None
    terms = sympy.Add.make_args(nf)
    floors = [t for t in terms if isinstance(t, sympy.floor)]
    if len(floors) == 1:
        fl = floors[0]
        rest = nf - fl
        if x in rest.free_symbols:
            return None
        u = fl.args[0]
        du = sympy.diff(u, x)
        if du == 0 or x in du.free_symbols or du.has(sympy.Derivative):
            return None
        den = A.norm(1 / du)
        e = sympy.expand(u * A.to_sympy(den) - x)
        if x in e.free_symbols:
            return None
        return A.norm(e + (rest - 1) * A.to_sympy(den)), den
    # n_out = x + c: floor((x + c - 1)/1) + 1
    rest = sympy.expand(nf - x)
    if x not in rest.free_symbols and not rest.has(
        sympy.floor, sympy.ceiling, sympy.Piecewise, sympy.Max, sympy.Min, sympy.Mod
    ):
        return A.norm(rest - 1), 1
    return None


# --------------------------------------------------------------------------
# composing maps
# --------------------------------------------------------------------------


def _raw(func: Any, args: Sequence[Any]) -> Any:
    """func(*args, evaluate=False) for Add/Mul of commutative scalars, without the constructor's checks
    (the joins of long stacks make tens of thousands of these)."""
    if func is sympy.Add or func is sympy.Mul:
        return func._from_args(tuple(args), True)
    return func(*args, evaluate=False)


def _horner_step(x: Any, m: Any, y: Any) -> Any:
    """``x + m*y`` as a sympy Add/Mul without re-flattening ``y`` (joins of long stacks: O(1), not O(size))."""
    if A.is_num(m) and m == 0 or A.is_num(y) and y == 0:
        return x
    if A.is_num(m) and A.is_num(y):
        my: Any = A.mul(m, y)
    elif A.is_num(m) and m == 1:
        my = y
    elif A.is_num(y) and y == 1:
        my = m
    else:
        my = _raw(sympy.Mul, (A.to_sympy(m), A.to_sympy(y)))
    if A.is_num(x) and A.is_num(my):
        return A.add(x, my)
    if A.is_num(x) and x == 0:
        return my
    if A.is_num(my) and my == 0:
        return x
    x, my = A.to_sympy(x), A.to_sympy(my)
    args = (x.args if x.is_Add else (x,)) + (my.args if my.is_Add and len(my.args) <= 8 else (my,))
    return _raw(sympy.Add, args)


def _joined(core: tuple[Any, Any, Any, Any, Any, Any], runs: Sequence[AffineMap], **extra: Any) -> AffineMap:
    """The map of consecutive runs from its composed (m, a, b, c, g, den); layer counts and flags combined."""
    return AffineMap(
        *core,  # m, a, b, c, g, den: the first six fields
        count=sum(r.count for r in runs),
        nsym=sum(r.nsym for r in runs),
        centred=all(r.centred for r in runs),
        **extra,
    )


def compose(X: AffineMap, Y: AffineMap) -> AffineMap:
    """The map of run X followed by run Y."""
    if Y.xdep:
        nx = X.n_of(generic()["x"])
        Y = replace(Y, m=at(Y.m, nx), a=at(Y.a, nx), b=at(Y.b, nx), c=at(Y.c, nx))
    add, mul = A.add, A.mul
    m = mul(X.m, Y.m)
    a = add(X.a, mul(X.m, Y.a))
    b = add(X.b, mul(X.m, Y.b))
    c = add(X.c, mul(X.m, Y.c))
    pad = g = den = nfun = None
    if X.folds and Y.folds:
        g = add(X.g, mul(X.den, Y.g))  # e = e_X + D_X (1 + e_Y): floor folding
        den = mul(X.den, Y.den)
        if X.pad is not None and Y.pad is not None:
            pad = add(X.pad, mul(X.m, Y.pad))
    else:
        nfun = Y.n_of(X.n_of(generic()["x"]))
    return _joined((m, a, b, c, g, den), (X, Y), nfun=nfun, pad_=pad, xdep=X.xdep or Y.xdep)


def compose_flat(maps: Sequence[AffineMap]) -> AffineMap:
    """Left-to-right composition written as flat sums over prefix products."""

    if len(maps) == 1:
        return maps[0]
    if any(mp.xdep or not mp.folds for mp in maps):
        out = maps[0]
        for mp in maps[1:]:
            out = compose(out, mp)
        return out
    jm: Any = 1  # jump prefix product J_{l-1}
    dn: Any = 1  # n-denominator prefix product
    ta, tb, tc, tg, tp = [], [], [], [], []
    std = all(mp.pad is not None for mp in maps)
    for mp in maps:
        ta.append(A.mul(mp.a, jm))
        tb.append(A.mul(mp.b, jm))
        tc.append(A.mul(mp.c, jm))
        tg.append(A.mul(mp.g, dn))
        if std:
            tp.append(A.mul(mp.pad, jm))
        jm = A.mul(jm, mp.m)
        dn = A.mul(dn, mp.den)

    def total(terms: list[Any]) -> Any:
        nums = [t for t in terms if A.is_num(t)]
        rest = [A.to_sympy(t) for t in terms if not A.is_num(t)]
        s = sum(nums)
        return A.norm(sympy.Add(A.to_sympy(s), *rest)) if rest else A.norm(s)

    core = (jm, total(ta), total(tb), total(tc), total(tg), dn)
    return _joined(core, maps, pad_=total(tp) if std else None)


def compose_all(maps: Sequence[AffineMap]) -> AffineMap:
    """Flat sums for small stacks; nested Horner forms for many symbolic strides."""
    if not maps:
        return identity()
    if sum(mp.nsym for mp in maps) <= FLAT_LIMIT:
        return compose_flat(maps)
    if any(mp.xdep or not mp.folds for mp in maps):
        out = maps[0]
        for mp in maps[1:]:
            out = compose(out, mp)
        return out
    return compose_big(maps)


def compose_big(maps: Sequence[AffineMap]) -> AffineMap:
    """Linear-size forms of small depth for long stacks with symbolic strides.

    Runs of about L^(1/3) layers are written in Horner form ``a1 + m1 (a2 + m2 (a3 + …))``
    with flat products ``m``; the runs are grouped the same way, three levels
    in all, so the forms have about 3 L factors and nesting depth about
    3 L^(1/3).  Joins do not re-flatten their operands (``evaluate=False``), so
    building is linear in the number of layers.
    """

    nodes = [(mp.m, mp.a, mp.b, mp.c, mp.g, mp.den) for mp in maps]
    width = max(2, round(len(nodes) ** (1 / 3)) + 1)
    while len(nodes) > 1:
        nxt = []
        for i in range(0, len(nodes), width):
            run = nodes[i : i + width]
            _, a, b, c, g, _ = run[-1]
            for mx, ax, bx, cx, gx, dx in reversed(run[:-1]):
                a = _horner_step(ax, mx, a)
                b = _horner_step(bx, mx, b)
                c = _horner_step(cx, mx, c)
                g = _horner_step(gx, dx, g)
            m = A.norm(sympy.Mul(*[A.to_sympy(r[0]) for r in run]))
            den = A.norm(sympy.Mul(*[A.to_sympy(r[5]) for r in run]))
            nxt.append((m, a, b, c, g, den))
        nodes = nxt
    return _joined(nodes[0], maps)


def identity() -> AffineMap:
    """The map of no layers (the unit of :func:`compose`)."""
    return AffineMap(m=1, a=0, b=0, c=0, g=0, den=1, count=0, pad_=0, centred=True)


# --------------------------------------------------------------------------
# integrality, proved rather than asked of sympy
# --------------------------------------------------------------------------

#: Residue tuples tried at most when proving that a quotient is an integer.
RESIDUE_LIMIT = 4096


def _residues(gen: Any, q: int, domains: dict[str, Any]) -> Any:
    """The residues modulo q that an integer-valued generator can take: a range or a set; None if not integer."""
    if isinstance(gen, (sympy.floor, sympy.ceiling)):
        return range(q)
    if isinstance(gen, sympy.Indexed) or gen.is_Symbol:
        if gen.is_integer is not True:  # a symbol's own assumption (never a derived one)
            return None
        name = getattr(gen, "name", None)
        dom = domains.get(name) if domains and isinstance(name, str) else None
        vals = dom.values(limit=RESIDUE_LIMIT) if dom is not None else None
        if vals is not None:
            return {v % q for v in vals}
        odd = gen.is_odd is True or bool(dom is not None and dom.odd)
        even = gen.is_even is True or bool(dom is not None and dom.even)
        if q % 2 == 0 and (odd or even):
            return range(1 if odd else 0, q, 2)
        return range(q)
    if isinstance(gen, (sympy.Max, sympy.Min)) and all(proved_integer(a, domains) for a in gen.args):
        return range(q)
    if gen.is_Pow and gen.base.is_Integer:
        return _power_residues(int(gen.base), gen.exp, q, domains)
    return None


def _power_residues(base: int, exp: Any, q: int, domains: dict[str, Any]) -> set[int] | None:
    """The residues modulo q of ``base**exp`` for an exponent ``x + c`` (x an integer symbol, c an integer)
    that is proved non-negative by x's own lower bound; None otherwise.

    ``base**e mod q`` is a function of ``base**(e - step) mod q``, so the residues
    seen from the smallest exponent on, stepping by the domain's step, repeat as
    soon as one value repeats: at most q + 1 steps.
    """
    sym, c = exp, 0
    if exp.is_Add:
        consts = [a for a in exp.args if a.is_Integer]
        rest = [a for a in exp.args if not a.is_Integer]
        if len(rest) != 1 or len(consts) != 1:
            return None
        sym, c = rest[0], int(consts[0])
    if not sym.is_Symbol or sym.is_integer is not True:
        return None
    dom = domains.get(sym.name) if domains else None
    lows = [0 if sym.is_nonnegative is True else None, 1 if sym.is_positive is True else None]
    if dom is not None:
        lows.append(dom.lower)
    known = [v for v in lows if v is not None]
    if not known or max(known) + c < 0:
        return None
    vals = dom.values(limit=RESIDUE_LIMIT) if dom is not None else None
    if vals is not None:
        return {pow(base, v + c, q) for v in vals}
    odd = sym.is_odd is True or bool(dom is not None and dom.odd)
    even = sym.is_even is True or bool(dom is not None and dom.even)
    step = 2 if odd or even else 1
    lo = max(known)
    if step == 2 and lo % 2 != (1 if odd else 0):
        lo += 1
    cur, seen = pow(base, lo + c, q), set()
    while cur not in seen:
        seen.add(cur)
        cur = cur * pow(base, step, q) % q
    return seen


def proved_integer(expr: Any, domains: dict[str, Any] | None = None) -> bool:
    """True when expr is an integer for every admissible value of its symbols, proved by residues.

    expr is brought to ``num / q`` with ``num`` a polynomial with integer
    coefficients in integer-valued generators (integer symbols, floors) and q a
    positive integer; it is an integer iff ``num ≡ 0 (mod q)`` for every tuple of
    the generators' residues (odd/even and the declared ``domains`` restrict
    them).  False when that cannot be shown (symbolic denominators, too many
    residues): sympy's own ``is_integer`` of a quotient is not used (sympy 1.14
    says ``(x/6).is_integer`` is True for even x).
    """
    return integrality(expr, domains) is True


def integrality(expr: Any, domains: dict[str, Any] | None = None) -> bool | None:
    """True: expr is an integer for every admissible value; False: for none; None: not proved either way."""
    expr = A.norm(expr)
    if A.is_num(expr):
        return isinstance(expr, int)
    if not isinstance(expr, sympy.Basic) or expr.has(sympy.Piecewise, sympy.Sum, sympy.Product, sympy.Subs):
        return None
    if not _small(expr, 400):
        return None
    found = _integer_poly(expr, domains or {})
    if found is None:
        if sympy.fraction(expr)[1].is_Number or not _small(expr, 60):
            return None
        found = _integer_poly(sympy.cancel(expr), domains or {})  # (k s - s)/s
        if found is None:
            return None
    poly, q, gens = found
    if q == 1:
        return True
    if q > RESIDUE_LIMIT:
        return None
    total = 1
    for r in gens:
        total *= len(r)
        if total > RESIDUE_LIMIT:
            return None
    terms = [(tuple(m), int(c * q)) for m, c in poly.terms()]
    seen = set()
    for point in itertools.product(*[sorted(r) for r in gens]):
        seen.add(sum(c * _monomial(point, m, q) for m, c in terms) % q == 0)
        if len(seen) == 2:
            return None
    return seen.pop() if seen else None


def _small(expr: Any, limit: int) -> bool:
    """True when expr has at most ``limit`` nodes (stops counting early)."""
    count = 0
    for _ in sympy.preorder_traversal(expr):
        count += 1
        if count > limit:
            return False
    return True


def _has_inverse(e: Any) -> bool:
    """A power with a non-positive-integer exponent outside floors and ceilings (which are integers)."""
    if isinstance(e, (sympy.floor, sympy.ceiling)):
        return False
    if e.is_Pow and not (e.exp.is_Integer and e.exp > 0) and not (e.base.is_Integer and not e.exp.is_Number):
        return True  # (an integer to a symbolic power is a generator; _power_residues decides its sign)
    return any(_has_inverse(a) for a in e.args)


def _integer_poly(expr: Any, domains: dict[str, Any]) -> tuple[Any, int, list[Any]] | None:
    """(poly, q, residues per generator): expr as a polynomial with coefficients in (1/q)Z, or None."""
    if _has_inverse(expr):
        return None  # a symbolic denominator or root: not a polynomial in integer generators
    try:
        poly = sympy.Poly(expr)
    except (sympy.PolynomialError, sympy.GeneratorsNeeded):
        return None
    coeffs = poly.coeffs()
    if not all(c.is_Rational for c in coeffs):
        return None
    q = math.lcm(*[int(c.q) for c in coeffs])
    if q > RESIDUE_LIMIT:
        return poly, q, []
    gens = [_residues(g, q, domains) for g in poly.gens]
    if any(r is None for r in gens):
        return None
    return poly, q, gens


def _monomial(point: tuple[int, ...], powers: tuple[int, ...], q: int) -> int:
    out = 1
    for v, e in zip(point, powers):
        if e:
            out = out * pow(v, e, q) % q
    return out


def int_floor(u: Any, domains: dict[str, Any] | None = None) -> Any:
    """floor(u), keeping the floor unless integrality is proved (:func:`proved_integer`).

    Terms of a sum that are proved integers move out of the floor, as sympy
    does; nothing is dropped on sympy's word alone.
    """
    return _int_round(u, domains, sympy.floor)


def int_ceiling(u: Any, domains: dict[str, Any] | None = None) -> Any:
    """ceiling(u), keeping the ceiling unless integrality is proved."""
    return _int_round(u, domains, sympy.ceiling)


def _int_round(u: Any, domains: dict[str, Any] | None, func: Any) -> Any:
    u = A.norm(u)
    if A.is_num(u):
        return A.floor(u) if func is sympy.floor else A.ceil(u)
    u = A.to_sympy(u)
    if u.is_Number:
        return A.norm(func(u))
    if (len(u.args) <= 32 or not u.is_Add) and proved_integer(u, domains):
        return A.norm(u)
    whole = [t for t in u.args if proved_integer(t, domains)] if u.is_Add else []
    rest = sympy.Add(*[t for t in sympy.Add.make_args(u) if t not in whole]) if whole else u
    inner = A.norm(func(rest)) if rest.is_Number else func(rest, evaluate=False)
    return A.norm(sympy.Add(*whole, inner)) if whole else inner


def safe_xreplace(expr: Any, mapping: dict[Any, Any], domains: dict[str, Any] | None = None) -> Any:
    """expr.xreplace(mapping), rebuilding floors and ceilings with :func:`int_floor`/:func:`int_ceiling`.

    sympy's own rebuild re-evaluates ``floor(u)`` and drops it whenever it
    believes u is an integer, which it gets wrong for quotients of
    parity-restricted symbols.
    """
    if not mapping or not isinstance(expr, sympy.Basic):
        return expr
    memo: dict[Any, Any] = {}

    def walk(e: Any) -> Any:
        hit = mapping.get(e)
        if hit is not None:
            return hit
        if not e.args:
            return e
        got = memo.get(e)
        if got is not None:
            return got
        args = [walk(a) for a in e.args]
        if all(a is b for a, b in zip(args, e.args)):
            out = e
        elif isinstance(e, sympy.floor):
            out = A.to_sympy(int_floor(args[0], domains))
        elif isinstance(e, sympy.ceiling):
            out = A.to_sympy(int_ceiling(args[0], domains))
        else:
            out = e.func(*args)
        memo[e] = out
        return out

    return walk(expr)


# --------------------------------------------------------------------------
# order, proved rather than asked of sympy
# --------------------------------------------------------------------------

#: Largest expression (in nodes) the order prover expands; larger ones are left undecided.
ORDER_SIZE_LIMIT = 4000


def lower_bound(gen: Any, domains: dict[str, Any] | None = None) -> Any:
    """The smallest value a generator can take, or None: a symbol's own assumptions (positive integer: 1,
    non-negative: 0) raised by its declared domain's ``min``/``choices``; ``b**e`` with ``b >= 1`` and a
    non-negative exponent: 1.  Derived assumptions of compound expressions are never asked."""
    if isinstance(gen, sympy.Symbol):
        lo: Any = None
        if gen.is_positive:
            lo = 1 if gen.is_integer else 0
        elif gen.is_nonnegative:
            lo = 0
        dom = None if isinstance(gen, sympy.Dummy) or not domains else domains.get(gen.name)
        dlo = getattr(dom, "lower", None)
        if dlo is not None and (gen.is_integer or dlo >= 0):
            lo = dlo if lo is None else max(lo, dlo)
        return lo
    if isinstance(gen, sympy.Indexed):
        base = gen.base.label if hasattr(gen.base, "label") else gen.base
        if gen.is_positive or getattr(base, "is_positive", False):
            return 1 if (gen.is_integer or getattr(base, "is_integer", False)) else 0
        if gen.is_nonnegative or getattr(base, "is_nonnegative", False):
            return 0
        return None
    if gen.is_Pow:
        b = lower_bound(gen.base, domains) if isinstance(gen.base, (sympy.Symbol, sympy.Indexed)) else None
        e = gen.exp
        e_ok = (e.is_Integer and e >= 0) or (
            isinstance(e, sympy.Symbol) and (lower_bound(e, domains) or -1) >= 0 and e.is_integer
        )
        if b is not None and b >= 1 and e_ok:
            return 1
    return None


def _poly_sign(expr: Any, domains: dict[str, Any] | None) -> tuple[bool, bool, bool, bool] | None:
    """(>= 0, > 0, <= 0, < 0) proved for a polynomial expr, or None when it is not one we can read.

    Every generator ``g`` (a symbol, an indexed symbol, a power ``b**e``) is written ``lo + y`` with
    ``lo`` its :func:`lower_bound` and ``y >= 0``; a polynomial in the ``y`` whose coefficients are all
    ``>= 0`` is ``>= 0`` for every admissible value (and ``> 0`` if its constant term is positive).
    Generators are treated as independent, which can only lose proofs, never make a wrong one.
    """
    try:
        poly = sympy.Poly(expr)
    except (sympy.PolynomialError, sympy.GeneratorsNeeded):
        return None
    if not all(c.is_Rational for c in poly.coeffs()):
        return None
    los = [lower_bound(g, domains) for g in poly.gens]
    if any(lo is None for lo in los):
        return None
    ys = [sympy.Dummy(f"y{i}", nonnegative=True) for i in range(len(poly.gens))]
    shifted = sympy.Poly(sympy.expand(poly.as_expr(*[lo + y for lo, y in zip(los, ys)])), *ys)
    terms = shifted.terms() or [((0,) * len(ys), sympy.Integer(0))]
    # y > 0 strictly for a positive real generator bounded by 0 (a jump J > 0, not an integer)
    strict = [bool(g.is_positive) and lo == 0 for g, lo in zip(poly.gens, los)]

    def sure(mono: tuple[int, ...]) -> bool:  # the monomial is > 0 for every admissible value
        return all(strict[i] for i, e in enumerate(mono) if e)

    nonneg = all(c >= 0 for _, c in terms)
    nonpos = all(c <= 0 for _, c in terms)
    pos = nonneg and any(c > 0 and sure(mono) for mono, c in terms)
    neg = nonpos and any(c < 0 and sure(mono) for mono, c in terms)
    return nonneg, pos, nonpos, neg


def sign(expr: Any, domains: dict[str, Any] | None = None) -> tuple[bool, bool, bool, bool]:
    """(>= 0, > 0, <= 0, < 0), each True only when proved for every admissible value of the symbols.

    Polynomials are read by :func:`_poly_sign` (shifted coefficients); a quotient by the signs of its
    numerator and denominator.  Floors, Max/Min, Piecewise, sums and anything larger than
    ``ORDER_SIZE_LIMIT`` nodes are left undecided (all False).  sympy's ``is_nonnegative`` of a
    compound expression is never used.
    """
    expr = A.norm(expr)
    if A.is_num(expr):
        return expr >= 0, expr > 0, expr <= 0, expr < 0
    none = (False, False, False, False)
    if not isinstance(expr, sympy.Basic) or expr.has(*_KINKS, sympy.Sum, sympy.Product):
        return none
    if not _small(expr, ORDER_SIZE_LIMIT):
        return none
    if _has_inverse(expr):
        num, den = sympy.fraction(sympy.together(expr))
        sd = _poly_sign(den, domains) if not den.is_Number else (den >= 0, den > 0, den <= 0, den < 0)
        sn = _poly_sign(num, domains)
        if sd is None or sn is None:
            return none
        if sd[1]:
            return sn
        if sd[3]:
            return sn[2], sn[3], sn[0], sn[1]
        return none
    got = _poly_sign(sympy.expand(expr), domains)
    return got if got is not None else none


def proved_ge(a: Any, b: Any, domains: dict[str, Any] | None = None, strict: bool = False) -> bool:
    """a >= b (a > b with ``strict``) for every admissible value of the symbols, proved (:func:`sign`)."""
    s = sign(A.add(a, A.mul(-1, b)), domains)
    return s[1] if strict else s[0]


# --------------------------------------------------------------------------
# inversion: the smallest valid input
# --------------------------------------------------------------------------

#: Numeric size maps that are not floors or linear are inverted by search up to this size.
SEARCH_CAP = 2**80
_KINKS = (sympy.floor, sympy.ceiling, sympy.Piecewise, sympy.Max, sympy.Min, sympy.Mod, sympy.Subs)


def _ceil_quotient(num: Any, den: Any) -> Any:
    """ceil(num / den) for an integer num and a positive den; symbolic quotients keep their ceiling
    (sympy's integrality of a quotient is not trusted: ``(x/6).is_integer`` is True for even x)."""
    if A.is_num(num) and A.is_num(den):
        return A.ceil(A.div(num, den))
    if A.is_num(den) and den == 1:
        return num
    q = A.to_sympy(num) / A.to_sympy(den)
    return sympy.ceiling(q, evaluate=False) if not q.is_Number else A.ceil(A.norm(q))


def _linear_in_x(nf: Any) -> tuple[Any, Any] | None:
    """(alpha, beta) with nf == alpha x + beta and alpha free of x, or None."""
    if not isinstance(nf, sympy.Basic) or nf.has(*_KINKS):
        return None
    alpha = sympy.expand(sympy.diff(nf, X))
    if X in alpha.free_symbols:
        return None
    beta = sympy.expand(nf - alpha * X)
    if X in beta.free_symbols:
        return None
    return A.norm(alpha), A.norm(beta)


def _invert(mp: AffineMap, need: Any) -> Any:
    """The smallest input x (any integer) with n_out(x) >= need, or None when it cannot be said."""
    if mp.folds:
        # floor((x + e)/D) + 1 >= need  <=>  x >= (need - 1) D - e   (integers e, need; positive integer D)
        x = A.add(A.mul(A.add(need, -1), mp.den), A.mul(-1, mp.e))
        x = A.ceil(x) if A.is_num(x) else x
        if mp.min_in is not None:  # a composed run: its inner layers must be non-empty too
            x = A.maximum(x, mp.min_in)
        return x
    lin = _linear_in_x(mp.nfun) if not A.is_num(mp.nfun) else None
    if lin is not None and (lin[0] > 0 if A.is_num(lin[0]) else lin[0].is_positive is True):
        return _ceil_quotient(A.add(need, A.mul(-1, lin[1])), lin[0])
    nf = mp.nfun
    if A.is_num(nf) or not (nf.free_symbols <= {X}) or not A.is_num(need):
        return None  # a constant size map, or a symbolic one that is not linear: no closed form here
    found = smallest(lambda x: _at_least(mp.n_of(x), need), 1, SEARCH_CAP)
    return found.value


def _at_least(n: Any, need: Any) -> bool:
    n = A.norm(sympy.Subs(n).doit() if isinstance(n, sympy.Subs) else n)
    return A.is_num(n) and n >= need


def smallest_input(maps: Sequence[AffineMap], need: Any = 1) -> Any:
    """The smallest input size for which every map's output is non-empty and the last one has ``need`` features.

    The size maps are inverted backwards, ``need_in = max(1, smallest x with n_out(x) >= need_out)``,
    which is exact because every layer kind's output size is non-decreasing in its input size.
    Symbolic stacks whose size maps all fold use the prefixes instead: prefix l has
    ``n_l = floor((x + e_l)/D_l) + 1 >= 1  <=>  x >= -e_l``, so the answer is the flat
    ``Max(1, -e_1, …, -e_L)`` (no nesting, however long the stack).
    None when some map's size function has no inverse here (a symbolic size map that is neither a
    floor nor linear, such as n-dependent ``same`` padding or ``ceil_mode`` with symbols).
    """
    symbolic = any(not (A.is_num(mp.g) and A.is_num(mp.den)) for mp in maps)
    if symbolic and need == 1 and maps and all(mp.folds for mp in maps):
        return _prefix_bound(maps)
    for mp in reversed(maps):
        x = _invert(mp, need)
        if x is None:
            return None
        need = A.maximum(1, x)
    return need


def _prefix_bound(maps: Sequence[AffineMap]) -> Any:
    """Max(1, -e_1, …, -e_L) over the prefixes' folded offsets (1 - g_l, g_l = Σ D_{i-1} g_i)."""
    terms: list[Any] = []
    den: Any = 1
    bounds: list[Any] = [1]
    for mp in maps:
        terms.append(A.to_sympy(A.mul(den, mp.g)))
        den = A.mul(den, mp.den)
        bound = A.norm(1 - sympy.Add(*terms))
        if A.is_num(bound):
            bounds[0] = max(bounds[0], bound) if A.is_num(bounds[0]) else bounds[0]
            continue
        bounds.append(bound)
    if len(bounds) <= 6:
        out: Any = bounds[0]
        for b in bounds[1:]:
            out = A.maximum(out, b)
        return out
    return sympy.Max(*dict.fromkeys(A.to_sympy(b) for b in bounds), evaluate=False)


def same(a: Any, b: Any) -> bool:
    """a == b, proved by expansion (False when undecided or too large to expand)."""
    if A.is_num(a) and A.is_num(b):
        return a == b
    d = A.to_sympy(a) - A.to_sympy(b)
    if d == 0:
        return True
    if sympy.count_ops(d, visual=False) > 2000:
        return False
    return sympy.expand(d) == 0


def equivalent(layers: Sequence[Layer], name: str, axes: Sequence[int], convention: str = "framework") -> Layer:
    """The single convolution (kernel R, stride J, padding (P, total - P)) equivalent to a stack.

    One composed map per axis: R = 1 + a, J = m, P = b and the total padding
    Σ (p_L + p_R) J_{l-1}; it exists when n is one floor whose denominator is the
    jump and nothing depends on the input size.
    """
    ks, ss, pads = [], [], []
    for ax in axes:
        where = f"{name} (axis {ax})" if len(axes) > 1 else name
        total = compose_all([layer_map(lay, ax, convention) for lay in layers])
        if total.xdep:
            raise RfsymError(f"{where}: padding depends on the input size; no single equivalent layer")
        if total.pad is None:
            raise RfsymError(f"{where}: the output size is not a single floor of the input; no single equivalent layer")
        j = A.norm(total.m)
        if not proved_integer(j):
            raise RfsymError(f"{where}: the jump {A.fmt(j)} is not an integer; no single equivalent convolution")
        if not same(total.den, j):
            raise RfsymError(f"{where}: the output size does not step with the jump; no single equivalent layer")
        ks.append(A.norm(A.add(1, total.a)))
        ss.append(j)
        pads.append((A.norm(total.b), A.norm(A.add(total.pad, A.mul(-1, total.b)))))
    label = f"{name}-equivalent"
    if len(axes) == 1:
        return Conv(kernel=ks[0], stride=ss[0], padding=list(pads[0]), name=label)
    return Conv(kernel=list(ks), stride=list(ss), padding=[list(p) for p in pads], name=label)


def power(mp: AffineMap, times: int) -> AffineMap:
    """The map of ``times`` copies of a run (repeated squaring: O(log times) compositions).

    A numeric folding run also gets ``min_in``, the smallest input keeping every
    inner output non-empty: with b = the run's own bound, g its offset and D its
    denominator, c copies before a prefix of the next give the bound
    ``1 - g (1 + D + … + D^(c-1)) + D^c (b - 1)``, monotone in c, so the largest is
    at c = 0 or c = times - 1.
    """
    if times < 1:
        return identity()
    out, base, k = identity(), mp, times
    while k:
        if k & 1:
            out = compose(out, base)
        k >>= 1
        if k:
            base = compose(base, base)
    out.count, out.nsym = mp.count * times, mp.nsym * times
    if mp.folds and A.is_num(mp.g) and A.is_num(mp.den) and mp.min_in is not None:
        g, den, b = mp.g, mp.den, max(1, mp.min_in)
        geo = (times - 1) if den == 1 else (den ** (times - 1) - 1) // (den - 1)
        last = 1 - g * geo + den ** (times - 1) * (b - 1)
        out.min_in = max(b, last)
    return out


#: Symbolic layers whose padding depends on the input size ('same' with a symbolic stride or kernel):
#: each nests the previous size inside a Mod and a Max, so the work doubles per layer.
NDEP_LIMIT = 4


def check_n_dependent(layers: Sequence[Layer], lmaps: Sequence[AffineMap], where: str) -> None:
    """Refuse, before any composition, more than NDEP_LIMIT symbolic layers with n-dependent padding."""
    heavy = [lay for lay, mp in zip(layers, lmaps) if mp.xdep and lay.free_symbols]
    if len(heavy) > NDEP_LIMIT:
        names = ", ".join(lay.label() for lay in heavy[:6]) + (", ..." if len(heavy) > 6 else "")
        raise RfsymError(
            f"{where}: {len(heavy)} layers with 'same' padding and symbolic parameters ({names}); their padding "
            f"depends on the input size modulo the stride and the forms double in size with each one "
            f"(limit {NDEP_LIMIT}): give their kernel and stride numbers, or explicit padding"
        )
