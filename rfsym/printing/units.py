r"""Physical units: a sample rate or a pixel spacing turns r, j and start into milliseconds, millimetres, ….

wav2vec 2.0's feature encoder reads 400 samples and steps 320 at 16 kHz: 25 ms and 20 ms.

>>> u = parse_units(sample_rate=16000)
>>> u.text(400), u.text(320), u.tex(400)
('25 ms', '20 ms', '25\\,\\mathrm{ms}')
>>> parse_units(spacing="0.5mm").text(7)
'3.5 mm'

Values are exact where the decimal terminates within four places, else rounded to four significant
digits (tables say so).  Layer parameters (k, s, p) and counts (n) stay in samples or pixels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .. import _arith as A
from ..errors import RfsymError

__all__ = ["UNIT_QUANTITIES", "Units", "parse_units"]

#: the quantities a unit applies to (lengths along an axis)
UNIT_QUANTITIES = ("j", "r", "start")
_LENGTHS = {"nm": "nm", "um": r"\mu m", "mm": "mm", "cm": "cm", "m": "m"}


@dataclass(frozen=True)
class Units:
    """``scale`` physical units per input sample or pixel, named ``unit`` (``ms``, ``mm``, …)."""

    scale: Fraction
    unit: str

    def convert(self, v: Any) -> Any:
        """The value in the unit (a Fraction), or None for a symbolic value."""
        v = A.norm(v)
        return Fraction(v) * self.scale if A.is_num(v) else None

    def number(self, v: Any) -> str | None:
        """The converted value as a decimal: exact when it terminates within 4 places, else 4 significant
        digits; None for a symbolic value."""
        x = self.convert(v)
        if x is None:
            return None
        q = x.denominator
        for f in (2, 5):
            while q % f == 0:
                q //= f
        if q == 1 and len(A.fmt(x).split(".")[-1]) <= 4:
            return A.fmt(x)
        return f"{float(x):.4g}"

    def exact(self, v: Any) -> bool:
        x = self.convert(v)
        return x is not None and self.number(v) == A.fmt(x)

    def text(self, v: Any) -> str:
        return f"{self.number(v)} {self.unit}"

    def tex(self, v: Any) -> str:
        unit = _LENGTHS.get(self.unit, self.unit)
        unit = r"\mu\mathrm{m}" if self.unit == "um" else r"\mathrm{%s}" % unit
        return rf"{self.number(v)}\,{unit}"

    @property
    def tex_unit(self) -> str:
        return r"\textmu m" if self.unit == "um" else self.unit


def parse_units(sample_rate: Any = None, spacing: Any = None, net: Any = None) -> Units | None:
    """Units from a sample rate (Hz: values in ms) or a spacing (``"0.5mm"``, ``"2um"``, ``0.5`` = mm per
    pixel); with neither, the network's own ``sample_rate`` if it has one, else None."""
    if sample_rate is not None and spacing is not None:
        raise RfsymError("give a sample rate or a pixel spacing, not both")
    if sample_rate is None and spacing is None and net is not None:
        sample_rate = getattr(net, "sample_rate", None)
    if sample_rate is not None:
        rate = _positive(sample_rate, "sample rate")
        return Units(Fraction(1000) / rate, "ms")
    if spacing is not None:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(nm|um|mm|cm|m)?\s*", str(spacing))
        if not m:
            raise RfsymError(f"pixel spacing must be a positive length such as 0.5mm or 2um (got {spacing!r})")
        return Units(_positive(m.group(1), "pixel spacing"), m.group(2) or "mm")
    return None


def _positive(v: Any, what: str) -> Fraction:
    try:
        x = Fraction(str(v).strip()) if not isinstance(v, (int, Fraction)) else Fraction(v)
    except (ValueError, ZeroDivisionError):
        raise RfsymError(f"{what} must be a positive number (got {v!r})") from None
    if x <= 0 or x > 10**12:
        raise RfsymError(f"{what} must be a positive number up to 1e12 (got {v!r})")
    return x
