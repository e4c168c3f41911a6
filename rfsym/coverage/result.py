"""Result objects: exact connection counts of one unit per axis, their holes, spread and phases."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .. import _arith as A
from .._display import term_text
from ..errors import RfsymError

__all__ = ["AxisCoverage", "AxisSupport", "Coverage", "parse_mass"]

#: Counts shown in full by to_text (longer lists are elided in the middle; JSON has them all).
TEXT_COUNTS = 48


def parse_mass(mass: Any) -> Fraction:
    """A mass in (0, 1]: a number, a Fraction or a decimal string such as '0.95' (exact)."""
    try:
        m = Fraction(str(mass).strip()) if isinstance(mass, (str, float)) else Fraction(mass)
    except (TypeError, ValueError, ZeroDivisionError):
        raise RfsymError(f"mass must be a number in (0, 1] (got {mass!r})") from None
    if not 0 < m <= 1:
        raise RfsymError(f"mass must be a number in (0, 1] (got {A.fmt(m)})")
    return m


def _runs(zeros: list[tuple[int, int]], offset: int) -> list[tuple[int, int]]:
    return [(offset + a, offset + b) for a, b in zeros]


@dataclass(frozen=True)
class _Holes:
    """What counts and support share: the box (first, last reached pixel) and the zero runs inside it."""

    axis: int
    unit: int
    offset: int | None  # input index of the first reached pixel (None: nothing is reached)
    width: int  # last - first + 1 (0 when nothing is reached)

    @property
    def box(self) -> tuple[int, int] | None:
        """(first, last) input pixel index with a non-zero count, or None."""
        return None if self.offset is None else (self.offset, self.offset + self.width - 1)

    def gaps(self) -> list[tuple[int, int]]:
        """Runs of pixels with count 0 inside the box, as (first, last) input indices."""
        raise NotImplementedError

    @property
    def n_holes(self) -> int:
        return sum(b - a + 1 for a, b in self.gaps())

    @property
    def holes(self) -> tuple[int, ...]:
        """Every pixel inside the box with count 0."""
        return tuple(i for a, b in self.gaps() for i in range(a, b + 1))

    @property
    def dense(self) -> bool:
        """True when the unit reaches every pixel of its box (and reaches some pixel)."""
        return self.offset is not None and not self.gaps()

    @property
    def largest_gap(self) -> int:
        return max((b - a + 1 for a, b in self.gaps()), default=0)

    def _holes_dict(self) -> dict[str, Any]:
        gaps = self.gaps()
        return {
            "box": list(self.box) if self.box else None,
            "dense": self.dense,
            "holes": sum(b - a + 1 for a, b in gaps),
            "largest_gap": max((b - a + 1 for a, b in gaps), default=0),
            "gaps": [list(g) for g in gaps],
        }


@dataclass(frozen=True)
class AxisSupport(_Holes):
    """The pixels a unit reaches on one axis (a bit mask), without the counts: holes of long stacks."""

    mask: int = 0

    def gaps(self) -> list[tuple[int, int]]:
        if self.offset is None:
            return []
        bits = bin(self.mask)[:1:-1]
        return _runs([(m.start(), m.end() - 1) for m in re.finditer("0+", bits)], self.offset)

    def to_dict(self) -> dict[str, Any]:
        return {"axis": self.axis, "unit": self.unit, **self._holes_dict()}

    def text_lines(self) -> list[str]:
        if self.offset is None:
            return [f"axis {self.axis}: unit {self.unit} reaches no input pixel (its window lies in the padding)"]
        first, last = self.box  # type: ignore[misc]
        gaps = self.gaps()
        holes = sum(b - a + 1 for a, b in gaps)
        lines = [
            f"axis {self.axis}: unit {self.unit} reaches pixels {first}..{last} ({self.width}), "
            + ("dense" if not gaps else f"{holes} holes, largest gap {self.largest_gap}")
        ]
        if gaps:
            shown = ", ".join(str(a) if a == b else f"{a}..{b}" for a, b in gaps[:12])
            lines.append(f"  holes: {shown}" + (f", ... ({len(gaps) - 12} more runs)" if len(gaps) > 12 else ""))
        return lines


@dataclass(frozen=True)
class AxisCoverage(_Holes):
    """Exact connection counts of one unit on one axis.

    ``counts[i]`` is the number of paths from input pixel ``offset + i`` to the
    unit (with all weights 1 and linear activations: the gradient of the unit
    with respect to that pixel).  With ``interpolation=True`` a path through a
    bilinear upsampling carries its interpolation weight, so counts may be
    exact Fractions.
    """

    counts: tuple[int, ...] = ()

    def gaps(self) -> list[tuple[int, int]]:
        out, run = [], None
        for i, c in enumerate(self.counts):
            if c == 0:
                run = (run[0], i) if run else (i, i)
            elif run:
                out.append(run)
                run = None
        return _runs(out, self.offset or 0)

    @property
    def total(self) -> int:
        """Number of paths from the input to the unit."""
        return sum(self.counts)

    @property
    def mean(self) -> Fraction | None:
        """Centre of the counts (input pixel index; pixel centres are at origin + index)."""
        t = self.total
        if not t:
            return None
        return self.offset + Fraction(sum(i * c for i, c in enumerate(self.counts)), t)  # type: ignore[operator]

    @property
    def variance(self) -> Fraction | None:
        """Exact variance σ² of the counts read as a distribution over pixels."""
        t = self.total
        if not t:
            return None
        s1 = sum(i * c for i, c in enumerate(self.counts))
        s2 = sum(i * i * c for i, c in enumerate(self.counts))
        return Fraction(s2 * t - s1 * s1, t * t)

    @property
    def sigma(self) -> float | None:
        v = self.variance
        return None if v is None else float(v) ** 0.5

    def effective_size(self, mass: Any = Fraction(95, 100)) -> tuple[int, int] | None:
        """(width, first pixel) of the narrowest run of pixels holding at least ``mass`` of the counts.

        Exact: integer comparisons ``window sum * den >= num * total``; the leftmost
        narrowest run when several tie.
        """
        m = parse_mass(mass)
        t = self.total
        if not t:
            return None
        need_num, den = m.numerator * t, m.denominator
        best: tuple[int, int] | None = None
        acc, a = 0, 0
        for b, c in enumerate(self.counts):
            acc += c
            while a <= b and (acc - self.counts[a]) * den >= need_num:
                acc -= self.counts[a]
                a += 1
            if acc * den >= need_num and (best is None or b - a + 1 < best[0]):
                best = (b - a + 1, self.offset + a)  # type: ignore[operator]
        return best

    def to_dict(self, mass: Any = Fraction(95, 100)) -> dict[str, Any]:
        eff = self.effective_size(mass)
        m = parse_mass(mass)
        return {
            "axis": self.axis,
            "unit": self.unit,
            "offset": self.offset,
            "counts": [A.to_json(c) for c in self.counts],
            "total": A.to_json(self.total),
            **self._holes_dict(),
            "mean": A.to_json(self.mean) if self.mean is not None else None,
            "variance": A.to_json(self.variance) if self.variance is not None else None,
            "effective_size": None if eff is None else {"mass": A.to_json(m), "width": eff[0], "first": eff[1]},
        }

    def text_lines(self, mass: Any = Fraction(95, 100)) -> list[str]:
        if self.offset is None:
            return [f"axis {self.axis}: unit {self.unit} reaches no input pixel (its window lies in the padding)"]
        first, last = self.box  # type: ignore[misc]
        gaps = self.gaps()
        holes = sum(b - a + 1 for a, b in gaps)
        head = (
            f"axis {self.axis}: unit {self.unit} reaches pixels {first}..{last} ({self.width}), "
            f"{self.total} paths, " + ("dense" if not gaps else f"{holes} holes, largest gap {self.largest_gap}")
        )
        cs = [str(c) for c in self.counts]
        if len(cs) > TEXT_COUNTS:
            cs = cs[: TEXT_COUNTS // 2] + [f"... ({len(cs) - TEXT_COUNTS} more) ..."] + cs[-TEXT_COUNTS // 2 :]
        lines = [head, f"  counts from pixel {first}: " + " ".join(cs)]
        if gaps:
            shown = ", ".join(str(a) if a == b else f"{a}..{b}" for a, b in gaps[:12])
            lines.append(f"  holes: {shown}" + (f", ... ({len(gaps) - 12} more runs)" if len(gaps) > 12 else ""))
        eff = self.effective_size(mass)
        m = parse_mass(mass)
        lines.append(
            f"  mean {A.fmt(self.mean)}, variance {A.fmt(self.variance)} (sigma {self.sigma:.6g}), "
            f"{A.fmt(m * 100)}% of the paths within {eff[0]} pixels from {eff[1]}"  # type: ignore[index]
        )
        return lines


@dataclass(frozen=True)
class Coverage:
    """Connection counts of one unit of a network, one :class:`AxisCoverage` per axis.

    Each axis holds the counts of the network restricted to that axis (what
    its 1-D version counts).  When no merge lies between the input and the unit
    (``separable``), the count of an N-D pixel is the product of its axes'
    counts; merges add whole N-D paths, so a graph's pixel count is a sum over
    paths of products, which the per-axis counts do not determine.
    """

    name: str
    layer: str
    input: tuple[int | None, ...]
    axes: tuple[AxisCoverage, ...]
    separable: bool = True

    def __getitem__(self, axis: int) -> AxisCoverage:
        for a in self.axes:
            if a.axis == axis:
                return a
        raise KeyError(axis)

    @property
    def counts(self) -> tuple[tuple[int, ...], ...]:
        return tuple(a.counts for a in self.axes)

    @property
    def dense(self) -> bool | None:
        """Every pixel of the box reached (None for a non-separable N-D unit with an axis that is dense)."""
        if not all(a.dense for a in self.axes):
            return False
        return True if len(self.axes) == 1 or self.separable else None

    @property
    def n_holes(self) -> int | None:
        """Holes of the N-D box (pixels where some axis count is 0); None for a non-separable N-D unit."""
        if len(self.axes) > 1 and not self.separable:
            return None
        full, hit = 1, 1
        for a in self.axes:
            full *= a.width
            hit *= a.width - a.n_holes
        return full - hit

    def to_dict(self, mass: Any = Fraction(95, 100)) -> dict[str, Any]:
        return {
            "name": self.name,
            "layer": self.layer,
            "input": self.input[0] if len(self.input) == 1 else list(self.input),
            "separable": self.separable,
            "dense": self.dense,
            "holes": self.n_holes,
            "axes": [a.to_dict(mass) for a in self.axes],
        }

    def to_json(self, mass: Any = Fraction(95, 100)) -> str:
        return json.dumps(self.to_dict(mass), indent=2)

    def to_text(self, mass: Any = Fraction(95, 100)) -> str:
        inp = ", ".join("infinite" if n is None else str(n) for n in self.input)
        lines = [f"{term_text(self.name)}: connection counts of layer {term_text(self.layer)!r} (input {inp})"]
        for a in self.axes:
            lines.extend(a.text_lines(mass))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()
