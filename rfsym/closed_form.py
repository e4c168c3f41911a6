"""Closed forms of n, j, r, start and effective padding for sequential stacks.

The per-layer arithmetic is *not* repeated here: every layer is run through its
own :meth:`~rfsym.layers.Layer.transfer` on a generic symbolic state
``(x, J, R, S, P)``, and the result is read as an affine map

    j_out = m j_in,  r_out = r_in + a j_in,  start_out = start_in + c j_in,
    P_out = P_in + b j_in,  n_out = floor((n_in + e) / D) + 1  (or any f(n_in)).

Such maps form a monoid: a run X followed by Y has

    m = m_X m_Y,   a = a_X + m_X a_Y,   b = b_X + m_X b_Y,   c = c_X + m_X c_Y,
    D = D_X D_Y,   e = e_X + D_X (1 + e_Y)          (floor folding)

where the last line is ``floor((floor((x + e_X)/D_X) + 1 + e_Y)/D_Y) =
floor((x + e_X + D_X (1 + e_Y))/(D_X D_Y))``, valid for an integer ``1 + e_Y``
and a positive integer ``D_Y`` (DESIGN.md §1).  For a whole stack this gives

    J = prod s_l,  R = 1 + sum (kappa_l - 1) J_{l-1},  P = sum p_{L,l} J_{l-1},
    start = origin + (R - 1)/2 - P,
    n = floor((N + sum (p_{L,l} + p_{R,l}) J_{l-1} - R) / J) + 1.

Small stacks are composed left to right, which yields these flat sums.  Stacks
with many symbolic strides are composed as a balanced tree of flat chunks, so
the expressions stay linear in size and logarithmic in depth (a 1000-layer,
4000-symbol stack derives and prints in well under a second).  A
``Repeat(block, times=L)`` with symbolic ``L`` becomes sums and products over
the copies, which sympy evaluates as geometric sums where it can; indexed
parameters (``k[l]``) stay as ``Sum``/``Product`` (the general L-layer stack).

References: Araujo, Norris, Sim, *Computing Receptive Fields of Convolutional
Neural Networks*, Distill 2019; Dang Ha The Hien, *A guide to receptive field
arithmetic for CNNs*, 2017.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from . import _arith as A
from .errors import RfsymError
from ._display import LatexPrintable

__all__ = ["ClosedForms", "derive", "display", "equivalent", "general_stack"]

#: Above this many layers with a symbolic jump factor, compose as a balanced tree.
FLAT_LIMIT = 48
#: Leaves of the balanced tree: runs of this many layers in Horner form.
CHUNK = 24

KEYS = ("n", "j", "r", "start", "P")


# --------------------------------------------------------------------------
# the result object
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosedForms(LatexPrintable):
    """Closed forms of the output of a network (one axis, or one entry per axis).

    Attributes ``n``, ``j``, ``r``, ``start`` and ``P`` (alias
    ``effective_padding``) are sympy expressions for a one-axis network; for an
    N-D network they are tuples with one expression per axis, in axis order,
    and :meth:`axis` returns the one-axis forms.  ``input`` is the input size
    (a symbol such as ``n`` unless a number was given), ``conditions`` lists
    the facts the forms rely on (each a sentence), ``assumptions`` maps each
    free symbol to the assumptions sympy used.
    """

    n: Any
    j: Any
    r: Any
    start: Any
    P: Any
    input: Any
    convention: str = "framework"
    origin: Any = Fraction(1, 2)
    conditions: tuple[str, ...] = ()
    assumptions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    name: str = "network"
    axes: tuple[ClosedForms, ...] | None = field(default=None, repr=False, compare=False)
    #: Σ (p_L + p_R) J_{l-1}: total padding of the equivalent layer (None when n is not a single floor)
    total_padding_: Any = field(default=None, repr=False, compare=False)
    #: True for long stacks whose forms are nested (Horner) rather than flat sums
    compact: bool = field(default=False, repr=False, compare=False)

    @property
    def total_padding(self) -> Any:
        if callable(self.total_padding_):
            object.__setattr__(self, "total_padding_", A.norm(self.total_padding_()))
        return self.total_padding_

    @property
    def effective_padding(self) -> Any:
        return self.P

    @property
    def ndim(self) -> int:
        return 1 if self.axes is None else len(self.axes)

    def axis(self, i: int) -> ClosedForms:
        """The one-axis forms of axis ``i``."""
        if self.axes is None:
            if i != 0:
                raise RfsymError(f"{self.name}: axis {i} out of range (the forms have one axis)")
            return self
        try:
            return self.axes[i]
        except IndexError:
            raise RfsymError(f"{self.name}: axis {i} out of range (the forms have {len(self.axes)} axes)") from None

    def as_dict(self) -> dict[str, Any]:
        """``{"n", "j", "r", "start", "effective_padding"}`` → expressions (tuples per axis when N-D)."""
        return {"n": self.n, "j": self.j, "r": self.r, "start": self.start, "effective_padding": self.P}

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of DESIGN.md §3: exact strings in sympy syntax, integers as integers."""
        out: dict[str, Any] = {}
        for key, val in self.as_dict().items():
            if self.axes is None:
                out[key] = _json(val, self.compact)
            else:
                out[key] = [_json(v, self.compact) for v in val]
        return out

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict(), indent=2)

    def to_text(self) -> str:
        lines = [f"{self.name}: closed forms of the output ({self.convention} convention, origin {A.fmt(self.origin)})"]
        lines.append(f"  input  = {_axes_str(self.input, self.axes, self.compact)}")
        for key, label in (("n", "n"), ("j", "j"), ("r", "r"), ("start", "start"), ("effective_padding", "P")):
            val = self.as_dict()[key]
            lines.append(f"  {label:<6} = {_axes_str(val, self.axes, self.compact)}")
        if self.conditions:
            lines.append("conditions:")
            lines.extend(f"  - {c}" for c in self.conditions)
        return "\n".join(lines) + "\n"

    def latex_lines(self, **settings: Any) -> list[str]:
        """One ``name &= form`` line per form (and per axis), printed by a sympy LatexPrinter subclass."""
        if not self.compact:
            from sympy.printing.latex import LatexPrinter

            printer = LatexPrinter(settings)
        else:
            printer = _forms_printer(settings)
        out = []
        names = {"n": "n_{\\mathrm{out}}", "j": "j", "r": "r", "start": "\\mathrm{start}", "effective_padding": "P"}
        for key, val in self.as_dict().items():
            vals = [val] if self.axes is None else list(val)
            for ax, v in enumerate(vals):
                sub = "" if self.axes is None else f"^{{({ax})}}"
                shown = A.to_sympy(v) if self.compact else display(v)
                out.append(f"{names[key]}{sub} &= {printer.doprint(shown)}")
        return out

    def to_latex(self, **settings: Any) -> str:
        """An ``align*`` environment with the five forms."""
        body = " \\\\\n".join(self.latex_lines(**settings))
        return "\\begin{align*}\n" + body + "\n\\end{align*}\n"

    def _repr_latex_(self) -> str:
        return "$\\displaystyle " + " \\quad ".join(ln.replace("&", "") for ln in self.latex_lines()) + "$"

    def __str__(self) -> str:
        return self.to_text()

    def subs(self, mapping: dict[Any, Any]) -> ClosedForms:
        """Forms with symbols (by name or Symbol) replaced; ``doit`` evaluates sums and products."""
        by_name = {k: A.to_sympy(v) for k, v in mapping.items() if isinstance(k, str)}
        direct = {k: A.to_sympy(v) for k, v in mapping.items() if not isinstance(k, str)}

        def f(e: Any) -> Any:
            if isinstance(e, tuple):
                return tuple(f(x) for x in e)
            e = A.to_sympy(e)
            if not hasattr(e, "free_symbols"):
                return e
            import sympy

            labels = {b.label for b in e.atoms(sympy.IndexedBase)} if e.has(sympy.Indexed) else set()
            syms = {
                s: by_name[s.name]
                for s in e.free_symbols
                if getattr(s, "name", None) in by_name and s not in labels and s.is_Symbol
            }
            syms.update({s: v for s, v in direct.items() if s in e.free_symbols})
            if not syms:
                return e
            if e.has(sympy.Sum, sympy.Product):
                out = e.subs(syms).doit()  # subs respects bound indices
                if direct and out.free_symbols & set(direct):  # indexed values appear only after doit
                    out = out.xreplace(direct)
            else:
                out = e.xreplace(syms)  # fast on long (nested) forms; subs is quadratic there
                if out.has(sympy.Subs):
                    out = out.doit()
            return A.norm(out)

        return replace(
            self,
            **{k: f(getattr(self, k)) for k in KEYS},
            input=f(self.input),
            axes=tuple(a.subs(mapping) for a in self.axes) if self.axes else None,
            total_padding_=f(self.total_padding) if self.total_padding is not None else None,
        )

    def evaluate(self, n: Any) -> dict[str, Any]:
        """Exact values of the five forms at input size ``n`` (one axis)."""
        if self.axes is not None:
            raise RfsymError(f"{self.name}: evaluate works on one axis; use .axis(i)")
        sym = self.input
        out = {}
        for k in KEYS:
            e = A.to_sympy(getattr(self, k))
            if hasattr(sym, "free_symbols") and getattr(sym, "is_Symbol", False):
                e = e.xreplace({sym: A.to_sympy(n)})
            if hasattr(e, "has") and e.has(_subs_class()):
                e = e.doit()
            out[k] = A.norm(e)
        return out

    def sweep(self) -> Any:
        """A fast exact evaluator ``f(sizes) -> (n, j, r, start, P)`` over many input sizes.

        Needs numeric layer parameters (only the input symbolic) and n as one
        folded floor: ``n = (N + e) // D + 1`` in exact integer arithmetic;
        the other forms do not depend on N.
        """
        if self.axes is not None:
            raise RfsymError(f"{self.name}: sweep works on one axis; use .axis(i)")
        if self.total_padding is None or self._fold is None:
            raise RfsymError(f"{self.name}: n is not a single floor here; sweep needs a floor-folded n")
        e, den = self._fold
        if not (A.is_num(e) and isinstance(den, int)):
            raise RfsymError(
                f"{self.name}: sweep needs numeric layer parameters (free: {self.free_symbols - {self.input}})"
            )
        others = {k: A.norm(getattr(self, k)) for k in ("j", "r", "start", "P")}
        if not all(A.is_num(v) for v in others.values()):
            raise RfsymError(f"{self.name}: j, r, start and P depend on the input; sweep needs them constant")
        if isinstance(e, int):

            def run(sizes: Any) -> tuple[Any, ...]:
                nn: Any
                try:
                    import numpy as np

                    arr = np.asarray(sizes, dtype=np.int64)
                    nn = (arr + e) // den + 1
                except ImportError:  # pragma: no cover
                    nn = [(int(x) + e) // den + 1 for x in sizes]
                return nn, others["j"], others["r"], others["start"], others["P"]

            return run
        raise RfsymError(f"{self.name}: the folded offset {e} is not an integer")

    @property
    def free_symbols(self) -> set[Any]:
        out: set[Any] = set()
        for k in KEYS:
            v = getattr(self, k)
            for e in v if isinstance(v, tuple) else (v,):
                out |= getattr(A.to_sympy(e), "free_symbols", set())
        return out

    # set by derive: (e, D) of the folded floor n = floor((N + e)/D) + 1, or None
    _fold: Any = field(default=None, repr=False, compare=False)
    # set by derive for numeric stacks: the smallest input with non-empty outputs
    _min_input: Any = field(default=None, repr=False, compare=False)


def _forms_printer(settings: dict[str, Any]) -> Any:
    """sympy's LatexPrinter with memoised symbol names and subtree queries (linear time on long stacks)."""
    from sympy.printing.latex import LatexPrinter

    class FormsLatexPrinter(LatexPrinter):
        def __init__(self, settings: dict[str, Any]) -> None:
            super().__init__(settings)
            self._kinds_memo: dict[int, tuple[Any, frozenset[type]]] = {}
            self._sym_memo: dict[Any, str] = {}

        def _kinds(self, expr: Any) -> frozenset[type]:
            hit = self._kinds_memo.get(id(expr))
            if hit is not None and hit[0] is expr:
                return hit[1]
            kinds = {type(expr)}
            for a in getattr(expr, "args", ()):
                kinds |= self._kinds(a)
            out = frozenset(kinds)
            self._kinds_memo[id(expr)] = (expr, out)
            return out

        def _has(self, expr: Any, *classes: type) -> bool:
            return any(issubclass(t, classes) for t in self._kinds(expr))

        def _needs_mul_brackets(self, expr: Any, first: bool = False, last: bool = False) -> bool:
            from sympy import Integral, Mod, Product, Sum
            from sympy.printing.precedence import PRECEDENCE, precedence_traditional

            if expr.is_Mul:
                if not first and expr.could_extract_minus_sign():
                    return True
            elif precedence_traditional(expr) < PRECEDENCE["Mul"]:
                return True
            elif expr.is_Relational:
                return True
            if expr.is_Piecewise or self._has(expr, Mod):
                return True
            return not last and self._has(expr, Integral, Product, Sum)

        def _needs_add_brackets(self, expr: Any) -> bool:
            from sympy import Mod

            return bool(expr.is_Relational or expr.is_Add or self._has(expr, Mod))

        def _print_Symbol(self, expr: Any, style: str = "plain") -> str:
            key = (expr, style)
            hit = self._sym_memo.get(key)
            if hit is None:
                hit = self._sym_memo[key] = super()._print_Symbol(expr, style=style)
            return hit

        # Fast paths for the products and sums of long stacks: integer coefficient,
        # no denominators.  Anything else goes to sympy's own methods.
        def _simple_factors(self, expr: Any) -> tuple[Any, list[Any]] | None:
            args = list(expr.args)
            coef = 1
            if args and args[0].is_Number:
                if not args[0].is_Integer:
                    return None
                coef = int(args[0])
                args = args[1:]
            for a in args:
                if a.is_Number or (a.is_Pow and not (a.exp.is_Integer and a.exp > 0)) or a.is_Mul:
                    return None
            return coef, sorted(args, key=_natural_key) if all(a.is_Symbol for a in args) else args

        def _factors_tex(self, factors: list[Any]) -> str:
            out = []
            for i, f in enumerate(factors):
                tex = self._print(f)
                if self._needs_mul_brackets(f, first=(i == 0), last=(i == len(factors) - 1)):
                    tex = r"\left(" + tex + r"\right)"
                out.append(tex)
            return " ".join(out)

        def _print_Mul(self, expr: Any) -> str:
            simple = self._simple_factors(expr)
            if simple is None:
                return super()._print_Mul(expr)
            coef, factors = simple
            body = self._factors_tex(factors)
            if coef == 1:
                return body
            if coef == -1:
                return "- " + body
            return f"{coef} {body}"

        def _print_Add(self, expr: Any, order: Any = None) -> str:
            tex = ""
            terms = [t for t in expr.args if not t.is_Number] + [t for t in expr.args if t.is_Number]
            for i, term in enumerate(terms):
                simple = self._simple_factors(term) if term.is_Mul else None
                if simple is not None and simple[0] < 0:
                    coef, factors = simple
                    body = self._factors_tex(factors)
                    body = body if coef == -1 else f"{-coef} {body}"
                    tex += " - " + body if i else "- " + body
                    continue
                if term.is_Integer and term < 0:
                    tex += f" - {-int(term)}" if i else f"- {-int(term)}"
                    continue
                if term.is_Mul and simple is None and term.could_extract_minus_sign():
                    tex += (" - " if i else "- ") + self._bracket_add(-term)
                    continue
                tex += (" + " if i else "") + self._bracket_add(term)
            return tex

        def _bracket_add(self, term: Any) -> str:
            t = self._print(term)
            return r"\left(" + t + r"\right)" if self._needs_add_brackets(term) else t

    settings = dict(settings)
    settings.setdefault("order", "none")
    return FormsLatexPrinter(settings)


def _natural_key(s: Any) -> tuple[Any, ...]:
    """k2 before k10."""
    import re

    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s.name))


def _subs_class() -> type:
    import sympy

    return sympy.Subs


def _json(v: Any, compact: bool = False) -> Any:
    v = A.norm(v)
    if A.is_num(v):
        return A.to_json(v)
    return _str(v, compact)


def _str(v: Any, compact: bool) -> str:
    """sympy syntax; long (nested) forms keep their term order, which is also much faster to print."""
    if compact:
        from sympy.printing.str import sstr

        return str(sstr(v, order="none"))
    return str(display(v))


def _fmt(v: Any, compact: bool = False) -> str:
    v = A.norm(v)
    return A.fmt(v) if A.is_num(v) else _str(v, compact)


def _axes_str(v: Any, axes: Any, compact: bool = False) -> str:
    if axes is None:
        return _fmt(v, compact)
    return "[" + ", ".join(_fmt(x, compact) for x in v) + "]"


# --------------------------------------------------------------------------
# per-layer maps from the transfer functions
# --------------------------------------------------------------------------


@dataclass
class _Map:
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
                return A.add(A.floordiv(A.add(x, self.e), self.den), 1)
            except (ArithmeticError, ValueError, TypeError):  # see _at: keep the composition unevaluated
                import sympy

                m = sympy.Dummy("m", integer=True)
                inner = A.add(A.floordiv(A.add(m, self.e), self.den), 1)
                return sympy.Subs(A.to_sympy(inner), m, A.to_sympy(x))
        return _at(self.nfun, x)


_GEN: dict[str, Any] = {}


def _gen() -> dict[str, Any]:
    """The generic input state's symbols."""
    if not _GEN:
        import sympy

        _GEN.update(
            x=sympy.Symbol("_rfsym_x", integer=True, positive=True),
            J=sympy.Symbol("_rfsym_J", positive=True),
            R=sympy.Symbol("_rfsym_R", real=True),
            S=sympy.Symbol("_rfsym_S", real=True),
            P=sympy.Symbol("_rfsym_P", real=True),
        )
    return _GEN


def _at(expr: Any, x: Any) -> Any:
    """expr with the generic input size replaced by x."""
    X = _gen()["x"]
    if hasattr(expr, "free_symbols") and X in expr.free_symbols:
        try:
            return A.norm(expr.xreplace({X: A.to_sympy(x)}))
        except (ArithmeticError, ValueError, TypeError):
            # sympy's evalf gives up on some deeply nested floor/Piecewise forms (ceil_mode after
            # n-dependent 'same' padding): keep the composition as an unevaluated Subs; doit() evaluates it
            import sympy

            m = sympy.Dummy("m", integer=True)
            return sympy.Subs(expr.xreplace({X: m}), m, A.to_sympy(x))
    return expr


def _depends_on_x(expr: Any) -> bool:
    return hasattr(expr, "free_symbols") and _gen()["x"] in expr.free_symbols


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
        from dataclasses import fields, is_dataclass

        from .layers import Layer

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
    import sympy

    values: list[Any] = []

    def ph(v: Any) -> Any:
        for sym, w in values:
            if w is v or w == v:
                return sym  # equal values share a placeholder: symmetric padding gives 2 p, not p + p
        facts = _facts(v)
        sym = sympy.Symbol(f"_rfsym_t{len(values)}_" + "_".join(sorted(facts)), **facts)
        values.append((sym, v))
        return sym

    tl = layer.map_values(ph)
    try:
        tl = replace(tl, name=None)
    except (TypeError, ValueError):  # pragma: no cover - a layer type without a name field
        pass
    return tl, values


def _lookup(layer: Any, axis: int, convention: str) -> tuple[_Map, list[Any], list[Any]]:
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
        return _read_transfer(layer, axis, convention), [], []
    tmpl = _TEMPLATES.get(key)
    if tmpl is None:
        tmpl = _TEMPLATES[key] = _read_transfer(tl, axis, convention)
    phs = [s for s, _ in pairs]
    if sig is not None and len(pairs) == len(vals) and all(v is w or v == w for (_, v), w in zip(pairs, vals)):
        _SIGNATURES[sig] = (tmpl, phs)  # layer.values() visits the values in map_values' order
    return tmpl, phs, [v for _, v in pairs]


def _rebuild(e: Any, sub: dict[Any, Any]) -> Any:
    """e with placeholders substituted, Add/Mul/Pow rebuilt without evaluation (fast; long stacks only)."""
    import sympy

    if e in sub:
        return sub[e]
    if not e.args:
        return e
    if isinstance(e, (sympy.Add, sympy.Mul, sympy.Pow)):
        args = [_rebuild(a, sub) for a in e.args]
        if any(not isinstance(a, sympy.Basic) or a.is_Number for a, b in zip(args, e.args) if a is not b):
            return e.xreplace(sub)
        return e.func(*args, evaluate=False)
    return e.xreplace(sub)


def _layer_map(layer: Any, axis: int, convention: str, fast: bool = False) -> _Map:
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


_NUMERIC: dict[Any, _Map] = {}


def _instantiate(tmpl: _Map, phs: list[Any], vals: list[Any], fast: bool) -> _Map:
    """The template's expressions with the layer's values put in."""
    sub = {s: A.to_sympy(v) for s, v in zip(phs, vals)}
    fast = fast and all(isinstance(v, _sympy_basic()) and not getattr(v, "is_Number", True) for v in sub.values())

    def f(e: Any) -> Any:
        if e is None or A.is_num(e):
            return e
        if e.is_Symbol:
            return A.norm(sub.get(e, e))
        return _rebuild(e, sub) if fast else A.norm(e.xreplace(sub))

    m = f(tmpl.m)
    out = _Map(
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
        out.xdep = any(_depends_on_x(v) for v in (out.m, out.a, out.b, out.c))
    if out.g is None and not out.xdep:
        ff = _floor_form(out.nfun)  # e.g. 'same' padding with stride 1: n_out = n_in
        if ff is not None:
            out.g, out.den, out.nfun = A.add(1, ff[0]), ff[1], None
            out.pad_ = _pad_of(out.m, out.a, out.g, out.den)
    return out


def _sympy_basic() -> type:
    import sympy

    return sympy.Basic


def _pad_of(m: Any, a: Any, g: Any, den: Any) -> Any:
    """p_L + p_R = g + a when the n-denominator is the jump factor, else None."""
    import sympy

    if g is None or _depends_on_x(a) or not _same(m, den):
        return None
    return A.norm(sympy.factor_terms(sympy.expand(A.to_sympy(g) + A.to_sympy(a))))


def _read_transfer(layer: Any, axis: int, convention: str) -> _Map:
    """Run the layer's transfer function on the generic state and read off the affine map."""
    import sympy

    g = _gen()
    x, J, R, S, P = g["x"], g["J"], g["R"], g["S"], g["P"]
    from .layers import AxisState

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
    ff = _floor_form(nf)
    gg, den, pad = None, None, None
    if ff is not None:
        den = ff[1]
        pad = _pad_of(m, a, A.add(1, ff[0]), den)
        # g = 1 + e, written as p_L + p_R - (kappa - 1) when that is what it is
        gg = A.add(pad, A.mul(-1, a)) if pad is not None else A.add(1, ff[0])
    return _Map(
        m=m,
        a=a,
        b=b,
        c=c,
        g=gg,
        den=den,
        nfun=None if ff else nf,
        nsym=0 if A.is_num(m) else 1,
        pad_=pad,
        xdep=any(_depends_on_x(v) for v in (m, a, b, c)),
        centred=_same(c, A.add(A.div(a, 2), A.mul(-1, b))),
    )


def _floor_form(nf: Any) -> tuple[Any, Any] | None:
    """(e, D) with nf == floor((x + e)/D) + 1, or None."""
    import sympy

    x = _gen()["x"]
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


class _Lazy:
    """sympy Add/Mul without re-flattening (joins of long stacks: O(1) instead of O(size))."""

    @staticmethod
    def add(a: Any, b: Any) -> Any:
        import sympy

        if A.is_num(a) and A.is_num(b):
            return A.add(a, b)
        if A.is_num(a) and a == 0:
            return b
        if A.is_num(b) and b == 0:
            return a
        a, b = A.to_sympy(a), A.to_sympy(b)
        args = (a.args if a.is_Add else (a,)) + (b.args if b.is_Add and len(b.args) <= 8 else (b,))
        return sympy.Add(*args, evaluate=False)

    @staticmethod
    def mul(a: Any, b: Any) -> Any:
        import sympy

        if A.is_num(a) and A.is_num(b):
            return A.mul(a, b)
        if A.is_num(a) and a == 1:
            return b
        if A.is_num(b) and b == 1:
            return a
        if (A.is_num(a) and a == 0) or (A.is_num(b) and b == 0):
            return 0
        return sympy.Mul(A.to_sympy(a), A.to_sympy(b), evaluate=False)


def _compose(X: _Map, Y: _Map) -> _Map:
    """The map of run X followed by run Y."""
    if Y.xdep:
        nx = X.n_of(_gen()["x"])
        Y = replace(Y, m=_at(Y.m, nx), a=_at(Y.a, nx), b=_at(Y.b, nx), c=_at(Y.c, nx))
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
        nfun = Y.n_of(X.n_of(_gen()["x"]))
    return _Map(
        m=m,
        a=a,
        b=b,
        c=c,
        g=g,
        den=den,
        nfun=nfun,
        count=X.count + Y.count,
        nsym=X.nsym + Y.nsym,
        pad_=pad,
        xdep=X.xdep or Y.xdep,
        centred=X.centred and Y.centred,
    )


def _compose_flat(maps: Sequence[_Map]) -> _Map:
    """Left-to-right composition written as flat sums over prefix products."""
    import sympy

    if len(maps) == 1:
        return maps[0]
    if any(mp.xdep or not mp.folds for mp in maps):
        out = maps[0]
        for mp in maps[1:]:
            out = _compose(out, mp)
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

    return _Map(
        m=jm,
        a=total(ta),
        b=total(tb),
        c=total(tc),
        g=total(tg),
        den=dn,
        count=sum(mp.count for mp in maps),
        nsym=sum(mp.nsym for mp in maps),
        pad_=total(tp) if std else None,
        centred=all(mp.centred for mp in maps),
    )


def _compose_all(maps: Sequence[_Map]) -> _Map:
    """Flat sums for small stacks; nested Horner forms for many symbolic strides."""
    if not maps:
        return _identity()
    if sum(mp.nsym for mp in maps) <= FLAT_LIMIT:
        return _compose_flat(maps)
    if any(mp.xdep or not mp.folds for mp in maps):
        out = maps[0]
        for mp in maps[1:]:
            out = _compose(out, mp)
        return out
    return _compose_big(maps)


def _compose_big(maps: Sequence[_Map]) -> _Map:
    """Linear-size forms of small depth for long stacks with symbolic strides.

    Runs of about L^(1/3) layers are written in Horner form ``a1 + m1 (a2 + m2 (a3 + …))``
    with flat products ``m``; the runs are grouped the same way, three levels
    in all, so the forms have about 3 L factors and nesting depth about
    3 L^(1/3).  Joins do not re-flatten their operands (``evaluate=False``), so
    building is linear in the number of layers.
    """
    import sympy

    lz_add, lz_mul = _Lazy.add, _Lazy.mul
    nodes = [(mp.m, mp.a, mp.b, mp.c, mp.g, mp.den) for mp in maps]
    width = max(2, round(len(nodes) ** (1 / 3)) + 1)
    while len(nodes) > 1:
        nxt = []
        for i in range(0, len(nodes), width):
            run = nodes[i : i + width]
            _, a, b, c, g, _ = run[-1]
            for mx, ax, bx, cx, gx, dx in reversed(run[:-1]):
                a = lz_add(ax, lz_mul(mx, a))
                b = lz_add(bx, lz_mul(mx, b))
                c = lz_add(cx, lz_mul(mx, c))
                g = lz_add(gx, lz_mul(dx, g))
            m = A.norm(sympy.Mul(*[A.to_sympy(r[0]) for r in run]))
            den = A.norm(sympy.Mul(*[A.to_sympy(r[5]) for r in run]))
            nxt.append((m, a, b, c, g, den))
        nodes = nxt
    m, a, b, c, g, den = nodes[0]
    return _Map(
        m=m,
        a=a,
        b=b,
        c=c,
        g=g,
        den=den,
        count=sum(mp.count for mp in maps),
        nsym=sum(mp.nsym for mp in maps),
        centred=all(mp.centred for mp in maps),
    )


def _identity() -> _Map:
    return _Map(m=1, a=0, b=0, c=0, g=0, den=1, count=0, pad_=0, centred=True)


# --------------------------------------------------------------------------
# repeated blocks with a symbolic number of copies
# --------------------------------------------------------------------------


def _repeat_map(rep: Any, axis: int, convention: str) -> _Map:
    """Closed form of ``Repeat(block, times=L)``: sums and products over the copies."""
    import sympy

    block = _compose_flat([_element_map(b, axis, convention) for b in rep.block])
    L = A.to_sympy(rep.times)
    if rep.index is not None:
        idx_name = rep.index.name
        i = sympy.Symbol(idx_name, integer=True, positive=True)
    else:
        idx_name = None
        i = sympy.Symbol("i", integer=True, positive=True)
    t = sympy.Dummy("i", integer=True, positive=True)

    def at(e: Any, v: Any) -> Any:
        e = A.to_sympy(e)
        if idx_name is None:
            return e
        syms = {s: v for s in e.free_symbols if getattr(s, "name", None) == idx_name}
        return e.xreplace(syms) if syms else e

    if block.xdep or not block.folds:
        raise RfsymError(
            f"{rep.label()}: the block's output size is not a single floor of its input "
            "(n-dependent 'same' padding or ceil_mode); no closed form in a symbolic number of copies "
            "(give times a number)"
        )

    def prod(e: Any, upper: Any) -> Any:
        return _doit(sympy.Product(at(e, t), (t, 1, upper)))

    jm_prev = prod(block.m, i - 1)
    dn_prev = prod(block.den, i - 1)

    def total(e: Any, pre: Any) -> Any:
        return A.norm(_tidy(_doit(sympy.Sum(at(e, i) * pre, (i, 1, L)))))

    m = A.norm(_tidy(prod(block.m, L)))
    den = A.norm(_tidy(prod(block.den, L)))
    std = block.pad is not None and _same(block.m, block.den)
    return _Map(
        m=m,
        a=total(block.a, jm_prev),
        b=total(block.b, jm_prev),
        c=total(block.c, jm_prev),
        g=total(block.g, dn_prev),  # e = -1 + Σ_i D_{i-1} (1 + e_i)
        den=den,
        count=block.count,
        nsym=0 if A.is_num(m) else 1,
        pad_=(lambda: total(block.pad, jm_prev)) if std else None,
        centred=block.centred,
    )


def _shortest(expr: Any) -> Any:
    """expr, or its expansion inside each floor and at the top when that is shorter (terms that cancel)."""
    import sympy

    if not isinstance(expr, sympy.Basic) or expr.is_Atom or expr.has(sympy.Sum, sympy.Product):
        return expr
    ops = sympy.count_ops(expr)
    if ops > 400:
        return expr

    def expand_floor(f: Any) -> Any:
        e = sympy.expand(f.args[0])
        return f.func(e) if sympy.count_ops(e) < sympy.count_ops(f.args[0]) else f

    best = expr.replace(lambda e: isinstance(e, (sympy.floor, sympy.ceiling)), expand_floor)
    flat = sympy.expand(best) if not best.has(sympy.floor, sympy.ceiling, sympy.Piecewise) else best
    for cand in (best, flat):
        if sympy.count_ops(cand) < ops:
            expr, ops = cand, sympy.count_ops(cand)
    return expr


def _doit(expr: Any) -> Any:
    """Evaluate sums/products sympy can do; keep the rest unevaluated (indexed symbols)."""
    import sympy

    if expr.has(sympy.Indexed):
        # sympy cannot evaluate sums over indexed symbols; products of constant factors still simplify
        return expr
    out = expr.doit()
    return out


def _tidy(expr: Any, domains: dict[str, Any] | None = None) -> Any:
    """Piecewise folded to the top and its branches simplified (rfsym.simplify rules)."""
    import sympy

    from .simplification import simplify

    if A.is_num(expr):
        return expr
    expr = A.to_sympy(expr)
    if not isinstance(expr, sympy.Basic):
        return expr
    try:
        if expr.has(sympy.Piecewise) and all(
            isinstance(c, (sympy.Eq, sympy.Ne)) or c is sympy.true
            for pw in expr.atoms(sympy.Piecewise)
            for _, c in pw.args
        ):
            expr = sympy.piecewise_fold(expr)  # case splits of geometric sums (s = 1), not ceil_mode's
        expr = simplify(expr, domains=domains)
        return _shortest(expr)
    except (ArithmeticError, ValueError, TypeError):  # sympy gave up (e.g. PrecisionExhausted): keep the form
        return expr


# --------------------------------------------------------------------------
# derive
# --------------------------------------------------------------------------


def _element_map(layer: Any, axis: int, convention: str, fast: bool = False) -> _Map:
    from .layers import Repeat

    if isinstance(layer, Repeat):
        if A.is_num(layer.times):
            return _compose_all([_element_map(lay, axis, convention) for lay in layer.unroll()])
        return _repeat_map(layer, axis, convention)
    return _layer_map(layer, axis, convention, fast)


def _stack_map(layers: Sequence[Any], axis: int, convention: str) -> _Map:
    """The composed map of a sequence of layers."""
    from .layers import Repeat

    flat: list[Any] = []
    for lay in layers:
        if isinstance(lay, Repeat) and A.is_num(lay.times):
            flat.extend(lay.unroll())
        else:
            flat.append(lay)
    if len(flat) > FLAT_LIMIT:
        # long stack: count symbolic strides first; past FLAT_LIMIT the forms are nested and leaves built fast
        nsym = 0
        for lay in flat:
            if hasattr(lay, "axis_params"):
                nsym += 0 if A.is_num(lay.axis_params(axis)[1]) else 1
        fast = nsym > FLAT_LIMIT
    else:
        fast = False
    maps = [_element_map(lay, axis, convention, fast) for lay in flat]
    total = _compose_all(maps)
    if all(mp.folds and A.is_num(mp.g) and A.is_num(mp.den) for mp in maps):
        # n_out = floor((x + g - 1)/D) + 1 >= need  <=>  x >= (need - 1) D - g + 1
        need: Any = 1
        for mp in reversed(maps):
            need = max(1, A.ceil(A.add(A.mul(need - 1, mp.den), A.add(1, A.mul(-1, mp.g)))))
        total = replace(total, min_in=need)
    return total


def _input_symbols(net: Any, input: Any) -> tuple[Any, ...]:
    from .values import symbol

    nd = net.ndim
    if input is not None:
        return net.axes_input(input)
    inp = net.input
    if inp is not None and any(not A.is_num(v) for v in inp):
        return net.axes_input(None)
    count = nd or (len(inp) if inp is not None else 1)
    dom = net.symbols.get("n") if hasattr(net, "symbols") else None
    if count == 1:
        return (symbol("n", "input", dom),)
    return tuple(symbol(f"n{i}", "input", net.symbols.get(f"n{i}")) for i in range(count))


def _check_constraints(net: Any) -> None:
    """Every parameter must be able to be an integer of its role's minimum, within the declared domains."""
    import itertools

    from .layers import Repeat
    from .values import ROLE_MIN, ROLE_TEXT

    def walk(layers: Sequence[Any]) -> Any:
        for lay in layers:
            if isinstance(lay, Repeat):
                yield lay, "times", "times", lay.times
                yield from walk(lay.block)
            else:
                for fld, role, v in lay.role_values():
                    yield lay, fld, role, v

    doms = getattr(net, "symbols", {}) or {}
    for lay, fld, role, v in walk(net.layers):
        if A.is_num(v):
            continue
        lo = ROLE_MIN.get(role, None)
        if (
            v.is_Symbol
            and v.name not in doms
            and v.is_integer
            and (lo is None or lo <= 0 and v.is_nonnegative or lo <= 1 and v.is_positive)
        ):
            continue
        need = ROLE_TEXT.get(lo, "an integer") if lo is not None else "an integer"
        if v.is_integer is False:
            raise RfsymError(f"{lay.label()}: {fld} must be {need} (got {v}, which is never an integer)")
        if lo is not None and (v - lo).is_negative:
            raise RfsymError(f"{lay.label()}: {fld} must be {need} (got {v}, which is always below {lo})")
        syms = sorted(v.free_symbols, key=lambda s: s.name)
        ranges = []
        for s in syms:
            dom = doms.get(s.name)
            vals = dom.values(limit=2000) if dom is not None else None
            if vals is None:
                break
            ranges.append(vals)
        else:
            total = 1
            for r in ranges:
                total *= max(len(r), 1)
            if total <= 20000:
                ok = False
                for combo in itertools.product(*ranges):
                    val = A.norm(v.xreplace(dict(zip(syms, combo))))
                    if A.is_num(val) and isinstance(val, int) and (lo is None or val >= lo):
                        ok = True
                        break
                if not ok:
                    names = ", ".join(s.name for s in syms)
                    raise RfsymError(
                        f"{lay.label()}: {fld} must be {need} (got {v}, which no value of {names} in the declared domains gives)"
                    )


def derive(
    net: Any, input: Any = None, *, axis: int | None = None, origin: Any = Fraction(1, 2), convention: str = "framework"
) -> ClosedForms:
    """Closed forms of the output's n, j, r, start and effective padding P.

    ``input`` defaults to the network's input when it is symbolic, else to a
    positive-integer symbol ``n`` (``n0, n1, …`` per axis for N-D networks).
    For an N-D network the result holds one expression per axis (tuples in axis
    order) unless ``axis`` picks one.

    >>> from rfsym import Conv, Network
    >>> f = derive(Network([Conv(kernel="k", stride="s", padding="p")]))
    >>> f.n, f.j, f.r, f.start, f.P
    (floor((-k + n + 2*p)/s) + 1, s, k, k/2 - p, p)
    """
    from .network import _check_convention, parse_origin

    _check_convention(convention)
    if convention == "seed":
        raise RfsymError(
            "closed forms use the framework convention; the seed convention (left padding "
            "floor(actualP/2) with actualP = (n_out - 1) s - n_in + k) depends on every intermediate n "
            "and has no closed form -- use 'rfsym table --convention seed' for its numbers"
        )
    origin = parse_origin(origin)
    _check_constraints(net)
    inp = _input_symbols(net, input)
    axes = range(len(inp)) if axis is None else [axis]
    if axis is not None and not 0 <= axis < len(inp):
        raise RfsymError(f"{net.name}: axis {axis} out of range (the network has {len(inp)} axes)")
    forms = [_derive_axis(net, inp[ax], ax, origin, convention) for ax in axes]
    for ax, f in zip(axes, forms):
        _check_input(net, f, ax, len(inp))
    if len(forms) == 1:
        return forms[0]
    return ClosedForms(
        **{k: tuple(getattr(f, k) for f in forms) for k in KEYS},
        input=tuple(f.input for f in forms),
        convention=convention,
        origin=origin,
        conditions=tuple(dict.fromkeys(c for f in forms for c in f.conditions)),
        assumptions={k: v for f in forms for k, v in f.assumptions.items()},
        name=net.name,
        axes=tuple(forms),
        total_padding_=tuple(f.total_padding for f in forms)
        if all(f.total_padding is not None for f in forms)
        else None,
        compact=any(f.compact for f in forms),
    )


def _derive_axis(net: Any, n_in: Any, axis: int, origin: Any, convention: str) -> ClosedForms:
    import sympy

    from .network import Network

    # graphs: only chains have closed forms here (flat_layers raises a clear error at a branch)
    layers = net.layers if isinstance(net, Network) else net.flat_layers()
    total = _stack_map(layers, axis, convention)
    min_in = total.min_in
    conditions = _conditions(net, total)
    R = A.add(1, total.a)
    P = total.b
    big = total.nsym > FLAT_LIMIT
    # start: origin + (R - 1)/2 - P whenever each layer centres its window (framework semantics)
    if total.centred and not big:
        start = A.add(origin, A.add(A.div(total.a, 2), A.mul(-1, P)))
    else:
        start = A.add(origin, total.c)  # long stacks: one tree instead of two
    if total.folds:
        e, den = total.e, total.den
        if not big and total.pad is not None:
            # the paper's form: floor((N + Σ (pL + pR) J_{l-1} - R) / J) + 1
            num = A.add(A.add(n_in, total.pad), A.mul(-1, R))
            pads = total.pad
        else:
            num = A.add(A.add(n_in, -1), total.g) if big else A.add(n_in, e)
            pads = (lambda: A.add(total.g, total.a)) if big else A.add(total.g, total.a)
        n_out = _floor1(num, den, big)
        fold = (e, den)
    else:
        n_out = _at(total.nfun, n_in)
        pads = None
        fold = None
    out = {
        k: A.norm(_at(v, n_in) if total.xdep else v) for k, v in (("j", total.m), ("r", R), ("start", start), ("P", P))
    }
    out["n"] = A.norm(n_out)
    if not big:
        out = {k: _tidy(v, net.symbols) for k, v in out.items()}
    syms: set[Any] = set()
    for v in out.values():
        syms |= getattr(v, "free_symbols", set())
    assumptions = {
        s.name: tuple(
            sorted(
                k for k, v in s.assumptions0.items() if v and k in ("integer", "positive", "nonnegative", "odd", "even")
            )
        )
        for s in sorted(syms, key=lambda s: s.name)
        if isinstance(s, sympy.Symbol)
    }
    return ClosedForms(
        **out,
        input=n_in,
        convention=convention,
        origin=origin,
        conditions=conditions,
        assumptions=assumptions,
        name=net.name,
        total_padding_=pads if callable(pads) else (A.norm(pads) if pads is not None else None),
        _fold=fold,
        compact=big,
        _min_input=min_in,
    )


def _check_input(net: Any, forms: ClosedForms, axis: int, ndim: int) -> None:
    """A numeric input must leave every layer's output non-empty; symbolic inputs get a validity condition."""
    from .layers import Repeat

    if any(isinstance(lay, Repeat) and not A.is_num(lay.times) for lay in net.layers):
        return
    numeric_layers = not any(lay.free_symbols for lay in net.layers)
    if not numeric_layers:
        return
    lo = forms._min_input
    if lo is None:
        try:
            lo = net.min_input_size(axis)
        except RfsymError:
            return
    where = f" (axis {axis})" if ndim > 1 else ""
    if A.is_num(forms.input):
        if lo is not None and forms.input < lo:
            raise RfsymError(
                f"{net.name}: the output is empty for input {A.fmt(forms.input)}{where}; "
                f"the smallest input with a non-empty output is {A.fmt(lo)}"
            )
    elif lo is not None and lo > 1:
        object.__setattr__(
            forms, "conditions", forms.conditions + (f"valid for input sizes {forms.input} >= {lo}{where}",)
        )


def _floor1(num: Any, den: Any, big: bool) -> Any:
    """floor(num / den) + 1, written as floor((…)/den) rather than floor(…/den - …/den)."""
    import sympy

    if A.is_num(num) and A.is_num(den):
        return A.add(A.floordiv(num, den), 1)
    num, den = A.to_sympy(num), A.to_sympy(den)
    if den == 1:
        return A.norm(num + 1)  # an integer by construction: sums of integer parameters times integer jumps
    if big:
        frac = sympy.Mul(num, sympy.Pow(den, -1, evaluate=False), evaluate=False)
        return sympy.Add(sympy.floor(frac, evaluate=False), 1, evaluate=False)
    return A.norm(sympy.floor(num / den) + 1)


def display(expr: Any) -> Any:
    """expr for printing: ``floor(n/32 - 227/32)`` shown as ``floor((n - 227)/32)`` (same value, unevaluated)."""
    import sympy

    expr = A.to_sympy(expr)
    if not isinstance(expr, sympy.Basic) or not expr.has(sympy.floor, sympy.ceiling):
        return expr

    def one(f: Any) -> Any:
        u = f.args[0]
        if not u.is_Add:
            return f
        q = sympy.ilcm(*[sympy.fraction(t.as_coeff_Mul()[0])[1] for t in u.args])
        if q == 1:
            return f
        inner = sympy.expand(u * q)
        arg = sympy.Mul(inner, sympy.Pow(q, -1, evaluate=False), evaluate=False)
        return f.func(arg, evaluate=False)

    return expr.replace(lambda e: isinstance(e, (sympy.floor, sympy.ceiling)), one)


def _same(a: Any, b: Any) -> bool:
    if A.is_num(a) and A.is_num(b):
        return a == b
    import sympy

    d = A.to_sympy(a) - A.to_sympy(b)
    if d == 0:
        return True
    if sympy.count_ops(d, visual=False) > 2000:
        return False
    return sympy.expand(d) == 0


def _conditions(net: Any, total: _Map) -> tuple[str, ...]:
    out = [
        "framework padding semantics: each layer's left padding is used as declared",
        "all kernel, stride, padding and dilation values are integers (kernel, stride, dilation >= 1, padding >= 0)",
    ]
    if total.folds:
        out.append(
            "n: nested floors folded by floor((floor(x/a) + c)/b) = floor((x + a c)/(a b)) for integer x, c and positive integers a, b"
        )
    else:
        out.append(
            "n: some layer's output size is not a floor of its input (transposed convolution, upsampling, "
            "n-dependent padding or ceil_mode); n is composed layer by layer"
        )
    return tuple(out)


def equivalent(net: Any, *, axis: int | None = None) -> Any:
    """The single convolution (kernel R, stride J, padding (P, total - P)) equivalent to the stack."""
    from .layers import Conv

    f = derive(net, axis=axis)
    axes = [f] if f.axes is None else list(f.axes)
    ks, ss, pads = [], [], []
    for ax, g in enumerate(axes):
        where = f" (axis {ax})" if len(axes) > 1 else ""
        if g.total_padding is None:
            raise RfsymError(
                f"{net.name}{where}: the output size is not a single floor of the input; no single equivalent layer"
            )
        if any(_depends_on_x(v) or g.input in getattr(v, "free_symbols", ()) for v in (g.j, g.r, g.P)):
            raise RfsymError(f"{net.name}{where}: padding depends on the input size; no single equivalent layer")
        j = A.norm(g.j)
        if not (isinstance(j, int) or getattr(A.to_sympy(j), "is_integer", False)):
            raise RfsymError(
                f"{net.name}{where}: the jump {A.fmt(j)} is not an integer; no single equivalent convolution"
            )
        if g._fold is not None and A.norm(A.add(g._fold[1], A.mul(-1, j))) != 0:
            raise RfsymError(
                f"{net.name}{where}: the output size does not step with the jump; no single equivalent layer"
            )
        ks.append(g.r)
        ss.append(j)
        pads.append((g.P, A.norm(A.add(g.total_padding, A.mul(-1, g.P)))))
    name = f"{net.name}-equivalent"
    if len(axes) == 1:
        return Conv(kernel=ks[0], stride=ss[0], padding=list(pads[0]), name=name)
    return Conv(kernel=list(ks), stride=list(ss), padding=[list(p) for p in pads], name=name)


# --------------------------------------------------------------------------
# the general L-layer stack
# --------------------------------------------------------------------------


def general_stack(L: Any = "L", *, asymmetric: bool = False) -> ClosedForms:
    """Closed forms of a general stack of L convolutions with indexed parameters k_l, s_l, p_l, d_l.

    The layer is a :class:`~rfsym.layers.Conv` with indexed parameters repeated
    L times, so the forms come from the same transfer function as everything
    else; they are ``Sum``/``Product`` objects over the index ``ell``.
    ``asymmetric=True`` uses separate left and right paddings ``a_l``/``b_l``.
    """
    import sympy

    from .layers import Conv, Repeat
    from .network import Network
    from .values import symbol

    Ls = symbol(L, "times") if isinstance(L, str) else L
    ell = sympy.Symbol("ell", integer=True, positive=True)
    k = sympy.IndexedBase("k", integer=True, positive=True)
    s = sympy.IndexedBase("s", integer=True, positive=True)
    d = sympy.IndexedBase("d", integer=True, positive=True)
    if asymmetric:
        pl = sympy.IndexedBase("a", integer=True, nonnegative=True)
        pr = sympy.IndexedBase("b", integer=True, nonnegative=True)
        pad: Any = [pl[ell], pr[ell]]
    else:
        p = sympy.IndexedBase("p", integer=True, nonnegative=True)
        pad = p[ell]
    conv = Conv(kernel=k[ell], stride=s[ell], padding=pad, dilation=d[ell], name="conv")
    net = Network([Repeat(block=(conv,), times=Ls, index=ell, name="stack")], name="general")
    return derive(net)
