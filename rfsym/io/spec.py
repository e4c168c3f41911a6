"""TOML network specs (docs/spec.md) and the built-in architectures.

Every error names the file, the layer and the field.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import RfsymError
from ..graph import MERGE_KINDS, BlockRepeat, Graph, Inner, NestRepeat, _branched_spec, is_graph_spec
from ..layers import PASS_KINDS, Conv, ConvTranspose, Identity, Layer, Pool, Repeat, Upsample
from ..network import Network
from ..values import ROLE_MIN, SymbolDomain

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["builtin_names", "load", "loads", "network_from_dict"]

TOP_KEYS = {"name", "input", "symbols", "layers", "source", "description", "sample_rate"}
COMMON_KEYS = {"name", "kind", "inputs"}

#: Spec kind → (layer class, field values the kind implies).  A kind's keys are its class's declared
#: fields (``Layer.spec_fields``): the declaration is the one place a parameter is named.
LAYER_KINDS: dict[str, tuple[type[Layer], dict[str, Any]]] = {
    "conv": (Conv, {}),
    "pool": (Pool, {}),
    "maxpool": (Pool, {"mode": "max"}),
    "avgpool": (Pool, {"mode": "avg"}),
    "conv_transpose": (ConvTranspose, {}),
    "upsample": (Upsample, {}),
    **{k: (Identity, {"op": k}) for k in PASS_KINDS},
}
KINDS = (*LAYER_KINDS, "repeat", *MERGE_KINDS, "inner")
#: Largest spec file, in bytes (docs/spec.md, Limits); checked before the file is parsed.
MAX_SPEC_BYTES = 8_000_000
#: Deepest nesting of repeat blocks.
MAX_REPEAT_DEPTH = 16


def builtin_names() -> list[str]:
    """Names of the architectures shipped with rfsym (``rfsym table NAME``)."""
    return sorted(p.name[:-5] for p in resources.files("rfsym.zoo").iterdir() if p.name.endswith(".toml"))


def load(spec: str | Path) -> Network:
    """Load a network from a TOML file path or a built-in name (``"alexnet"``)."""
    path = Path(spec)
    if path.suffix != ".toml" and not path.exists() and str(spec) in builtin_names():
        text = resources.files("rfsym.zoo").joinpath(f"{spec}.toml").read_text(encoding="utf-8")
        return loads(text, source=f"{spec} (built-in)")
    if not path.exists():
        known = ", ".join(builtin_names())
        raise RfsymError(f"{spec}: no such file or built-in network (built-ins: {known})")
    if path.is_dir():
        raise RfsymError(f"{spec}: is a directory, not a spec file")
    try:
        with path.open("rb") as f:  # at most one byte past the limit, whatever the file is (/dev/zero)
            data = f.read(MAX_SPEC_BYTES + 1)
    except OSError as e:
        raise RfsymError(f"{spec}: cannot read: {e.strerror or e}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise RfsymError(f"{spec}: larger than the limit of {MAX_SPEC_BYTES} bytes for a spec file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RfsymError(f"{spec}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    return loads(text, source=str(spec))


def loads(text: str, source: str = "<spec>") -> Network:
    """Parse a TOML spec from a string."""
    if not isinstance(text, str):
        raise RfsymError(f"{source}: a spec must be a string (got {type(text).__name__})")
    if len(text) > MAX_SPEC_BYTES:
        raise RfsymError(f"{source}: larger than the limit of {MAX_SPEC_BYTES} characters for a spec")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RfsymError(f"{source}: TOML syntax error: {e}") from None
    except RecursionError:
        raise RfsymError(f"{source}: TOML nested too deeply") from None
    except ValueError as e:  # e.g. an integer of more than 4300 digits
        raise RfsymError(f"{source}: TOML value refused: {e}") from None
    return network_from_dict(data, source)


def _domains(data: Any, source: str) -> dict[str, SymbolDomain]:
    if not isinstance(data, dict):
        raise RfsymError(f"{source}: [symbols] must be a table")
    out = {}
    for name, d in data.items():
        where = f"{source}: symbols.{name}"
        if not isinstance(d, dict):
            raise RfsymError(f"{where} must be a table such as {{ min = 1, max = 9, odd = true }} (got {d!r})")
        unknown = set(d) - {"min", "max", "odd", "even", "choices"}
        if unknown:
            raise RfsymError(f"{where}: unknown field {sorted(unknown)[0]!r} (allowed: min, max, odd, even, choices)")
        for key in ("min", "max"):
            if key in d and (not isinstance(d[key], int) or isinstance(d[key], bool)):
                raise RfsymError(f"{where}: {key} must be an integer (got {d[key]!r})")
        for key in ("odd", "even"):
            if key in d and not isinstance(d[key], bool):
                raise RfsymError(f"{where}: {key} must be true or false (got {d[key]!r})")
        choices = d.get("choices")
        if choices is not None:
            if (
                not isinstance(choices, list)
                or not choices
                or not all(isinstance(c, int) and not isinstance(c, bool) for c in choices)
            ):
                raise RfsymError(f"{where}: choices must be a non-empty list of integers (got {choices!r})")
            choices = tuple(choices)
        try:
            dom = SymbolDomain(
                min=d.get("min"), max=d.get("max"), odd=d.get("odd", False), even=d.get("even", False), choices=choices
            )
        except RfsymError as e:
            raise RfsymError(f"{where}: {e}") from None
        if dom.is_empty():
            raise RfsymError(f"{where}: the domain is empty (no integer satisfies {d})")
        out[name] = dom
    return out


def _layer(d: Any, i: int, source: str, depth: int = 0) -> Layer:
    if not isinstance(d, dict):
        raise RfsymError(f"{source}: layer {i} must be a table (got {d!r})")
    name = d.get("name", None)
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise RfsymError(f"{source}: layer {i}: name must be a non-empty string (got {name!r})")
    kind = d.get("kind")
    if name is None and isinstance(kind, str):
        name = f"{kind.lower()}{i}"
    where = f"{source}: {name or f'layer {i}'}"
    if kind is None:
        raise RfsymError(f"{where}: kind is required (one of {', '.join(KINDS)})")
    if not isinstance(kind, str):
        raise RfsymError(f"{where}: kind must be a string (got {kind!r})")
    kind = kind.lower()
    if kind not in KINDS:
        raise RfsymError(f"{where}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
    if kind == "inner":  # the next level of a nested repeat (docs/graphs.md)
        _check_keys(d, COMMON_KEYS, kind, where)
        if not depth:
            raise RfsymError(f"{where}: an 'inner' layer belongs in the block of a repeat with nest = true")
        return Inner(name=name)
    if kind == "repeat":
        if depth >= MAX_REPEAT_DEPTH:
            raise RfsymError(f"{where}: repeats nested more than {MAX_REPEAT_DEPTH} deep (the limit)")
        return _repeat(d, name or f"repeat{i}", source, depth)
    if kind in MERGE_KINDS:
        _check_keys(d, COMMON_KEYS, kind, where)
        ins = d.get("inputs")
        if not isinstance(ins, list) or len(ins) < 2:
            raise RfsymError(f"{where}: a {kind} layer needs 'inputs' with two or more layer names (got {ins!r})")
        return MERGE_KINDS[kind](name=name)
    cls, implied = LAYER_KINDS[kind]
    _check_keys(d, COMMON_KEYS | cls.spec_fields(), kind, where)
    fields = {**implied, **{k: v for k, v in d.items() if k not in COMMON_KEYS}}
    try:
        return cls(name=name, **fields)  # type: ignore[call-arg]
    except RfsymError as e:
        raise RfsymError(f"{source}: {e}") from None


def _check_keys(d: dict[str, Any], allowed: set[str], kind: str, where: str) -> None:
    unknown = set(d) - allowed
    if unknown:
        raise RfsymError(
            f"{where}: unknown field {sorted(unknown)[0]!r} for a {kind} layer (allowed: {', '.join(sorted(allowed))})"
        )


def _repeat(d: dict[str, Any], name: str, source: str, depth: int) -> Layer:
    where = f"{source}: {name}"
    _check_keys(d, COMMON_KEYS | {"times", "index", "layers", "nest", "core"}, "repeat", where)
    nest = d.get("nest", False)
    if not isinstance(nest, bool):
        raise RfsymError(f"{where}: nest must be true or false (got {nest!r})")
    if "core" in d and not nest:
        raise RfsymError(f"{where}: core belongs to a repeat with nest = true")
    if "times" not in d:
        raise RfsymError(f"{where}: times is required")
    block = d.get("layers")
    if not isinstance(block, list) or not block:
        raise RfsymError(f"{where}: layers must be a non-empty array of layers")
    index = d.get("index")
    if index is not None and (not isinstance(index, str) or not index.isidentifier()):
        raise RfsymError(f"{where}: index must be a symbol name (got {index!r})")
    sub = [_layer(b, k, where, depth + 1) for k, b in enumerate(block, 1)]
    seen: set[str] = set()
    for lay in sub:
        if lay.label() in seen:
            raise RfsymError(f"{where}: duplicate layer name {lay.label()!r} in the repeat block")
        seen.add(lay.label())
    branched = _branched_spec(d) or nest
    if branched and depth:
        raise RfsymError(f"{where}: a repeat with branches inside another repeat is not supported")
    try:
        if branched:  # a residual block, an Inception module: a small graph per copy
            wiring, prev = [], "input"
            for lay, b in zip(sub, block):
                ins = b.get("inputs")
                if ins is not None and (isinstance(ins, str) or not isinstance(ins, list)):
                    raise RfsymError(f"{lay.label()}: inputs must be a list of layer names (got {ins!r})")
                if ins is None and lay.kind in MERGE_KINDS:
                    raise RfsymError(f"{lay.label()}: a {lay.kind} layer needs 'inputs' with two or more names")
                wiring.append(tuple(ins) if ins is not None else (prev,))
                prev = lay.label()
            if nest:
                core_d = d.get("core", [])
                if not isinstance(core_d, list):
                    raise RfsymError(f"{where}: core must be an array of layers")
                core = tuple(_layer(b, k, f"{where}: core", depth + 1) for k, b in enumerate(core_d, 1))
                return NestRepeat(
                    name=name, block=tuple(sub), wiring=tuple(wiring), times=d["times"], index=index, core=core
                )
            return BlockRepeat(name=name, block=tuple(sub), wiring=tuple(wiring), times=d["times"], index=index)
        return Repeat(name=name, block=tuple(sub), times=d["times"], index=index)
    except RfsymError as e:
        raise RfsymError(f"{source}: {e}") from None


def _check_declared(lay: Layer, declared: set[str], source: str) -> None:
    """In spec files every name in an expression must be declared under [symbols] (or be the input).

    This turns typos such as ``padding = "middle"`` into errors instead of new symbols.
    """
    inner = declared
    if isinstance(lay, Repeat):
        if lay.index is not None:
            inner = declared | {lay.index.name}
        for b in lay.block:
            _check_declared(b, inner, source)
        fields = [("times", "times", lay.times)]
    else:
        fields = list(lay.role_values())
    for fld, role, v in fields:
        if isinstance(v, int) or (getattr(v, "is_Symbol", False) and v.name in inner):
            continue
        for sym in sorted(getattr(v, "free_symbols", ()), key=lambda x: x.name):
            if sym.name not in inner:
                tip = f"declare it under [symbols], e.g. {sym.name} = {{ min = {ROLE_MIN.get(role, 0)} }}"
                if fld == "padding":
                    raise RfsymError(
                        f"{source}: {lay.label()}: padding must be an integer, [left, right], 'same', "
                        f"'same_lower', 'valid' or an expression in declared symbols (got {str(v)!r}: "
                        f"unknown name {sym.name!r}; {tip})"
                    )
                raise RfsymError(f"{source}: {lay.label()}: {fld}: unknown name {sym.name!r} (got {str(v)!r}; {tip})")


def network_from_dict(data: dict[str, Any], source: str = "<spec>") -> Network:
    """Build a network from parsed TOML data."""
    if not isinstance(data, dict):
        raise RfsymError(f"{source}: a spec must be a TOML table")
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise RfsymError(
            f"{source}: unknown top-level field {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(TOP_KEYS))})"
        )
    layers = data.get("layers")
    if not isinstance(layers, list) or not layers:
        raise RfsymError(f"{source}: the spec has no [[layers]]")
    name = data.get("name", Path(source.split(" ")[0]).stem or "network")
    if not isinstance(name, str):
        raise RfsymError(f"{source}: name must be a string (got {name!r})")
    domains = _domains(data.get("symbols", {}), source)
    built = [_layer(d, i, source) for i, d in enumerate(layers, 1)]
    declared = set(domains)
    inp = data.get("input")
    for v in inp if isinstance(inp, list) else [inp]:
        if isinstance(v, str) and v.strip().isidentifier():
            declared.add(v.strip())
    for lay in built:
        _check_declared(lay, declared, source)
    rate = data.get("sample_rate")
    try:
        if is_graph_spec(layers):
            entries = [(lay, d.get("inputs")) for lay, d in zip(built, layers)]
            g = Graph.from_layers(entries, input=data.get("input"), name=name, symbols=domains, sample_rate=rate)
            return g.validate()  # type: ignore[return-value]
        return Network(built, input=data.get("input"), name=name, symbols=domains, sample_rate=rate)
    except RfsymError as e:
        raise RfsymError(f"{source}: {e}") from None
