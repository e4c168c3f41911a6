"""Import a Keras 3 model as an rfsym network: ``from_keras(model_or_path, input_size=None)``.

A ``.keras`` file is a zip archive whose ``config.json`` describes the model; rfsym reads that
config (JSON, parsed, never run) and never imports keras or TensorFlow for a file.  A model in
memory is read through its own ``get_config()``.  Sequential and functional models, layer by layer:

* ``Conv1D/2D/3D``, ``DepthwiseConv1D/2D``, ``SeparableConv1D/2D``: :class:`rfsym.Conv` with
  ``kernel_size``, ``strides``, ``dilation_rate`` and ``padding`` -- ``"valid"``, ``"same"``
  (TensorFlow's rule: total padding ``max((ceil(n/s) - 1) s + kappa - n, 0)``, the smaller half on
  the left: rfsym's ``"same"``) or ``"causal"`` (``d (k - 1)`` on the left);
* ``Conv1DTranspose/2D/3D`` (``valid`` or ``same``, with or without ``output_padding``):
  :class:`rfsym.ConvTranspose` with Keras' output window (see ``_Import._transpose``);
* ``MaxPooling``/``AveragePooling`` 1D/2D/3D: :class:`rfsym.Pool` (``strides`` default to the pool size);
* ``GlobalAverage/MaxPooling`` 1D/2D/3D, ``Flatten`` followed by ``Dense``: global operations
  (see :mod:`rfsym.io._graphbuild`); ``Dense`` on a map acts on the channels (pass-through);
* ``ZeroPadding``, ``Cropping``, ``UpSampling`` 1D/2D/3D: padding layer, crop, :class:`rfsym.Upsample`;
* ``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``, ``Minimum`` and ``Concatenate``
  (along the channels): merges;
* activations, normalisation, dropout, noise, ``Rescaling``: pass-through.

Anything else is an error naming the layer and its class.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from .._display import term_text
from ..errors import RfsymError
from ..layers import Conv, ConvTranspose, Pool, Upsample
from ._base import expand_passthrough, input_sizes, make_layer, whole
from ._graphbuild import CONST, Builder, Value, global_paths

__all__ = ["from_keras", "global_paths", "read_keras_config"]

#: The largest config.json read from a .keras archive (the architecture only; weights live elsewhere).
MAX_CONFIG_BYTES = 64 << 20

_PASS = {
    "Activation",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "ThresholdedReLU",
    "Softmax",
    "BatchNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "UnitNormalization",
    "Normalization",
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianNoise",
    "GaussianDropout",
    "AlphaDropout",
    "ActivityRegularization",
    "Identity",
    "Rescaling",
}
_MERGE = {"Add": "add", "Subtract": "add", "Multiply": "add", "Average": "add", "Maximum": "add", "Minimum": "add"}
_CONV = {"Conv1D", "Conv2D", "Conv3D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"}
_POOL = {f"{k}Pooling{d}D": k for k in ("Max", "Average") for d in "123"}
_GLOBAL = {f"Global{k}Pooling{d}D": k for k in ("Max", "Average") for d in "123"}


def read_keras_config(path: Any) -> dict[str, Any]:
    """The model config of a ``.keras`` archive (its ``config.json``), without importing keras."""
    shown = term_text(path)
    p = Path(path)
    if not p.is_file():
        raise RfsymError(f"{shown}: no such .keras file" if not p.exists() else f"{shown}: not a regular file")
    try:
        with zipfile.ZipFile(p) as z:
            info = z.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise RfsymError(
                    f"{shown}: config.json holds {info.file_size:,} bytes; the limit is {MAX_CONFIG_BYTES:,}"
                )
            data = json.loads(z.read(info).decode("utf-8"))
    except RfsymError:
        raise
    except KeyError:
        raise RfsymError(f"{shown}: not a Keras 3 archive (no config.json inside)") from None
    except (zipfile.BadZipFile, OSError, ValueError, UnicodeDecodeError) as e:
        raise RfsymError(f"{shown}: not a valid .keras file ({type(e).__name__})") from None
    if not isinstance(data, dict) or "config" not in data:
        raise RfsymError(f"{shown}: config.json does not describe a model")
    return data


def _tuple(v: Any, nd: int, where: str, key: str) -> list[int]:
    vals = list(v) if isinstance(v, (list, tuple)) else [v] * nd
    if len(vals) != nd:
        raise RfsymError(f"{where}: {key} {v!r} has {len(vals)} values for {nd} spatial axes")
    return [whole(x, f"{where}: {key}") for x in vals]


def _pk(vals: list[Any]) -> Any:
    return vals[0] if len(vals) == 1 else vals


class _Import:
    def __init__(self, name: str, sizes: tuple[int, ...], skip: set[str]) -> None:
        self.nd = len(sizes)
        self.b = Builder(name=name, input=sizes, source=term_text(name))
        self.skip = skip
        self.first_format = "channels_last"

    def where(self, layer: dict[str, Any]) -> str:
        return f"{self.b.source}: {term_text(layer.get('name', '?'))} ({term_text(layer.get('class_name', '?'))})"

    def layer(self, layer: dict[str, Any], srcs: list[Any]) -> Any:
        """One Keras layer applied to its inputs: the rfsym value of its output."""
        cls, cfg = layer.get("class_name"), layer.get("config") or {}
        name = str(layer.get("name") or cfg.get("name"))
        where = self.where({"name": name, "class_name": cls})
        maps = [s for s in srcs if isinstance(s, Value) and s.is_map]
        if not maps:
            return CONST
        src = maps[0]
        if name in self.skip or cls in _PASS:
            return src
        if cls in _MERGE or cls == "Concatenate":
            if cls == "Concatenate" and not self._channel_axis(cfg.get("axis", -1), cfg):
                raise RfsymError(f"{where}: concatenation along axis {cfg.get('axis')} is not along channels")
            return self.b.merge(name, "concat" if cls == "Concatenate" else _MERGE[cls], maps, cls)
        if cls in _GLOBAL:
            return self.b.whole(name, src, cls, mode="max" if _GLOBAL[cls] == "Max" else "avg", flat=True)
        if cls == "Flatten":
            return Value(src.node, flat=True, glob=src.glob, pure=src.pure)
        if cls == "Dense":
            return self.b.whole(name, src, cls, mode="conv", flat=True) if src.flat else src
        if src.flat and not src.pure:
            raise RfsymError(f"{where}: applied after the spatial axes were flattened; not supported")
        if src.pure:
            return src  # inside a global branch: stays global
        return self._spatial(cls, cfg, name, where, src)

    def _channel_axis(self, axis: Any, cfg: dict[str, Any]) -> bool:
        rank = self.nd + 2
        fmt = cfg.get("data_format") or self.first_format
        a = int(axis) % rank
        return a == (1 if fmt == "channels_first" else rank - 1)

    def _spatial(self, cls: Any, cfg: dict[str, Any], name: str, where: str, src: Value) -> Value:
        nd = self.nd
        if cls in _CONV or cls in _POOL:
            key = "kernel_size" if cls in _CONV else "pool_size"
            k = _tuple(cfg.get(key), nd, where, key)
            strides = cfg.get("strides") if cfg.get("strides") is not None else (1 if cls in _CONV else k)
            s = _tuple(strides, nd, where, "strides")
            d = _tuple(cfg.get("dilation_rate", 1), nd, where, "dilation_rate")
            pad = str(cfg.get("padding", "valid")).lower()
            if pad == "causal":
                padding: Any = _pk([[dd * (kk - 1), 0] for kk, dd in zip(k, d)]) if nd > 1 else [d[0] * (k[0] - 1), 0]
            elif pad in ("valid", "same"):
                padding = pad if nd == 1 else [pad] * nd
            else:
                raise RfsymError(f"{where}: padding {pad!r} is not supported")
            if cls in _CONV:
                lay: Any = make_layer(where, Conv, kernel=_pk(k), stride=_pk(s), padding=padding, dilation=_pk(d))
            else:
                mode = "max" if _POOL[cls] == "Max" else "avg"
                lay = make_layer(where, Pool, kernel=_pk(k), stride=_pk(s), padding=padding, mode=mode)
            return self.b.layer(name, lay, src, str(cls))
        if cls in (f"Conv{d}DTranspose" for d in "123"):
            return self._transpose(cfg, name, where, src)
        if cls in (f"ZeroPadding{d}D" for d in "123"):
            pairs = _pairs(cfg.get("padding", 1), nd, where, "padding")
            lay = make_layer(
                where, Conv, kernel=_pk([1] * nd), padding=pairs[0] if nd == 1 else [list(p) for p in pairs]
            )
            return self.b.layer(name, lay, src, f"{cls}, padding only")
        if cls in (f"Cropping{d}D" for d in "123"):
            pairs = _pairs(cfg.get("cropping", 1), nd, where, "cropping")
            return self.b.crop(name, src, [(a, e, 1) for a, e in pairs], where, str(cls))
        if cls in (f"UpSampling{d}D" for d in "123"):
            size = _tuple(cfg.get("size", 2), nd, where, "size")
            mode = str(cfg.get("interpolation", "nearest"))
            lay = make_layer(where, Upsample, scale=_pk(size), mode="bilinear" if mode == "bilinear" else mode)
            return self.b.layer(name, lay, src, str(cls))
        raise RfsymError(
            f"{where}: unsupported layer for receptive-field import (if it does not change the receptive field, "
            f"declare it pass-through: passthrough=[{term_text(name)!r}], on the command line --passthrough "
            f"{term_text(name)!r})"
        )

    def _transpose(self, cfg: dict[str, Any], name: str, where: str, src: Value) -> Value:
        """Conv1D/2D/3DTranspose: rfsym's transposed convolution with Keras' output window.

        Keras (keras/src/backend/common/backend_utils.py, the rule every backend follows; the torch
        backend computes the full output, ``(n - 1) s + kappa`` features, and slices it) pads the
        dilated input by ``left``/``right``: ``valid``: ``kappa - 1`` and ``kappa - 1 + op`` with
        ``op = max(s - kappa, 0)`` unless given; ``same``: ``pad = s + kappa - 2`` (``op`` not given) or
        ``kappa + kappa % 2 - 2 + op``, ``left = min(ceil(pad / 2), kappa - 1)``, ``right = pad - left``.
        The full output is cropped by ``kappa - 1 - left`` on the left and ``kappa - 1 - right`` on the
        right; a negative right crop adds features (``output_padding`` of rfsym's layer).
        """
        nd = self.nd
        k = _tuple(cfg.get("kernel_size"), nd, where, "kernel_size")
        s = _tuple(cfg.get("strides", 1), nd, where, "strides")
        d = _tuple(cfg.get("dilation_rate", 1), nd, where, "dilation_rate")
        pad = str(cfg.get("padding", "valid")).lower()
        if pad not in ("valid", "same"):
            raise RfsymError(f"{where}: padding {pad!r} is not supported for a transposed convolution")
        given = cfg.get("output_padding")
        ops = None if given is None else _tuple(given, nd, where, "output_padding")
        crops, extra = [], []
        for ax in range(nd):
            kappa = d[ax] * (k[ax] - 1) + 1
            op = None if ops is None else ops[ax]
            if op is not None and op < 0:
                raise RfsymError(f"{where}: output_padding {given!r} is negative")
            if pad == "valid":
                left, right = kappa - 1, kappa - 1 + (max(s[ax] - kappa, 0) if op is None else op)
            else:
                total = s[ax] + kappa - 2 if op is None else kappa + kappa % 2 - 2 + op
                left = min(total // 2 + total % 2, kappa - 1)
                right = total - left
            crops.append((kappa - 1 - left, max(kappa - 1 - right, 0)))
            extra.append(max(right - (kappa - 1), 0))
        same_sides = all(a == b for a, b in crops)
        padding = _pk([a for a, _ in crops]) if same_sides else _pk([list(c) for c in crops])
        if nd == 1 and not same_sides:
            padding = list(crops[0])
        # Keras requires output_padding < strides, so the added features are fewer than the stride: rfsym's
        # output_padding (a config that breaks this is refused by the layer's own check, naming it).
        lay = make_layer(
            where,
            ConvTranspose,
            kernel=_pk(k),
            stride=_pk(s),
            padding=padding,
            output_padding=_pk(extra),
            dilation=_pk(d),
        )
        return self.b.layer(name, lay, src, "ConvTranspose")


def _pairs(v: Any, nd: int, where: str, key: str) -> list[tuple[int, int]]:
    """Keras padding/cropping: an int, one int per axis, or (before, after) per axis."""
    if isinstance(v, (int, float)):
        return [(whole(v, where), whole(v, where))] * nd
    vals = list(v)
    if nd == 1 and len(vals) == 2 and all(isinstance(x, (int, float)) for x in vals):
        return [(whole(vals[0], where), whole(vals[1], where))]
    if len(vals) != nd:
        raise RfsymError(f"{where}: {key} {v!r} does not fit {nd} spatial axes")
    out = []
    for x in vals:
        if isinstance(x, (list, tuple)):
            if len(x) != 2:
                raise RfsymError(f"{where}: {key} {v!r} is not (before, after) per axis")
            out.append((whole(x[0], where), whole(x[1], where)))
        else:
            out.append((whole(x, where), whole(x, where)))
    if any(a < 0 or e < 0 for a, e in out):
        raise RfsymError(f"{where}: negative {key} {v!r}")
    return out


def _model_config(model_or_path: Any) -> tuple[dict[str, Any], str]:
    """(the model's ``{"class_name", "config"}``, a default name) of a path or a model in memory."""
    if isinstance(model_or_path, (str, Path)):
        data = read_keras_config(model_or_path)
        return data, Path(model_or_path).stem
    get = getattr(model_or_path, "get_config", None)
    if callable(get):
        try:
            cfg = get()
        except Exception as e:  # noqa: BLE001 - keras' own error, one line
            raise RfsymError(f"from_keras: the model's get_config() failed ({type(e).__name__}: {e})") from None
        return {"class_name": type(model_or_path).__name__, "config": cfg}, str(getattr(model_or_path, "name", "model"))
    raise RfsymError(f"from_keras needs a .keras file path or a Keras model (got {type(model_or_path).__name__})")


def _input_shape(cfg: dict[str, Any], layers: list[dict[str, Any]]) -> list[Any] | None:
    for lay in layers:
        if lay.get("class_name") == "InputLayer":
            c = lay.get("config") or {}
            shape = c.get("batch_shape") or c.get("batch_input_shape")
            if shape is None and c.get("shape") is not None:
                shape = [None, *c["shape"]]
            return list(shape) if shape is not None else None
    first = (layers[0].get("config") or {}) if layers else {}
    shape = first.get("batch_shape") or first.get("batch_input_shape") or (cfg.get("build_input_shape"))
    return list(shape) if shape is not None else None


def from_keras(model_or_path: Any, input_size: Any = None, *, name: str | None = None, passthrough: Any = ()) -> Any:
    """The rfsym network of a Keras 3 model (a ``.keras`` file, read without keras, or a model in memory).

    ``input_size``: one size for every spatial axis or one per axis; default: the model's declared
    input shape.  ``passthrough``: layer names or patterns to treat as pass-through.
    """
    data, stem = _model_config(model_or_path)
    cfg = data.get("config") or {}
    cls = data.get("class_name")
    if cls not in ("Sequential", "Functional", "Model") or not isinstance(cfg.get("layers"), list):
        raise RfsymError(f"{term_text(stem)}: a {term_text(cls)!r} is not a Sequential or functional Keras model")
    layers = [lay for lay in cfg["layers"] if isinstance(lay, dict)]
    name = name or str(cfg.get("name") or stem)
    shape = _input_shape(cfg, layers)
    fmt = next(
        (
            (lay.get("config") or {}).get("data_format")
            for lay in layers
            if (lay.get("config") or {}).get("data_format")
        ),
        "channels_last",
    )
    if shape is None or len(shape) < 3:
        raise RfsymError(f"{term_text(name)}: the model declares no (batch, *spatial, channels) input shape")
    spatial = shape[2:] if fmt == "channels_first" else shape[1:-1]
    if input_size is None:
        if any(v is None for v in spatial):
            raise RfsymError(f"{term_text(name)}: the model's input has unknown spatial sizes; give input_size")
        sizes = tuple(int(v) for v in spatial)
    else:
        sizes, _ = input_sizes(input_size, len(spatial), term_text(name))
    names = [str(lay.get("name") or (lay.get("config") or {}).get("name")) for lay in layers]
    imp = _Import(name, sizes, set(expand_passthrough(passthrough, names, what="layer")))
    imp.first_format = str(fmt)
    out = _walk_sequential(imp, layers) if cls == "Sequential" else _walk_functional(imp, cfg, layers)
    return imp.b.build(out)


def _walk_sequential(imp: _Import, layers: list[dict[str, Any]]) -> Any:
    value: Any = Value("input")
    for lay in layers:
        if lay.get("class_name") == "InputLayer":
            continue
        lay = {**lay, "name": lay.get("name") or (lay.get("config") or {}).get("name")}
        value = imp.layer(lay, [value])
    return value


def _history(arg: Any, env: dict[str, Any]) -> list[Any]:
    """The values a node's arguments refer to (``keras_history`` of each Keras tensor)."""
    if isinstance(arg, dict):
        hist = (arg.get("config") or {}).get("keras_history")
        if arg.get("class_name") == "__keras_tensor__" and isinstance(hist, list) and hist:
            return [env.get(str(hist[0]), CONST)]
        return [v for x in arg.values() for v in _history(x, env)]
    if isinstance(arg, (list, tuple)):
        return [v for x in arg for v in _history(x, env)]
    return []


def _walk_functional(imp: _Import, cfg: dict[str, Any], layers: list[dict[str, Any]]) -> Any:
    env: dict[str, Any] = {}
    inputs = [str(x[0]) for x in cfg.get("input_layers", []) if isinstance(x, (list, tuple)) and x]
    for lay in layers:
        nm = str(lay.get("name"))
        if lay.get("class_name") == "InputLayer":
            env[nm] = Value("input") if not inputs or nm == inputs[0] else CONST
            continue
        nodes = lay.get("inbound_nodes") or []
        if len(nodes) > 1:
            raise RfsymError(f"{imp.where(lay)}: a layer called {len(nodes)} times (shared weights) is not supported")
        srcs = _history(nodes[0], env) if nodes else []
        env[nm] = imp.layer(lay, srcs)
    outs = [str(x[0]) for x in cfg.get("output_layers", []) if isinstance(x, (list, tuple)) and x]
    if not outs and isinstance(cfg.get("output_layers"), list) and cfg["output_layers"]:
        outs = [str(cfg["output_layers"][0])]
    for o in outs:
        v = env.get(o, CONST)
        if isinstance(v, Value) and v.is_map:
            return v
    return CONST
