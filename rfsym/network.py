"""Sequential networks and their per-layer receptive-field tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

from . import _arith as A
from ._bisect import smallest
from ._display import LatexPrintable, TableDisplay, term_text
from .errors import RfsymError
from .layers import CONVENTIONS, AxisState, Identity, Layer, Repeat
from .values import MAX_UNROLL, SymbolDomain, check_value, parse_value

__all__ = ["Network", "Row", "Table", "parse_origin"]

#: The largest input size min_input_size searches.
INPUT_CAP = 2**80


def parse_origin(origin: Any) -> Any:
    """0.5 (pixel centres at 0.5, 1.5, …; the seed's) or 0 (index coordinates; Distill's)."""
    if isinstance(origin, str):
        try:
            origin = Fraction(origin.strip())
        except ValueError:
            raise RfsymError(f"origin must be 0.5 or 0 (got {origin!r})") from None
    try:
        o = Fraction(origin)
    except (TypeError, ValueError):
        raise RfsymError(f"origin must be 0.5 or 0 (got {origin!r})") from None
    if o not in (0, Fraction(1, 2)):
        raise RfsymError(f"origin must be 0.5 or 0 (got {A.fmt(o)})")
    return A.norm(o)


def _check_convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise RfsymError(f"convention must be one of {', '.join(CONVENTIONS)} (got {convention!r})")
    return convention


def _unify_symbols(
    layers: Sequence[Layer], extra: Iterable[Any] = (), domains: dict[str, SymbolDomain] | None = None
) -> dict[Any, Any]:
    """Map same-named symbols with different assumptions to one symbol with the strongest ones.

    A name used as a bare kernel (positive) and inside a padding expression
    (integer) must be one symbol, or ``same`` padding never simplifies.
    """
    by_name: dict[str, set[Any]] = {}
    for lay in layers:
        for s in lay.free_symbols:
            by_name.setdefault(s.name, set()).add(s)
    for s in extra:
        for t in getattr(s, "free_symbols", ()):
            by_name.setdefault(t.name, set()).add(t)
    mapping: dict[Any, Any] = {}
    domains = domains or {}
    for name, syms in by_name.items():
        if len(syms) < 2 and name not in domains:
            continue
        assume: dict[str, bool] = {}
        for s in syms:
            for key in ("integer", "positive", "nonnegative", "odd", "even"):
                if s.assumptions0.get(key):
                    assume[key] = True
        if name in domains:
            assume = domains[name].assumptions(assume)
        if assume.get("positive"):
            assume.pop("nonnegative", None)
        if assume.get("odd") and assume.get("even"):
            raise RfsymError(f"symbol {name!r} is declared both odd and even")
        import sympy

        target = sympy.Symbol(name, **assume)
        for s in syms:
            if s != target:
                mapping[s] = target
    return mapping


def is_pass_through(layer: Layer | None) -> bool:
    """The one definition of a pass-through layer (an activation, normalisation or dropout: it changes no
    value): an :class:`~rfsym.layers.Identity`.  Tables leave such rows out unless ``pass_through`` (in
    every format, at every entry point: ``rfsym table``, ``rfsym export``, the Python API, Jupyter) and
    do not count them; JSON keeps them, marked ``"pass_through": true``."""
    return isinstance(layer, Identity)


@dataclass(frozen=True)
class Row(LatexPrintable):
    """One row of a table: a layer (None for the input) and its state on each axis."""

    name: str
    layer: Layer | None
    states: tuple[AxisState, ...]


class LazyRow(Row):
    """A row of a long symbolic table: ``states`` are computed on first access (one composed map of the
    prefix); the renderers print the row as the recurrence on the previous row (:meth:`recurrence`)."""

    _index: int
    _long: _LongTable
    prev: str

    def __init__(self, name: str, layer: Layer, index: int, long: _LongTable, prev: str) -> None:
        for key, val in (("name", name), ("layer", layer), ("_index", index), ("_long", long), ("prev", prev)):
            object.__setattr__(self, key, val)

    @property  # type: ignore[override]
    def states(self) -> tuple[AxisState, ...]:
        return self._long.state(self._index)

    def recurrence(self, axis: int = 0) -> tuple[Any, ...]:
        """(n, j, r, start, P) on ``axis`` in terms of the previous row's values ``n[prev]``, ``j[prev]``, …"""
        return self._long.recurrence(self._index, axis, self.prev)

    def recurrence_text(self, axis: int = 0) -> tuple[str, ...]:
        """The same as text (sympy syntax), built in linear time."""
        return self._long.recurrence_text(self._index, axis, self.prev)

    def __repr__(self) -> str:
        return f"LazyRow({self.name!r}, {self.layer!r})"


@dataclass(frozen=True)
class Table(TableDisplay):
    """Per-layer receptive-field table of a network for one input size."""

    name: str
    input: tuple[Any, ...]
    rows: tuple[Row, ...]
    convention: str
    origin: Any
    min_input: tuple[Any, ...] | None = None
    #: index of the first row printed as a recurrence on the previous row (long symbolic tables), or None
    recurrence_from: int | None = field(default=None, kw_only=True)
    #: the network's samples per second (its spec's ``sample_rate``), or None: renderers show ms by default
    sample_rate: Any = field(default=None, kw_only=True)

    @property
    def ndim(self) -> int:
        return len(self.input)

    @property
    def output(self) -> tuple[AxisState, ...]:
        return self.rows[-1].states

    def __getitem__(self, name: str) -> Row:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(name)

    def to_dict(self, units: Any = None) -> dict[str, Any]:
        """The JSON form of docs/conventions.md ("JSON output"): exact values, lists per axis when N-D;
        every layer, pass-through ones marked ``"pass_through": true``; with ``units``
        (:func:`rfsym.printing.units.parse_units`) also ``"units"`` and each layer's ``"in_units"``."""
        if self.recurrence_from is not None:
            raise RfsymError(
                f"{term_text(self.name)}: a symbolic table of {len(self.rows) - 1} layers is too long for JSON "
                f"(its cells grow with the depth; at most {FULL_ROWS} symbolic layers); use --format text, "
                "which prints the later rows as recurrences, or 'rfsym derive' for the output's closed form"
            )
        one = self.ndim == 1

        def val(values: list[Any]) -> Any:
            vs = [A.to_json(v) for v in values]
            return vs[0] if one else vs

        out: dict[str, Any] = {
            "name": self.name,
            "input": val(list(self.input)),
            "convention": self.convention,
            "origin": A.to_json(self.origin),
            "layers": [],
        }
        if units is not None:  # duck-typed (rfsym.printing.units.Units): this level imports no printer
            out["units"] = {"unit": units.unit, "scale": A.to_json(units.scale), "quantities": list(units.quantities)}
        for row in self.rows[1:]:
            d: dict[str, Any] = {"name": row.name, "kind": row.layer.kind if row.layer else "input"}
            if is_pass_through(row.layer):
                d["pass_through"] = True
            for key in ("n", "j", "r", "start", "effective_padding"):
                d[key] = val([s.as_dict()[key] for s in row.states])
            if units is not None:
                d["in_units"] = {q: val([units.value(s.as_dict()[q]) for s in row.states]) for q in units.quantities}
            out["layers"].append(d)
        if self.min_input is not None:
            out["min_input"] = val(list(self.min_input))
        return out


def _unrolled_names(lay: Layer) -> Iterable[str]:
    if not isinstance(lay, Repeat) or not isinstance(lay.times, int):
        yield lay.label()
        return
    for i in range(1, lay.times + 1):
        for b in lay.block:
            for sub in _unrolled_names(b):
                yield f"{sub}.{i}"


def _check_unrolled_names(layers: Sequence[Layer], name: str) -> None:
    """Numeric repeats unroll into names ``layer.copy``: they must not clash with each other or other layers."""
    if not any(isinstance(lay, Repeat) for lay in layers) or sum(lay.unrolled_size() for lay in layers) > MAX_UNROLL:
        return  # nothing to unroll, or unrolling is refused anyway (with its own message)
    seen: set[str] = set()
    for lay in layers:
        for sub in _unrolled_names(lay):
            if sub in seen:
                raise RfsymError(f"{name}: duplicate layer name {sub!r} once the repeats are unrolled (rename a layer)")
            seen.add(sub)


def check_sample_rate(value: Any, name: str) -> Any:
    """A sample rate in Hz: None, or a positive finite int, float or Fraction (not a bool)."""
    if value is None:
        return None
    import math

    ok = isinstance(value, (int, float, Fraction)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value <= 0:
        raise RfsymError(f"{name}: sample_rate must be a positive number of samples per second (got {value!r})")
    return value


def _check_symbols(symbols: Any, name: str) -> dict[str, SymbolDomain]:
    if symbols is None:
        return {}
    if not isinstance(symbols, dict):
        raise RfsymError(f"{name}: symbols must be a dict of name -> SymbolDomain (got {type(symbols).__name__})")
    out = {}
    for k, v in symbols.items():
        if not isinstance(v, SymbolDomain):
            raise RfsymError(f"{name}: symbols[{str(k)!r}] must be a SymbolDomain (got {type(v).__name__})")
        out[str(k)] = v
    return out


def _broadcast_input(inp: tuple[Any, ...] | None, nd: int | None, name: str) -> tuple[Any, ...]:
    """One input size per axis: a single size is used on every axis of an N-D network."""
    if inp is None:
        raise RfsymError(f"{name}: no input size given (use --input or the spec's 'input')")
    if nd is not None and len(inp) == 1:
        return inp * nd
    if nd is not None and len(inp) != nd:
        raise RfsymError(f"{name}: input has {len(inp)} axes but the layers have {nd}")
    return inp


#: Symbolic tables of more layers than this fold each prefix's n into one floor.
NEST_LIMIT = 12
#: A symbolic table of more layers than this is long: only its first LONG_FULL_ROWS rows are computed in
#: full; later rows hold their values lazily and print as the recurrence on the previous row (full cells
#: grow with the depth: O(L^2) terms at row L, O(L^3) characters for the table).
FULL_ROWS = 24
LONG_FULL_ROWS = 3
_STATE_NAMES = ("n", "j", "r", "start", "P")


class _LongTable:
    """The layers of a long symbolic table: their maps and the prefix states, each computed on demand."""

    def __init__(self, layers: Sequence[Layer], inp: tuple[Any, ...], convention: str, origin: Any) -> None:
        self.layers, self.inp, self.convention, self.origin = list(layers), inp, convention, origin
        self._maps: dict[int, list[Any]] = {}
        self._states: dict[int, tuple[AxisState, ...]] = {}
        self._texts: dict[tuple[int, int], tuple[str, ...]] = {}

    def maps(self, ax: int) -> list[Any]:
        from . import maps  # sympy: symbolic tables only

        if ax not in self._maps:
            self._maps[ax] = [maps.layer_map(lay, ax, self.convention) for lay in self.layers]
        return self._maps[ax]

    def state(self, i: int) -> tuple[AxisState, ...]:
        """The full state after layer ``i`` (0-based) on every axis: one composed map of the prefix."""
        from . import maps

        if i not in self._states:
            out = []
            for ax, n0 in enumerate(self.inp):
                total = maps.compose_all(self.maps(ax)[: i + 1])
                out.append(
                    AxisState(
                        n=total.n_of(n0),
                        j=maps.at(total.m, n0),
                        r=A.add(1, maps.at(total.a, n0)),
                        start=A.add(self.origin, maps.at(total.c, n0)),
                        P=maps.at(total.b, n0),
                    )
                )
            self._states[i] = tuple(out)
        return self._states[i]

    def recurrence_text(self, i: int, ax: int, prev: str) -> tuple[str, ...]:
        """(n, j, r, start, P) after layer ``i`` as text in the previous row's values: read from the layer's
        map with short sympy strings (linear time over the table); maps whose terms depend on the input
        size (TensorFlow ``same`` padding) go through :meth:`recurrence`."""
        key = (i, ax)
        hit = self._texts.get(key)
        if hit is None:
            mp = self.maps(ax)[i]
            if mp.xdep or not mp.folds:
                hit = tuple(_sstr(x) for x in self.recurrence(i, ax, prev))
            else:
                q = {k: f"{k}[{prev}]" for k in _STATE_NAMES}
                n = f"floor(({q['n']}{_plus(mp.e)})/{_factor(mp.den)}) + 1" if mp.den != 1 else f"{q['n']}{_plus(mp.g)}"
                hit = (n, _times(mp.m, q["j"]), q["r"] + _plus(mp.a, q["j"]), q["start"] + _plus(mp.c, q["j"]),
                       q["P"] + _plus(mp.b, q["j"]))  # fmt: skip
            self._texts[key] = hit
        return hit

    def recurrence(self, i: int, ax: int, prev: str) -> tuple[Any, ...]:
        """(n, j, r, start, P) after layer ``i`` as sympy expressions of the previous row's values, which
        are symbols named ``n[prev]``, ``j[prev]``, …: the layer's affine map applied to them."""
        import sympy

        from . import maps

        mp = self.maps(ax)[i]
        q = {k: sympy.Symbol(f"{k}[{prev}]", **_PREV_ASSUME[k]) for k in _STATE_NAMES}
        at = {k: maps.at(getattr(mp, k), q["n"]) for k in ("m", "a", "b", "c")}
        if mp.folds:
            n = sympy.floor(sympy.Mul(sympy.Add(q["n"], A.to_sympy(mp.e)), sympy.Pow(mp.den, -1)), evaluate=False) + 1
        else:
            n = mp.n_of(q["n"])
        j = q["j"] * A.to_sympy(at["m"])
        return (n, j, q["r"] + A.to_sympy(at["a"]) * q["j"], q["start"] + A.to_sympy(at["c"]) * q["j"],
                q["P"] + A.to_sympy(at["b"]) * q["j"])  # fmt: skip


def _sstr(x: Any) -> str:
    """sympy syntax in the order the expression was built (no canonical sort: fast on many small cells)."""
    if A.is_num(x):
        return A.fmt(x)
    fast = A.poly_str(x)  # sums and products of symbols: linear time, readable order
    if fast is not None:
        return fast
    from sympy.printing.str import sstr

    return str(sstr(x, order="none"))


def _factor(x: Any) -> str:
    """x as a factor: bracketed unless a number, a single symbol or a product without division."""
    t = _sstr(x)
    if A.is_num(x):
        return t if A.norm(x) >= 0 and "/" not in t else f"({t})"
    plain = getattr(x, "is_Symbol", False) or (getattr(x, "is_Mul", False) and "/" not in t and not t.startswith("-"))
    return t if plain else f"({t})"


def _times(x: Any, name: str) -> str:
    return name if A.is_num(x) and A.norm(x) == 1 else f"{_factor(x)}*{name}"


def _plus(x: Any, name: str | None = None) -> str:
    """`` + x*name`` (or `` - |x|*name`` for a negative number; nothing for 0)."""
    if A.is_num(x):
        v = A.norm(x)
        if v == 0:
            return ""
        body = A.fmt(abs(v)) if name is None else _times(abs(v), name)
        return (" - " if v < 0 else " + ") + body
    text = _sstr(x) if name is None else _times(x, name)
    return " - " + text[1:] if text.startswith("-") else " + " + text


_PREV_ASSUME: dict[str, dict[str, bool]] = {
    "n": {"integer": True, "positive": True},
    "j": {"positive": True},
    "r": {"positive": True},
    "start": {"real": True},
    "P": {"real": True},
}


def _symbolic_states(
    layers: Sequence[Layer], inp: tuple[Any, ...], convention: str, origin: Any
) -> list[list[AxisState]]:
    """Per axis, the state after each layer of a symbolic table, every floor kept unless proved removable.

    Short stacks: the transfer functions, with n taken from the layers' maps
    (:mod:`rfsym.maps`, whose floors never drop on sympy's word: sympy 1.14 believes
    ``N/6`` is an integer for even N).  Long stacks: each prefix is one composed
    map, so n is one folded floor ``floor((N + e_l)/D_l) + 1`` instead of l nested
    floors (which grow without bound and exhaust the recursion limit).
    """
    from . import maps  # sympy: only for symbolic tables (numeric tables stay light)

    out = []
    for ax, n0 in enumerate(inp):
        lmaps = [maps.layer_map(lay, ax, convention) for lay in layers]
        maps.check_n_dependent(layers, lmaps, "table")
        if len(layers) <= NEST_LIMIT:
            st, states = AxisState.input(n0, origin), []
            for lay, mp in zip(layers, lmaps):
                new = lay.transfer(st, ax, convention)
                st = AxisState(mp.n_of(st.n), new.j, new.r, new.start, new.P)
                states.append(st)
            out.append(states)
            continue
        # many symbolic strides: each prefix in derive's nested form (linear size, small depth)
        big = sum(mp.nsym for mp in lmaps) > maps.FLAT_LIMIT
        total, states = maps.identity(), []
        for i, mp in enumerate(lmaps):
            total = maps.compose_all(lmaps[: i + 1]) if big else maps.compose(total, mp)
            states.append(
                AxisState(
                    n=total.n_of(n0),
                    j=maps.at(total.m, n0),
                    r=A.add(1, maps.at(total.a, n0)),
                    start=A.add(origin, maps.at(total.c, n0)),
                    P=maps.at(total.b, n0),
                )
            )
        out.append(states)
    return out


@dataclass(frozen=True, init=False)
class Network(LatexPrintable):
    """A sequential stack of layers.

    >>> from rfsym import Conv, Pool, Network
    >>> net = Network([Conv(kernel=3, padding=1, name="c1"), Pool(kernel=2, name="p1")], input=32)
    >>> row = net.table().rows[-1].states[0]
    >>> row.n, row.j, row.r, row.start
    (16, 2, 4, 1)
    """

    layers: tuple[Layer, ...]
    input: tuple[Any, ...] | Any
    name: str
    symbols: dict[str, SymbolDomain] = field(default_factory=dict)
    #: samples per second of a 1-D signal (Hz), or None: figures and exports may show time (not a dataclass field)
    sample_rate: ClassVar[Any] = None

    def __init__(
        self,
        layers: Sequence[Layer],
        input: Any = None,
        name: str = "network",
        symbols: dict[str, SymbolDomain] | None = None,
        sample_rate: Any = None,
    ) -> None:
        if not isinstance(name, str):
            raise RfsymError(f"a network's name must be a string (got {type(name).__name__})")
        object.__setattr__(self, "sample_rate", check_sample_rate(sample_rate, name))
        symbols = _check_symbols(symbols, name)
        if isinstance(layers, Layer):
            layers = [layers]
        if not isinstance(layers, (list, tuple)):
            raise RfsymError(f"{name}: layers must be a list of rfsym layers (got {type(layers).__name__})")
        layers = list(layers)
        if not layers:
            raise RfsymError(f"{name}: a network needs at least one layer")
        seen: set[str] = set()
        named: list[Layer] = []
        for i, lay in enumerate(layers, 1):
            if not isinstance(lay, Layer):
                raise RfsymError(f"{name}: layer {i} is not an rfsym layer (got {type(lay).__name__})")
            if lay.name is None:
                lay = lay.renamed(f"{lay.kind}{i}")
            if lay.name in seen:
                raise RfsymError(f"{name}: duplicate layer name {lay.name!r}")
            seen.add(lay.name)  # type: ignore[arg-type]
            named.append(lay)
        inp = self._parse_input(input, name) if input is not None else None
        sym_map = _unify_symbols(named, inp or (), symbols)
        if sym_map:

            def rename(v: Any) -> Any:
                return v.xreplace(sym_map) if hasattr(v, "xreplace") else v

            # symbols renamed to their unified form; _check_domains below proves every value
            named = [lay.map_values(rename, validate=False) for lay in named]
            if inp is not None:
                inp = tuple(A.norm(v.xreplace(sym_map)) if hasattr(v, "xreplace") else v for v in inp)
        object.__setattr__(self, "layers", tuple(named))
        object.__setattr__(self, "input", inp)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "symbols", symbols)
        self.ndim  # noqa: B018 - validates axis counts
        self._check_domains()
        _check_unrolled_names(self.layers, name)

    def _check_domains(self) -> None:
        """Every parameter must be proven an integer reaching its role's bound within the symbols' domains
        (a repeat's index ranges over 1..times inside its block)."""

        def walk(layers: Sequence[Layer], doms: dict[str, SymbolDomain], prefix: str) -> None:
            for lay in layers:
                where = f"{prefix}{lay.label()}"
                if isinstance(lay, Repeat):
                    check_value(lay.times, role="times", where=f"{where}: times", domains=doms)
                    inner = dict(doms)
                    if lay.index is not None:
                        top = lay.times if isinstance(lay.times, int) else None
                        inner[lay.index.name] = SymbolDomain(min=1, max=top)
                    walk(lay.block, inner, f"{where}: ")
                    continue
                for fld, role, v in lay.role_values():
                    if not A.is_num(v):
                        check_value(v, role=role, where=f"{where}: {fld}", domains=doms)

        walk(self.layers, self.symbols, "")
        for i, v in enumerate(self.input or ()):
            if not A.is_num(v):
                where = f"{self.name}: input" + (f"[{i}]" if len(self.input) > 1 else "")
                check_value(v, role="input", where=where, domains=self.symbols)

    @staticmethod
    def _parse_input(value: Any, name: str) -> tuple[Any, ...]:
        if isinstance(value, (list, tuple)):
            if not value:
                raise RfsymError(f"{name}: input is an empty list")
            return tuple(parse_value(v, role="input", where=f"{name}: input[{i}]") for i, v in enumerate(value))
        if isinstance(value, str) and "," in value:
            return Network._parse_input([v.strip() for v in value.split(",")], name)
        return (parse_value(value, role="input", where=f"{name}: input"),)

    @property
    def ndim(self) -> int | None:
        nds = {lay.ndim for lay in self.layers} - {None}
        if len(nds) > 1:
            raise RfsymError(f"{self.name}: layers disagree on the number of axes ({sorted(nds)})")  # type: ignore[type-var]
        return nds.pop() if nds else None

    @property
    def free_symbols(self) -> set[Any]:
        out: set[Any] = set()
        for lay in self.layers:
            out |= lay.free_symbols
        for v in self.input or ():
            out |= getattr(v, "free_symbols", set())
        return out

    def flat_layers(self) -> list[Layer]:
        """The layers with every numeric Repeat unrolled."""
        out: list[Layer] = []
        for lay in self.layers:
            out.extend(lay.unroll() if isinstance(lay, Repeat) else [lay])
        return out

    def subs(self, mapping: dict[Any, Any]) -> Network:
        """A copy with symbols replaced (by name or Symbol) by values."""
        by_name = {str(k): v for k, v in mapping.items()}
        syms = {s: by_name[s.name] for s in self.free_symbols if s.name in by_name}

        def f(v: Any) -> Any:
            return v.xreplace(syms) if hasattr(v, "xreplace") and syms else v

        layers = [lay.map_values(f) for lay in self.layers]
        inp = tuple(A.norm(f(v)) for v in self.input) if self.input is not None else None
        return Network(layers, input=inp, name=self.name, symbols=self.symbols, sample_rate=self.sample_rate)

    def axes_input(self, input: Any = None) -> tuple[Any, ...]:
        inp = self._parse_input(input, self.name) if input is not None else self.input
        return _broadcast_input(inp, self.ndim, self.name)

    def table(self, input: Any = None, convention: str = "framework", origin: Any = Fraction(1, 2)) -> Table:
        """The per-layer table for an input size (number, symbol or per-axis list)."""
        _check_convention(convention)
        origin = parse_origin(origin)
        inp = self.axes_input(input)
        layers = self.flat_layers()
        states = [AxisState.input(n, origin) for n in inp]
        rows = [Row("input", None, tuple(states))]
        symbolic = any(not A.is_num(v) for v in inp) or any(lay.free_symbols for lay in layers)
        long = symbolic and len(layers) > FULL_ROWS
        if long:
            return self._long_table(layers, inp, convention, origin, rows)
        folded = _symbolic_states(layers, inp, convention, origin) if symbolic else None
        for i, lay in enumerate(layers):
            if folded is not None:
                new = tuple(folded[ax][i] for ax in range(len(inp)))
            else:
                new = tuple(lay.transfer(st, ax, convention) for ax, st in enumerate(states))
            for ax, (old, st) in enumerate(zip(states, new)):
                if A.is_num(st.n) and st.n < 1:
                    axis = f" (axis {ax})" if len(states) > 1 else ""
                    need = "a larger input"
                    if not any(x.free_symbols for x in layers):
                        need = f"an input of at least {self.min_input_size(ax, convention)}"
                    raise RfsymError(
                        f"{lay.label()}: output is empty{axis}: n = {A.fmt(st.n)} from an input of "
                        f"{A.fmt(old.n)} feature{'s' if old.n != 1 else ''} (network input {A.fmt(inp[ax])}); "
                        f"the network needs {need}"
                    )
            rows.append(Row(lay.label(), lay, new))
            states = list(new)
        min_input = None
        if any(not A.is_num(v) for v in inp):
            min_input = tuple(self.min_input_size(ax, convention) if not A.is_num(v) else v for ax, v in enumerate(inp))
        return Table(self.name, inp, tuple(rows), convention, origin, min_input, sample_rate=self.sample_rate)

    def _long_table(
        self, layers: list[Layer], inp: tuple[Any, ...], convention: str, origin: Any, rows: list[Row]
    ) -> Table:
        """A symbolic table of more than FULL_ROWS layers: LONG_FULL_ROWS rows in full, the others lazy (their
        values on access; printed as recurrences). No size bound line: ``rfsym derive`` states the conditions."""
        first = _symbolic_states(layers[:LONG_FULL_ROWS], inp, convention, origin)
        for i, lay in enumerate(layers[:LONG_FULL_ROWS]):
            rows.append(Row(lay.label(), lay, tuple(first[ax][i] for ax in range(len(inp)))))
        long = _LongTable(layers, inp, convention, origin)
        for i in range(LONG_FULL_ROWS, len(layers)):
            rows.append(LazyRow(layers[i].label(), layers[i], i, long, rows[-1].name))
        return Table(
            self.name,
            inp,
            tuple(rows),
            convention,
            origin,
            None,
            recurrence_from=LONG_FULL_ROWS + 1,
            sample_rate=self.sample_rate,
        )

    def equivalent(self, axis: int | None = None) -> Layer:
        """The single convolution (kernel R, stride J, padding (P, total - P)) equivalent to the stack."""
        from . import maps  # sympy: composing the maps

        nd = self.ndim
        count = nd or 1
        if axis is not None and not 0 <= axis < count:
            raise RfsymError(f"{self.name}: axis {axis} out of range (the network has {count} axes)")
        axes = range(count) if axis is None else [axis]
        return maps.equivalent(self.flat_layers(), self.name, list(axes))

    def min_input_size(self, axis: int = 0, convention: str = "framework") -> Any:
        """Smallest input size for which every layer's output is non-empty on this axis.

        Numeric layers: exact search with the transfer functions (n_out is
        non-decreasing in n_in for every layer kind).  Symbolic layers: the
        layers' affine maps (:mod:`rfsym.maps`) inverted backwards,
        ``need_in = max(1, smallest n_in with n_out >= need_out)``; None when a
        size map has no inverse there (symbolic n-dependent padding or ceil mode).
        """
        layers = self.flat_layers()
        if not any(lay.free_symbols for lay in layers):

            def ok(n: int) -> bool:
                st = AxisState.input(n)
                for lay in layers:
                    st = lay.transfer(st, axis, convention)
                    if st.n < 1:
                        return False
                return True

            found = smallest(ok, 1, INPUT_CAP)
            if found.value is None:
                raise RfsymError(f"{self.name}: no input size up to 2**80 gives a non-empty output")
            return found.value
        from . import maps  # sympy: only for symbolic layers (numeric tables stay light)

        return maps.smallest_input([maps.layer_map(lay, axis, convention) for lay in layers])
