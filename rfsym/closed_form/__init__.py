"""Closed forms of n, j, r, start and effective padding for sequential stacks.

The package holds one idea per module:

* :mod:`~rfsym.closed_form.result`: :class:`ClosedForms`, the result object;
* :mod:`~rfsym.closed_form.derive`: :func:`derive`, its checks and conditions,
  :func:`equivalent` and :func:`general_stack`;
* :mod:`~rfsym.closed_form.repeats`: blocks repeated a symbolic number of times
  (geometric sums, indexed ``Sum``/``Product``);
* :mod:`~rfsym.closed_form._text`: the compact printer of long forms.

The affine maps they compose come from :mod:`rfsym.maps`, the one reader of the
layers' transfer functions.
"""

from __future__ import annotations

from ._text import display
from .derive import derive, equivalent, general_stack
from .result import ClosedForms

__all__ = ["ClosedForms", "derive", "display", "equivalent", "general_stack"]
