"""The one exception type rfsym raises for bad input."""

from __future__ import annotations

__all__ = ["EmptyOutputError", "RfsymError"]


class RfsymError(ValueError):
    """Bad input: a spec, a layer parameter, a target or an expression string.

    The message always names where the problem is (file, layer, field) and the
    offending value, e.g. ``conv3: stride must be a positive integer (got 0)``.
    """


class EmptyOutputError(RfsymError):
    """An input too small for the network: some layer's output has no feature (n < 1).

    Raised by the importers' size propagation, so that callers (the smallest-input
    hint of :func:`rfsym.from_torch`) can tell it apart from other bad input
    without reading the message.
    """
