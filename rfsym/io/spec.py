"""TOML network specs (DESIGN.md §3) and the built-in architectures.

Every error names the file, the layer and the field.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import RfsymError
from ..graph import SPEC_KINDS as GRAPH_SPEC_KINDS
from ..graph import Graph, is_graph_spec
from ..layers import PASS_KINDS, Conv, Identity, Layer, Pool, Repeat
from ..network import Network
from ..values import SymbolDomain

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["builtin_names", "load", "loads", "network_from_dict"]

TOP_KEYS = {"name", "input", "symbols", "layers", "source", "description"}
WINDOW_KEYS = {"name", "kind", "kernel", "stride", "padding", "dilation", "inputs"}
POOL_KEYS = WINDOW_KEYS | {"ceil_mode", "mode"}
KINDS = ("conv", "pool", "maxpool", "avgpool", "repeat", *PASS_KINDS)

#: Extra layer kinds registered by other modules (graphs, transposed convolution …):
#: kind → (allowed keys, builder(fields, where) -> Layer).
EXTRA_KINDS: dict[str, tuple[set[str], Any]] = {}
EXTRA_KINDS.update(GRAPH_SPEC_KINDS)  # conv_transpose, upsample, add, concat


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
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RfsymError(f"{spec}: cannot read: {e}") from None
    return loads(text, source=str(spec))


def loads(text: str, source: str = "<spec>") -> Network:
    """Parse a TOML spec from a string."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RfsymError(f"{source}: TOML syntax error: {e}") from None
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


def _layer(d: Any, i: int, source: str) -> Layer:
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

    def check_keys(allowed: set[str]) -> None:
        unknown = set(d) - allowed
        if unknown:
            raise RfsymError(
                f"{where}: unknown field {sorted(unknown)[0]!r} for a {kind} layer (allowed: {', '.join(sorted(allowed))})"
            )

    try:
        if kind in EXTRA_KINDS:
            keys, build = EXTRA_KINDS[kind]
            check_keys(keys)
            return build(d, name)  # type: ignore[no-any-return]
        if kind == "conv":
            check_keys(WINDOW_KEYS)
            if "kernel" not in d:
                raise RfsymError(f"{name or 'conv'}: kernel is required")
            return Conv(
                name=name,
                kernel=d["kernel"],
                stride=d.get("stride", 1),
                padding=d.get("padding", 0),
                dilation=d.get("dilation", 1),
            )
        if kind in ("pool", "maxpool", "avgpool"):
            check_keys(POOL_KEYS)
            if "kernel" not in d:
                raise RfsymError(f"{name or 'pool'}: kernel is required")
            mode = d.get("mode", "avg" if kind == "avgpool" else "max")
            return Pool(
                name=name,
                kernel=d["kernel"],
                stride=d.get("stride"),
                padding=d.get("padding", 0),
                dilation=d.get("dilation", 1),
                ceil_mode=d.get("ceil_mode", False),
                mode=mode,
            )
        if kind == "repeat":
            check_keys({"name", "kind", "times", "index", "layers", "inputs"})
            if "times" not in d:
                raise RfsymError(f"{name or 'repeat'}: times is required")
            block = d.get("layers")
            if not isinstance(block, list) or not block:
                raise RfsymError(f"{name or 'repeat'}: layers must be a non-empty array of layers")
            index = d.get("index")
            if index is not None and (not isinstance(index, str) or not index.isidentifier()):
                raise RfsymError(f"{name or 'repeat'}: index must be a symbol name (got {index!r})")
            sub = [_layer(b, k, f"{source}: {name or f'layer {i}'}") for k, b in enumerate(block, 1)]
            sub = [s if s.name else _named(s, f"{s.kind}{k}") for k, s in enumerate(sub, 1)]
            return Repeat(name=name, block=tuple(sub), times=d["times"], index=index)
        if kind in PASS_KINDS:
            check_keys({"name", "kind", "inputs"})
            return Identity(name=name, op=kind)
    except RfsymError as e:
        msg = str(e)
        raise RfsymError(f"{source}: {msg}") from None
    raise RfsymError(f"{where}: unknown kind {kind!r} (one of {', '.join(KINDS + tuple(EXTRA_KINDS))})")


def _check_declared(lay: Layer, declared: set[str], source: str) -> None:
    """In spec files every name in an expression must be declared under [symbols] (or be the input).

    This turns typos such as ``padding = "middle"`` into errors instead of new symbols.
    """
    inner = set(declared)
    if isinstance(lay, Repeat):
        if lay.index is not None:
            inner.add(lay.index.name)
        for b in lay.block:
            _check_declared(b, inner, source)
        fields = [("times", "times", lay.times)]
    else:
        fields = list(lay.role_values())
    for fld, _role, v in fields:
        for sym in sorted(getattr(v, "free_symbols", ()), key=str):
            if sym.name not in inner:
                tip = f"declare it under [symbols], e.g. {sym.name} = {{ min = 0 }}"
                if fld == "padding":
                    raise RfsymError(
                        f"{source}: {lay.label()}: padding must be an integer, [left, right], 'same', "
                        f"'same_lower', 'valid' or an expression in declared symbols (got {str(v)!r}: "
                        f"unknown name {sym.name!r}; {tip})"
                    )
                raise RfsymError(f"{source}: {lay.label()}: {fld}: unknown name {sym.name!r} (got {str(v)!r}; {tip})")


def _named(layer: Layer, name: str) -> Layer:
    from dataclasses import replace

    return replace(layer, name=name)  # type: ignore[type-var]


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
    try:
        if is_graph_spec(layers):
            entries = [(lay, d.get("inputs")) for lay, d in zip(built, layers)]
            return Graph.from_layers(entries, input=data.get("input"), name=name, symbols=domains).validate()  # type: ignore[return-value]
        return Network(built, input=data.get("input"), name=name, symbols=domains)
    except RfsymError as e:
        raise RfsymError(f"{source}: {e}") from None
