r"""Physical units: a sample rate or a pixel spacing turns r, j and start into milliseconds, millimetres, ….

wav2vec 2.0's feature encoder reads 400 samples and steps 320 at 16 kHz: 25 ms and 20 ms.

>>> u = parse_units(sample_rate=16000)
>>> u.text(400), u.text(320), u.tex(400)
('25 ms', '20 ms', '25\\,\\mathrm{ms}')
>>> parse_units(spacing="0.5mm").text(7)
'3.5 mm'

In equations and figure captions, values are exact where the decimal terminates within four places,
else rounded to four significant digits and marked ``\approx``.  In tables (:meth:`Units.value`,
:meth:`Units.cell_text`) a value is exact: a finite decimal (within six places, like every table number),
a symbolic value times the exact scale, or -- only where the decimal does not end -- four significant
digits marked ``~`` (``\approx`` in LaTeX); JSON keeps the exact value.

>>> u.cell_text(400), parse_units(sample_rate=44100).cell_text(400), u.cell_text(1)
('25', '~9.070', '0.0625')

Layer parameters (k, s, p), counts (n) and the effective padding P (a padding: input samples or pixels
to add in front) stay in samples or pixels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .. import _arith as A
from ..errors import RfsymError

__all__ = ["UNIT_QUANTITIES", "Units", "approx", "finite_decimal", "parse_units"]

#: the quantities a unit applies to (lengths along an axis; P, a padding, stays in samples or pixels)
UNIT_QUANTITIES = ("j", "r", "start")
_LENGTHS = {"nm": "nm", "um": r"\mu m", "mm": "mm", "cm": "cm", "m": "m"}


@dataclass(frozen=True)
class Units:
    """``scale`` physical units per input sample or pixel, named ``unit`` (``ms``, ``mm``, …)."""

    scale: Fraction
    unit: str

    @property
    def quantities(self) -> tuple[str, ...]:
        """The quantities the unit applies to: :data:`UNIT_QUANTITIES`."""
        return UNIT_QUANTITIES

    def value(self, v: Any) -> Any:
        """The exact value in the unit: a Fraction (or int) for a number, the expression times the exact
        scale for a symbolic value (``k/8 + 1/16``)."""
        return A.mul(A.norm(v), self.scale)

    def cell_text(self, v: Any) -> str:
        """A table cell: the exact value in the unit (:meth:`value`) as a decimal within six places, else
        ``~`` and four significant digits; a symbolic value exactly."""
        x = A.norm(self.value(v))
        if not A.is_num(x):
            return A.fmt(x)
        exact = finite_decimal(x)
        return exact if exact is not None else "~" + approx(x)

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


def finite_decimal(x: Any) -> str | None:
    """``0.0625`` for a number whose decimal expansion ends within six places, else None."""
    x = A.norm(x)
    if isinstance(x, int):
        return str(x)
    q = x.denominator
    for f in (2, 5):
        while q % f == 0:
            q //= f
    s = A.fmt(x)
    return s if q == 1 and len(s.split(".")[-1]) <= 6 else None


def approx(x: Any) -> str:
    """``x`` rounded to four significant digits, as a plain decimal (no exponent; integers kept whole)."""
    x = Fraction(x)
    if x == 0:
        return "0"
    places = 0
    while abs(x) * 10**places < 1000:
        places += 1
    r = round(x, places)
    return f"{r.numerator // r.denominator}" if places == 0 else _fixed(r, places)


def _fixed(r: Fraction, places: int) -> str:
    sign = "-" if r < 0 else ""
    scaled = abs(r) * 10**places
    digits = str(scaled.numerator // scaled.denominator).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def parse_units(sample_rate: Any = None, spacing: Any = None, net: Any = None) -> Units | None:
    """Units from a sample rate (Hz: values in ms) or a spacing (``"0.5mm"``, ``"2um"``, ``0.5`` = mm per
    pixel); with neither, the network's own ``sample_rate`` if it has one, else None."""
    if sample_rate is not None and spacing is not None:
        raise RfsymError("give a sample rate (--sample-rate) or a pixel spacing (--spacing), not both")
    if sample_rate is None and spacing is None and net is not None:
        sample_rate = getattr(net, "sample_rate", None)
    if sample_rate is not None:
        rate = _positive(sample_rate, "sample rate (--sample-rate)", "a positive number of samples per second")
        return Units(Fraction(1000) / rate, "ms")
    if spacing is not None:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(nm|um|mm|cm|m)?\s*", str(spacing))
        if not m:
            raise RfsymError(
                "pixel spacing (--spacing) must be a positive length such as 0.5mm or 2um "
                f"(units nm, um, mm, cm, m; got {spacing!r})"
            )
        return Units(
            _positive(m.group(1), "pixel spacing (--spacing)", "a positive length", spacing), m.group(2) or "mm"
        )
    return None


_NUMBER = re.compile(r"[-+]?(?:[0-9]{1,30}(?:\.[0-9]{0,30})?|\.[0-9]{1,30})(?:[eE][-+]?[0-9]{1,3})?(?:/[0-9]{1,30})?")


def _positive(v: Any, what: str, must: str, given: Any = None) -> Fraction:
    """``v`` as an exact positive Fraction (an int, a Fraction, or text such as ``16000``, ``44100/2``,
    ``22.05e3``); bools, NaN, infinities, zero, negatives and more than 1e12 are refused, and the text is
    checked before any arithmetic (``1e999999999`` is never expanded)."""
    shown = v if given is None else given
    if isinstance(v, bool):
        raise RfsymError(f"{what} must be {must} (got {shown!r})")
    try:
        if isinstance(v, (int, Fraction)):
            x = Fraction(v)
        else:
            text = str(v).strip()
            if _NUMBER.fullmatch(text) is None:  # also bounds the exponent: at most 3 digits
                raise ValueError(text)
            x = Fraction(text)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise RfsymError(f"{what} must be {must} (got {shown!r})") from None
    if x <= 0:
        raise RfsymError(f"{what} must be {must} (got {shown!r})")
    if x > 10**12:
        raise RfsymError(f"{what} must be at most 1e12 (got {shown!r})")
    return x
