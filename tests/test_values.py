"""The safe expression parser and parameter validation."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import event, given, settings
from hypothesis import strategies as st

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


class TestLimits:
    """Issue 11: the parser's documented limits, checked before sympy builds anything."""

    @pytest.mark.parametrize(
        "text, message",
        [
            ("(" * 200 + "k" + ")" * 200, "nested more than 50 levels"),
            ("floor(" * 200 + "k" + ")" * 200, "nested more than 50 levels"),
            ("Max(" * 200 + "k" + ", 1)" * 200, "nested more than 50 levels"),
            ("-" * 4000 + "k", "nested more than 50 levels"),
            ("((2**4096)**4096)**4096", "more than 8192 bits"),
            ("2**4096*2**4096*2**4096", "more than 8192 bits"),
            ("(k+1)**1000", "exponent 1000 of an expression with symbols is too large"),
            ("k" + "*k" * 100, "its degree 101 is too large"),
            ("1" * 301, "integer literal is too long"),
            ("k + " * 3000 + "k", "expression is too long"),
        ],
    )
    def test_bombs_are_one_line_errors(self, text, message):
        """Deep nests and huge numbers are refused with a one-line RfsymError naming the field, fast."""
        import time

        t = time.process_time()
        with pytest.raises(RfsymError) as e:
            parse_value(text, role="kernel", where="conv1: kernel")
        assert message in str(e.value) and str(e.value).startswith("conv1: kernel") and "\n" not in str(e.value)
        assert time.process_time() - t < 1.0

    def test_within_limits(self):
        """Just inside the limits still parses."""
        assert parse_expr_string("(" * 40 + "1" + ")" * 40) == 1
        assert parse_expr_string("2**4096") == 2**4096
        assert parse_expr_string("(k + 1)**64").free_symbols

    @pytest.mark.parametrize(
        "value, message",
        [
            (12345678901234567.0, "write it as an integer"),
            (2.0**60, "write it as an integer"),
            (float("inf"), "must be a positive integer (got inf)"),
            (float("nan"), "must be a positive integer (got nan)"),
            (2**64 + 1, "above the limit of 2**64"),
        ],
    )
    def test_no_silent_coercion(self, value, message):
        """Floats that may not be the number written, infinities and out-of-range values are refused."""
        with pytest.raises(RfsymError, match="conv1: kernel") as e:
            parse_value(value, role="kernel", where="conv1: kernel")
        assert message in str(e.value)
        assert parse_value(3.0, role="kernel", where="k") == 3 and isinstance(
            parse_value(3.0, role="kernel", where="k"), int
        )


# Random strings over the grammar's alphabet, deep nests and huge numbers: a value or an RfsymError, fast.
_ALPHABET = st.sampled_from(list("0123456789kns+-*/(), ") + ["**", "floor(", "ceil(", "Min(", "Max(", "9" * 50])


@st.composite
def _hostile(draw):
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return "".join(draw(st.lists(_ALPHABET, max_size=60)))
    if kind == 1:
        depth = draw(st.integers(1, 400))
        op = draw(st.sampled_from(["(", "floor(", "Max(1,", "-", "2**"]))
        close = ")" if op.endswith("(") or op.endswith(",") else ""
        return op * depth + draw(st.sampled_from(["k", "3", "n"])) + close * depth
    if kind == 2:
        a, b, c = draw(st.integers(0, 5000)), draw(st.integers(0, 5000)), draw(st.integers(-3, 3))
        return f"(({draw(st.integers(-9, 9))}**{a})**{b})**{c}"
    return draw(st.text(max_size=40))


class TestFuzz:
    @settings(max_examples=1500, deadline=None)
    @given(_hostile(), st.sampled_from(["kernel", "padding", "stride", "input", None]))
    def test_value_or_rfsym_error(self, text, role):
        """Any string gives a value or an RfsymError (one line naming the field), in bounded time."""
        import time

        t = time.process_time()
        try:
            v = parse_value(text, role=role, where="f: kernel")
        except RfsymError as e:
            assert str(e).startswith("f: kernel") and "\n" not in str(e)
        else:
            assert isinstance(v, int) or hasattr(v, "free_symbols")
        assert time.process_time() - t < 2.0


class TestHugeDenominators:
    """CI found ``k/99999...9`` overflowing ``range()`` in the residue check: the count of residues is
    bounded before any residue list is built, for every kind of variable."""

    @pytest.mark.parametrize(
        "text",
        [
            "k/" + "9" * 50,
            "(k + 1)/" + "8" * 40,
            "k*m/" + "7" * 30,
            "k**2/" + "6" * 25,
        ],
    )
    def test_refused_as_kernel_in_bounded_time(self, text):
        import time

        from rfsym import Conv, Network

        t = time.process_time()
        v = parse_value(text, role="kernel", where="f: kernel")
        assert v.free_symbols  # parsed exactly, no coercion
        with pytest.raises(RfsymError, match=r"^conv1: kernel must be a positive integer .*not provably"):
            Network([Conv(kernel=text)]).table()
        assert time.process_time() - t < 2.0

    def test_is_integral_undecided_not_overflow(self):
        import sympy

        from rfsym.values import SymbolDomain, is_integral

        k = sympy.Symbol("k", integer=True)
        big = 10**60
        assert is_integral(k / big) is None
        assert is_integral(k / big, {"k": SymbolDomain(odd=True)}) is None
        assert is_integral((2 * k) / 4, {"k": SymbolDomain(even=True)}) is True


class TestProven:
    """Issue 11: a kernel, stride or dilation must be proven a positive integer over its symbols' domains."""

    @pytest.mark.parametrize(
        "field, expr, symbols, ok",
        [
            ("stride", "1/k", "k = { min = 1 }", False),
            ("stride", "1/k", "k = { min = 2 }", False),
            ("kernel", "k - 2", "k = { min = 1 }", False),
            ("kernel", "k - 2", "k = { min = 3 }", True),
            ("kernel", "2*m + 1", "m = { min = 0 }", True),
            ("kernel", "2*m + 1", "m = {}", False),
            ("stride", "k/2", "k = { min = 2, even = true }", True),
            ("stride", "k/2", "k = { min = 2 }", False),
            ("dilation", "(k*(k + 1))/2", "k = { min = 1 }", True),
            ("dilation", "k/6", "k = { min = 6, even = true }", False),
            ("kernel", "floor(k/2)", "k = { min = 2 }", True),
            ("kernel", "floor(k/2)", "k = { min = 1 }", False),
            ("dilation", "b**(l - 1)", "b = { min = 2 }\nl = { min = 1 }", True),
            ("dilation", "b**(l - 1)", "b = { min = 2 }\nl = {}", False),
            ("kernel", "k1 + 2*k3*s1 - s1", "k1 = { min = 1 }\nk3 = { min = 1 }\ns1 = { min = 1 }", True),
        ],
    )
    def test_proof_or_refusal(self, field, expr, symbols, ok):
        """Accepted exactly when every value of the symbols gives a positive integer (checked by brute force)."""
        from rfsym import loads

        spec = f'[symbols]\n{symbols}\n[[layers]]\nname = "c"\nkind = "conv"\nkernel = 3\n{field} = "{expr}"\n'
        spec = spec.replace("kernel = 3\nkernel", "kernel")
        if ok:
            loads(spec)
        else:
            with pytest.raises(RfsymError, match=f"c: {field} must be a positive integer"):
                loads(spec)

    @settings(max_examples=400, deadline=None)
    @given(
        st.lists(st.integers(-3, 3), min_size=1, max_size=4),
        st.integers(1, 6),
        st.sampled_from(["", "odd = true", "even = true"]),
        st.integers(-2, 3),
    )
    def test_accepted_means_true_for_every_value(self, coeffs, den, parity, lo):
        """A random polynomial over a denominator, in a random domain: if rfsym accepts it as a stride,
        it is a positive integer at every value of the domain (brute force over the first 60)."""
        from rfsym import loads

        terms = " + ".join(f"({c})*k**{i}" for i, c in enumerate(coeffs))
        expr = f"({terms})/{den}"
        dom = ", ".join(x for x in (f"min = {lo}", parity) if x)
        spec = f'[symbols]\nk = {{ {dom} }}\n[[layers]]\nname = "c"\nkind = "conv"\nkernel = 1\nstride = "{expr}"\n'
        try:
            loads(spec)
        except RfsymError:
            event("refused")
            return
        event("accepted")
        for k in range(lo, lo + 60):
            if parity == "odd = true" and k % 2 == 0 or parity == "even = true" and k % 2:
                continue
            v = Fraction(sum(c * k**i for i, c in enumerate(coeffs)), den)
            assert v.denominator == 1 and v >= 1, (expr, k)
