"""Internal symbols (summation indices, the generic state, template placeholders) never collide
with a user's symbols, whatever their names (issue 11: a repeat with kernel = "i")."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from rfsym import Conv, Network, Pool, Repeat, derive
from rfsym import _arith as A

#: Names rfsym uses or used internally: summation index, Dummy bases, old generic-state names.
INTERNAL = ["i", "t", "m", "x", "J", "R", "S", "P", "ell", "_rfsym_x", "_rfsym_J", "_rfsym_t0_integer_positive"]


def test_kernel_named_i():
    """Repeat(Conv(kernel=i, stride=2), times=L): r = 2^L i - 2^L - i + 2 (it was 2^L L - 2 2^L + 3)."""
    forms = derive(Network([Repeat(block=[Conv(kernel="i", stride=2)], times="L")]))
    S = {s.name: s for s in forms.free_symbols}
    i, L = S["i"], S["L"]
    assert sympy.simplify(forms.r - (2**L * i - 2**L - i + 2)) == 0


def _unrolled(block, times, values):
    net = Network([Repeat(block=block, times=times)]).subs(values)
    return net.table(input=10**6).output[0]


@pytest.mark.parametrize("name", INTERNAL)
def test_user_symbol_named_like_an_internal_one(name):
    """Kernel and padding named like each internal symbol: the forms at numbers equal the unrolled table."""
    # specs refuse names starting with '_'; the Python API takes any sympy Symbol
    kernel = sympy.Symbol(name, integer=True, positive=True) if name.startswith("_") else name
    block = [Conv(kernel=kernel, stride=2, padding="q"), Pool(kernel=2, stride=1)]
    forms = derive(Network([Repeat(block=block, times="L")]))
    for kv, qv, Lv in [(3, 0, 1), (5, 1, 3), (2, 2, 4)]:
        at = forms.subs({name: kv, "q": qv, "L": Lv})
        want = _unrolled(block, Lv, {name: kv, "q": qv})
        assert (A.norm(at.j), A.norm(at.r), A.norm(at.P)) == (want.j, want.r, want.P)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(INTERNAL[:9]), st.integers(1, 6), st.integers(1, 3), st.integers(1, 5))
def test_internal_names_property(name, k, s, L):
    """Random kernel/stride/count with the kernel named like an internal symbol vs the unrolled stack."""
    block = [Conv(kernel=name, stride=s)]
    forms = derive(Network([Repeat(block=block, times="L")]))
    at = forms.subs({name: k, "L": L})
    want = _unrolled(block, L, {name: k})
    assert (A.norm(at.j), A.norm(at.r), A.norm(at.start)) == (want.j, want.r, want.start)
