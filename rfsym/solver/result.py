"""The answer of :func:`rfsym.solve`: a complete solution set, described exactly."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

from .. import _arith as A
from .._display import JupyterLatex
from ..errors import RfsymError
from .targets import Target

__all__ = ["Condition", "Nearest", "Progression", "SolveResult", "Solutions"]


@dataclass(frozen=True)
class Progression:
    """An infinite (or long) arithmetic progression of values of one unknown.

    The values are ``offset + step * t`` for integers ``t_min <= t`` (and
    ``t <= t_max`` when given), with the other unknowns fixed to ``fixed``.
    ``N = 16 t + 3, t >= 2`` is the set ``N ≡ 3 (mod 16), N >= 35``.
    """

    symbol: str
    step: int
    offset: int
    t_min: int
    t_max: int | None = None
    fixed: dict[str, int] = field(default_factory=dict)

    @property
    def first(self) -> int:
        return self.offset + self.step * self.t_min

    @property
    def last(self) -> int | None:
        return None if self.t_max is None else self.offset + self.step * self.t_max

    @property
    def infinite(self) -> bool:
        return self.t_max is None

    def __contains__(self, v: int) -> bool:
        if (v - self.offset) % self.step:
            return False
        t = (v - self.offset) // self.step
        return t >= self.t_min and (self.t_max is None or t <= self.t_max)

    def values(self, limit: int = 100) -> list[int]:
        """The first ``limit`` values."""
        hi = self.t_min + limit - 1 if self.t_max is None else min(self.t_max, self.t_min + limit - 1)
        return [self.offset + self.step * t for t in range(self.t_min, hi + 1)]

    def expr(self) -> Any:
        """The value as a sympy expression in the parameter ``t``."""
        t = sympy.Symbol("t", integer=True)
        return self.offset + self.step * t

    def describe(self) -> str:
        x = self.symbol
        if self.step == 1:
            form = f"{x} >= {self.first}" + (f" and {x} <= {self.last}" if self.last is not None else "")
        else:
            form = f"{x} = {self.step}t + {self.offset}" if self.offset >= 0 else f"{x} = {self.step}t - {-self.offset}"
            if self.offset == 0:
                form = f"{x} = {self.step}t"
            form += f", t >= {self.t_min}" + (f", t <= {self.t_max}" if self.t_max is not None else "")
            form += f"  ({x} ≡ {self.offset % self.step} mod {self.step}, {x} >= {self.first})"
        if self.fixed:
            form += " with " + ", ".join(f"{k} = {v}" for k, v in self.fixed.items())
        return form

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "step": self.step,
            "offset": self.offset,
            "t_min": self.t_min,
            "t_max": self.t_max,
            "first": self.first,
            "modulus": self.step,
            "residue": self.offset % self.step,
            "fixed": dict(self.fixed),
            "text": self.describe(),
        }


class Solutions(Sequence):
    """The listed solutions: a read-only sequence of dicts (symbol name -> int), kept as value
    tuples in ``names`` order until a dict is asked for (then all are built once, and those dicts
    are the solutions from then on, mutations included).

    Listing 100 000 solutions as JSON (``SolveResult.to_json``) reads the tuples directly as long
    as no dict was built, which saves building and encoding 100 000 dicts.
    """

    __slots__ = ("names", "_rows", "_dicts", "ints", "_tree")

    def __init__(self, names: tuple[str, ...], rows: Any, ints: bool = False):
        """``rows``: a list of value tuples, or an object with ``len()``, ``rows()`` and
        ``json_lines()`` that builds them on demand (the solver's tree of paths, already in
        order); ``ints``: the caller guarantees every value is a plain int (domain values)."""
        self.names, self.ints = tuple(names), ints
        self._tree = None if isinstance(rows, list) else rows
        self._rows: list[tuple] | None = rows if isinstance(rows, list) else None
        self._dicts: list[dict[str, int]] | None = None

    def _all(self) -> list[dict[str, int]]:
        if self._dicts is None:
            names = self.names
            self._dicts = [dict(zip(names, row)) for row in self._tuples()]
        return self._dicts

    def _tuples(self) -> list[tuple]:
        if self._rows is None:
            self._rows = self._tree.rows()  # type: ignore[union-attr]
        return self._rows

    def rows(self) -> list[tuple] | None:
        """The value tuples, or None once dicts were built (they may have been changed)."""
        return self._tuples() if self._dicts is None else None

    def json_parts(self) -> Iterator[str] | None:
        """The JSON objects of the solutions, one per line, in a few parts (``",\n    "`` between
        lines), straight from the solver's paths when nothing was built yet; None otherwise."""
        if self._tree is None or self._rows is not None or self._dicts is not None or not self.ints:
            return None
        return self._tree.json_parts()  # type: ignore[no-any-return]

    def __len__(self) -> int:
        if self._dicts is not None:
            return len(self._dicts)
        return len(self._rows) if self._rows is not None else len(self._tree)  # type: ignore[arg-type]

    def __getitem__(self, i: Any) -> Any:
        return self._all()[i]

    def __iter__(self) -> Iterator[dict[str, int]]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Solutions):
            other = other._all()
        return self._all() == other if isinstance(other, list) else NotImplemented

    def __add__(self, other: Any) -> list[dict[str, int]]:
        return self._all() + list(other)

    def __repr__(self) -> str:
        return repr(self._all())

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Condition:
    """A condition a symbolic solution needs, as a sympy relation and as text."""

    expr: Any
    text: str

    def holds(self, values: dict[str, Any]) -> bool:
        """Evaluate the condition at numbers given by symbol name."""
        subs = {s: values[s.name] for s in self.expr.free_symbols if s.name in values}
        try:
            got = self.expr.xreplace(subs)
        except (ZeroDivisionError, TypeError):  # e.g. Mod(x, 0): the solution is undefined there
            return False
        if got is sympy.true or got is sympy.false:
            return bool(got)
        if got.free_symbols:
            raise RfsymError(
                f"condition {self.text}: give values for {', '.join(sorted(s.name for s in got.free_symbols))}"
            )
        return False  # not a truth value (a division by zero left zoo or nan)

    def to_dict(self) -> dict[str, Any]:
        return {"expr": str(self.expr), "text": self.text}


@dataclass(frozen=True)
class Nearest:
    """An achievable combination of target values close to an unreachable target."""

    values: dict[str, Any]
    assignment: dict[str, int]
    distance: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "values": {k: A.to_json(v) for k, v in self.values.items()},
            "assignment": dict(self.assignment),
            "distance": A.to_json(self.distance),
        }


@dataclass
class SolveResult(JupyterLatex):
    """The complete solution set of a solve.

    * ``solutions``: assignments (symbol name -> int); all of them when
      ``complete`` is true, otherwise the first ``limit`` ones (or the optimal
      ones with ``minimize``).
    * ``count``: how many assignments solve the targets (``None`` when infinite).
    * ``parametric``: infinite sets as :class:`Progression` s (their union).
    * ``symbolic``/``conditions``: symbolic targets: each unknown as an
      expression, valid when every condition holds (integrality, domains).
    * ``minimize``/``optimum``/``ties``: the objective, its smallest value and
      how many solutions reach it (``solutions`` then lists optimal ones).
    * ``nearest``: when nothing solves the targets, the closest achievable
      target values with an assignment for each.
    """

    network: str
    unknowns: tuple[str, ...]
    targets: tuple[Target, ...]
    solutions: Sequence[dict[str, int]] = field(default_factory=list)
    count: int | None = 0
    complete: bool = True
    parametric: list[Progression] = field(default_factory=list)
    symbolic: dict[str, Any] | None = None
    conditions: list[Condition] = field(default_factory=list)
    minimize: str | None = None
    optimum: Any = None
    ties: int | None = None
    nearest: list[Nearest] = field(default_factory=list)
    method: str = ""
    notes: list[str] = field(default_factory=list)

    # -- container protocol ------------------------------------------------
    def __bool__(self) -> bool:
        return self.count is None or self.count > 0 or self.symbolic is not None

    def __iter__(self) -> Iterator[dict[str, int]]:
        return iter(self.solutions)

    def __len__(self) -> int:
        return len(self.solutions)

    @property
    def infinite(self) -> bool:
        return self.count is None and self.symbolic is None

    @property
    def solved(self) -> bool:
        return bool(self)

    def as_set(self) -> set[tuple[int, ...]]:
        """The listed solutions as a set of value tuples in ``unknowns`` order."""
        return {tuple(s[u] for u in self.unknowns) for s in self.solutions}

    def __contains__(self, assignment: dict[str, int]) -> bool:
        if self.parametric and all(len(p.fixed) + 1 == len(self.unknowns) for p in self.parametric):
            for p in self.parametric:
                v = assignment.get(p.symbol)
                if all(assignment.get(k) == w for k, w in p.fixed.items()) and v is not None and v in p:
                    return True
            return False
        return any(all(s[u] == assignment.get(u) for u in self.unknowns) for s in self.solutions)

    # -- output --------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; ``solutions`` and ``count`` as in docs/conventions.md ("JSON output")."""
        return self._dict(lambda: [dict(s) for s in self.solutions])

    def _dict(self, solutions: Any) -> dict[str, Any]:
        out: dict[str, Any] = {
            "network": self.network,
            "unknowns": list(self.unknowns),
            "targets": [t.to_dict() for t in self.targets],
            "solutions": solutions(),
            "count": self.count,
            "complete": self.complete,
        }
        if self.parametric:
            out["parametric"] = [p.to_dict() for p in self.parametric]
        if self.symbolic is not None:
            out["symbolic"] = {k: A.exact_str(v) for k, v in self.symbolic.items()}
            out["conditions"] = [c.to_dict() for c in self.conditions]
        if self.minimize is not None:
            out["minimize"] = self.minimize
            out["optimum"] = A.to_json(self.optimum) if self.optimum is not None else None
            out["ties"] = self.ties
        if self.nearest:
            out["nearest"] = [n.to_dict() for n in self.nearest]
        out["method"] = self.method
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def to_json(self) -> str:
        """``to_dict`` as indented JSON, one solution per line (the pieces of :meth:`json_chunks`)."""
        return "".join(self.json_chunks())

    def json_chunks(self) -> Iterator[str]:
        """``to_json`` in a few pieces, the listing in one (written as they come by ``rfsym solve``,
        so that a listing of 100 000 solutions is not copied into one string again).

        Solutions still held by the solver (:class:`Solutions`) are written straight from its
        paths or value tuples, without building a dict per solution; any other listing goes
        through the C encoder.
        """
        sols = self.solutions
        lazy = sols if isinstance(sols, Solutions) else None
        parts = lazy.json_parts() if lazy is not None and len(lazy) else None
        rows = lazy.rows() if lazy is not None and parts is None else None
        fast = parts is not None or rows is not None
        sep = "{\n"
        for key, value in self._dict(lambda: None if fast else [dict(s) for s in sols]).items():
            yield f"{sep}  {json.dumps(key)}: "
            sep = ",\n"
            if key != "solutions":
                yield json.dumps(value, indent=2).replace("\n", "\n  ")
            elif parts is not None:
                yield "[\n    "
                for i, part in enumerate(parts):
                    if i:
                        yield ",\n    "
                    yield part
                yield "\n  ]"
            elif rows is not None:
                lines = _rows_lines(lazy.names, rows, lazy.ints)  # type: ignore[union-attr]
                yield ("[\n    " + ",\n    ".join(lines) + "\n  ]") if lines else "[]"
            elif value:
                enc = json.JSONEncoder(separators=(", ", ": ")).encode
                yield "[\n    " + ",\n    ".join(map(enc, value)) + "\n  ]"
            else:
                yield "[]"
        yield "\n}"

    def to_text(self) -> str:
        lines = [f"{self.network}: solve {', '.join(str(t) for t in self.targets) or '(no targets)'}"]
        lines.append(f"unknowns: {', '.join(self.unknowns) if self.unknowns else '(none)'}")
        if self.symbolic is not None:
            for k, v in self.symbolic.items():
                lines.append(f"{k} = {v}")
            for c in self.conditions:
                lines.append(f"  when {c.text}")
            return "\n".join(lines) + "\n"
        if self.count == 0:
            lines.append("no solution")
            if self.nearest:
                lines.append("nearest achievable:")
                for near in self.nearest:
                    vals = ", ".join(f"{k} = {A.fmt(v)}" for k, v in near.values.items())
                    asg = ", ".join(f"{k} = {v}" for k, v in near.assignment.items())
                    lines.append(f"  {vals}  with {asg or '(nothing to choose)'}")
            for note in self.notes:
                lines.append(f"note: {note}")
            return "\n".join(lines) + "\n"
        if self.count is None:
            lines.append("infinitely many solutions:")
            for p in self.parametric:
                lines.append(f"  {p.describe()}")
        else:
            lines.append(f"{self.count} solution{'s' if self.count != 1 else ''}")
        if self.minimize is not None:
            lines.append(
                f"minimum {self.minimize} = {A.fmt(self.optimum)} ({self.ties} tie{'s' if self.ties != 1 else ''})"
            )
        if self.solutions and self.count is None:
            ex = "; ".join(", ".join(f"{k} = {v}" for k, v in s.items()) for s in self.solutions)
            lines.append(f"examples: {ex}, ...")
        elif self.solutions:
            shown = "optimal solutions" if self.minimize else "solutions"
            if not self.complete:
                shown += f" (first {len(self.solutions)})"
            lines.append(shown + ":")
            for s in self.solutions:
                lines.append("  " + (", ".join(f"{k} = {v}" for k, v in s.items()) or "(no unknowns)"))
        for n in self.notes:
            lines.append(f"note: {n}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_text()


def _rows_lines(names: tuple[str, ...], rows: list[tuple], ints: bool) -> list[str]:
    """Rows of integers as the JSON objects the C encoder writes (``{"k": 3, "s": 1}``);
    rows with a value that is not a plain int go through the encoder."""
    if not ints and not all(type(v) is int for row in rows for v in row):
        enc = json.JSONEncoder(separators=(", ", ": ")).encode
        return [enc(dict(zip(names, row))) for row in rows]
    line = "{" + ", ".join(f"{json.dumps(n)}: %d" for n in names) + "}"
    return list(map(line.__mod__, rows))
