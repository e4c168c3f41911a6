"""The safe expression parser and parameter validation."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from rfsym import Conv, Network, Pool, Repeat, RfsymError
from rfsym.values import SymbolDomain, parse_expr_string, parse_value


class TestParser:
    def test_arithmetic(self):
        """Integers, + - * / **, parentheses and unary minus follow the usual precedence."""
        assert parse_expr_string("2 + 3*4") == 14
        assert parse_expr_string("(2 + 3)*4") == 20
        assert parse_expr_string("2**3**2") == 512
        assert parse_expr_string("-2**2") == -4
        assert parse_expr_string("7/2") == Fraction(7, 2)

    def test_functions(self):
        """floor, ceil, Min and Max are the only functions."""
        assert parse_expr_string("floor(7/2) + ceil(7/2)") == 7
        assert parse_expr_string("Max(2, 5, 3) - Min(4, 1)") == 4
        n = sympy.Symbol("n", integer=True)
        assert parse_expr_string("floor(n/2)", names={"n": n}) == sympy.floor(n / 2)

    def test_symbols(self):
        """Names become integer symbols; a bare name gets its role's assumptions."""
        e = parse_expr_string("2*m + 1")
        (m,) = e.free_symbols
        assert m.is_integer and e == 2 * m + 1
        k = parse_value("k", role="kernel", where="c: kernel")
        assert k.is_positive and k.is_integer

    @pytest.mark.parametrize(
        "text, message",
        [
            ("__import__('os').system('touch pwned')", "unexpected character"),
            ("__import__(1)", "unknown function '__import__'"),
            ("os.system", "unexpected character '.'"),
            ("k +", "unexpected end"),
            ("(k", "missing ')'"),
            ("k k", "unexpected 'k'"),
            ("1/0", "division by zero"),
            ("2**100000", "too large"),
            ("exp(1)", "unknown function 'exp'"),
            ("_x", "may not start with '_'"),
            ("", "empty expression"),
            ("lambda: 1", "unexpected character ':'"),
        ],
    )
    def test_rejected(self, text, message):
        """Anything outside the grammar is an error naming the text; nothing is evaluated."""
        with pytest.raises(RfsymError, match="cannot parse") as e:
            parse_expr_string(text, where="conv1: kernel")
        assert message in str(e.value) and "conv1: kernel" in str(e.value)


class TestValidation:
    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"kernel": 0}, "conv1: kernel must be a positive integer (got 0)"),
            ({"kernel": 3, "stride": 0}, "conv1: stride must be a positive integer (got 0)"),
            ({"kernel": 3, "dilation": -2}, "conv1: dilation must be a positive integer (got -2)"),
            ({"kernel": 3, "padding": -1}, "conv1: padding must be a non-negative integer (got -1)"),
            ({"kernel": 2.5}, "conv1: kernel must be a positive integer (got 2.5)"),
            ({"kernel": "-k**2"}, "always below 1"),
            ({"kernel": "k + 1/2"}, "never an integer"),
            ({"kernel": [3, 3], "stride": [1, 1, 1]}, "conv1: stride has 3 axes but another parameter has 2"),
            ({"kernel": 3, "padding": [1, 2, 3]}, "[left, right]"),
            ({"kernel": 3, "padding": {"left": 1}}, "exactly 'left' and 'right'"),
            ({"kernel": True}, "conv1: kernel must be a positive integer (got True)"),
        ],
    )
    def test_conv_errors(self, kwargs, message):
        """Bad parameters fail at construction with layer, field and value."""
        with pytest.raises(RfsymError) as e:
            Conv(name="conv1", **kwargs)
        assert message in str(e.value)

    def test_pool_defaults(self):
        """Pool stride defaults to the kernel; ceil_mode is for pooling only."""
        assert Pool(kernel=3).stride == 3
        with pytest.raises(RfsymError, match="ceil_mode applies to pooling layers only"):
            Conv(kernel=3, ceil_mode=True)
        with pytest.raises(RfsymError, match="mode must be 'max' or 'avg'"):
            Pool(kernel=2, mode="min")

    def test_frozen(self):
        """Layers are immutable values."""
        c = Conv(kernel=3)
        with pytest.raises(AttributeError):
            c.kernel = 5  # type: ignore[misc]

    def test_padding_forms(self):
        """Padding: value, [left, right], {left, right}, modes, per-axis lists."""
        assert Conv(kernel=3, padding=1).padding == (1, 1)
        assert Conv(kernel=3, padding=[1, 2]).padding == (1, 2)
        assert Conv(kernel=3, padding={"left": 0, "right": 2}).padding == (0, 2)
        assert Conv(kernel=3, padding="SAME").padding == "same"
        assert Conv(kernel=[3, 5], padding=[1, 2]).padding == ((1, 1), (2, 2))
        assert Conv(kernel=[3, 5], padding=[[0, 1], "valid"]).padding == ((0, 1), "valid")
        assert Conv(kernel=[3, 5], padding=1).padding == ((1, 1), (1, 1))

    def test_domain_must_allow_constraint(self):
        """A symbol whose declared domain cannot satisfy the layer's constraint is an error."""
        with pytest.raises(RfsymError, match="conv1: kernel must be a positive integer"):
            Network([Conv(kernel="k", name="conv1")], symbols={"k": SymbolDomain(max=0)})
        with pytest.raises(RfsymError, match="min must be <= max"):
            SymbolDomain(min=5, max=2)
        net = Network([Conv(kernel="k", name="conv1")], symbols={"k": SymbolDomain(min=1, odd=True)})
        (k,) = net.free_symbols
        assert k.is_odd and k.is_positive

    def test_repeat_numeric_unrolls(self):
        """A numeric Repeat unrolls into the table, substituting its index."""
        block = [Conv(kernel=3, dilation="2**(l - 1)", name="c")]
        net = Network([Repeat(block=block, times=3, index="l", name="tcn")], input=64)
        rows = net.table().rows[1:]
        assert [r.name for r in rows] == ["c.1", "c.2", "c.3"]
        assert rows[-1].states[0].r == 1 + 2 * (1 + 2 + 4)
