"""The result object of :func:`rfsym.derive`: closed forms of n, j, r, start and P."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import sympy

from .. import _arith as A
from .._display import LatexRelations
from ..errors import RfsymError
from ..maps import safe_xreplace
from ._text import _axes_str, _json

__all__ = ["KEYS", "ClosedForms"]

KEYS = ("n", "j", "r", "start", "P")


@dataclass(frozen=True)
class ClosedForms(LatexRelations):
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
        """The JSON form of docs/conventions.md ("JSON output"): exact strings in sympy syntax, integers as integers."""
        out: dict[str, Any] = {}
        for key, val in self.as_dict().items():
            if self.axes is None:
                out[key] = _json(val, self.compact)
            else:
                out[key] = [_json(v, self.compact) for v in val]
        return out

    def to_json(self) -> str:
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
                out = safe_xreplace(e, syms)  # fast on long (nested) forms; subs is quadratic there
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
                e = safe_xreplace(e, {sym: A.to_sympy(n)})
            if hasattr(e, "has") and e.has(sympy.Subs):
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
