"""The one exception type rfsym raises for bad input."""

from __future__ import annotations

__all__ = ["RfsymError"]


class RfsymError(ValueError):
    """Bad input: a spec, a layer parameter, a target or an expression string.

    The message always names where the problem is (file, layer, field) and the
    offending value, e.g. ``conv3: stride must be a positive integer (got 0)``.
    """
