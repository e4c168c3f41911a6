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
* activations, normalisation, dropout, noise, ``Rescaling``: pass-through;
* ``Reshape``/``Permute`` that keep every spatial axis whole and in order (channel shuffles, channels
  first and back): the map's layout is followed, and each window layer checks that the layout is the
  one its ``data_format`` reads;
* a Sequential or functional model used as a layer: its layers, named ``outer/inner/...``;
* a layer called on several tensors (shared weights): one node per call, ``name``, ``name@1``, ...

Anything else is an error naming the layer and its class (or the field that mixes spatial axes).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from .._display import term_text
from ..errors import RfsymError
from ..layers import Conv, ConvTranspose, Pool, Upsample
from ._base import expand_passthrough, input_sizes, make_layer, whole
from ._graphbuild import CONST, Builder, Value, _reshape_labels, _show_layout, global_paths

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
_TRANSPOSED = {f"Conv{d}DTranspose" for d in "123"}
#: Layers that read their input through its data format's spatial axes (windows, padding, cropping, upsampling).
_SPATIAL = (
    _CONV | set(_POOL) | _TRANSPOSED | {f"{k}{d}D" for k in ("ZeroPadding", "Cropping", "UpSampling") for d in "123"}
)


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


_MODELS = {"Sequential", "Functional", "Model"}
#: Pass-through layers whose ``axis`` must not be a spatial one (a softmax or a norm over positions).
_AXIS_PASS = {"Softmax", "LayerNormalization", "UnitNormalization"}


class _Import:
    """One import: the builder, the pass-through names, and the layout of the model's feature maps.

    Layouts (see :mod:`rfsym.io._graphbuild`): one label per tensor axis, ``"b"`` batch, ``"c"`` a
    non-spatial axis, ``"f"`` flattened spatial axes, an int a spatial axis.  A value's ``dims`` of
    None is the layout of the model's data format (``(N, *spatial, C)`` for ``channels_last``).
    """

    def __init__(self, name: str, sizes: tuple[int, ...], skip: set[str]) -> None:
        self.nd = len(sizes)
        self.b = Builder(name=name, input=sizes, source=term_text(name))
        self.skip = skip
        self.first_format = "channels_last"

    def where(self, layer: dict[str, Any]) -> str:
        return f"{self.b.source}: {term_text(layer.get('name', '?'))} ({term_text(layer.get('class_name', '?'))})"

    # -- layouts ------------------------------------------------------------
    def standard(self, fmt: Any) -> tuple[Any, ...]:
        sp = tuple(range(self.nd))
        return ("b", "c", *sp) if fmt == "channels_first" else ("b", *sp, "c")

    def layout(self, v: Value) -> tuple[Any, ...]:
        if v.dims is not None:
            return v.dims
        return ("b", "f") if v.flat else self.standard(self.first_format)

    def with_layout(self, v: Value, dims: Any) -> Value:
        dims = tuple(dims)
        flat = "f" in dims
        plain = dims == self.standard(self.first_format) or (flat and dims == ("b", "f"))
        return replace(v, dims=None if plain else dims, flat=flat)

    def _expect(self, src: Value, cfg: dict[str, Any], where: str) -> str:
        """The layer's data format, after checking that the map has that layout (spatial axes where it looks)."""
        fmt = str(cfg.get("data_format") or self.first_format)
        lay = self.layout(src)
        if lay != self.standard(fmt):
            raise RfsymError(
                f"{where}: data_format {fmt!r} expects {_show_layout(self.standard(fmt))} but the map was permuted "
                f"or reshaped to {_show_layout(lay)}; not supported"
            )
        return fmt

    def _axis_label(self, src: Value, axis: Any, where: str, key: str = "axis") -> Any:
        lay = self.layout(src)
        try:
            a = int(axis)
        except (TypeError, ValueError):
            raise RfsymError(f"{where}: {key} {axis!r} is not an axis") from None
        if not -len(lay) <= a < len(lay):
            raise RfsymError(f"{where}: {key} {axis!r} does not exist in a {_show_layout(lay)} map")
        return lay[a]

    # -- one layer ----------------------------------------------------------
    def layer(self, layer: dict[str, Any], srcs: list[Any], name: str) -> Any:
        """One Keras layer (``name``: its path, ``outer/inner/...``) applied to its inputs: its output value."""
        cls, cfg = layer.get("class_name"), layer.get("config") or {}
        where = self.where({"name": name, "class_name": cls})
        maps = [s for s in srcs if isinstance(s, Value) and s.is_map]
        if not maps:
            return CONST
        src = maps[0]
        if _base_name(name) in self.skip or name in self.skip:
            return src
        if cls in _PASS:
            if cls in _AXIS_PASS and not src.pure:
                axes = cfg.get("axis", -1)
                for ax in axes if isinstance(axes, (list, tuple)) else [axes]:
                    if isinstance(self._axis_label(src, ax, where), int):
                        raise RfsymError(f"{where}: axis {axes!r} is a spatial axis (statistics over positions)")
            return src
        if cls in _MERGE or cls == "Concatenate":
            return self._merge(cls, cfg, name, where, maps)
        if cls in _GLOBAL:
            if not src.pure:
                self._expect(src, cfg, where)
            out = self.b.whole(name, src, cls, mode="max" if _GLOBAL[cls] == "Max" else "avg", flat=True)
            return replace(out, dims=None)
        if cls == "Flatten":
            return Value(src.node, flat=True, glob=src.glob, pure=src.pure)
        if cls in ("Reshape", "Permute"):
            return src if src.pure else self._rearrange(cls, cfg, name, where, src)
        if cls == "Dense":
            if src.flat:
                return self.b.whole(name, src, cls, mode="conv", flat=True)
            if not src.pure and isinstance(self.layout(src)[-1], int):
                raise RfsymError(
                    f"{where}: acts on the last axis, a spatial axis of the {_show_layout(self.layout(src))} map"
                )
            return src
        if src.flat and not src.pure:
            raise RfsymError(f"{where}: applied after the spatial axes were flattened; not supported")
        if src.pure:
            return src  # inside a global branch: stays global
        fmt = self._expect(src, cfg, where) if cls in _SPATIAL else self.first_format
        out = self._spatial(cls, cfg, name, where, src)
        return out if fmt == self.first_format else self.with_layout(out, self.standard(fmt))

    def _merge(self, cls: Any, cfg: dict[str, Any], name: str, where: str, maps: list[Value]) -> Value:
        lays = {self.layout(m) for m in maps if not m.pure}
        if len(lays) > 1:
            shown = ", ".join(_show_layout(x) for x in sorted(lays, key=str))
            raise RfsymError(f"{where}: merges maps of different layouts ({shown}); not supported")
        lay = lays.pop() if lays else None
        if cls == "Concatenate" and lay is not None and self._axis_label(maps[0], cfg.get("axis", -1), where) != "c":
            raise RfsymError(f"{where}: concatenation along axis {cfg.get('axis')} is not along channels")
        out = self.b.merge(name, "concat" if cls == "Concatenate" else _MERGE[cls], maps, cls)
        return out if lay is None or not out.is_map else self.with_layout(out, lay)

    def _rearrange(self, cls: Any, cfg: dict[str, Any], name: str, where: str, src: Value) -> Value:
        """Reshape/Permute that only rearrange non-spatial axes (a channel shuffle, channels first/last)."""
        lay = self.layout(src)
        hint = (
            f" (only reshapes and permutations that keep every spatial axis whole and in order are followed; "
            f"if it does not change the receptive field, declare it pass-through: passthrough=[{term_text(name)!r}], "
            f"on the command line --passthrough {term_text(name)!r})"
        )
        if cls == "Permute":
            dims = cfg.get("dims")
            if not isinstance(dims, (list, tuple)) or sorted(_ints(dims)) != list(range(1, len(lay))):
                raise RfsymError(f"{where}: dims {dims!r} is not a permutation of the {len(lay) - 1} non-batch axes")
            new = [lay[0]] + [lay[int(d)] for d in dims]
            sp = [x for x in new if isinstance(x, int)]
            if sp != sorted(sp):
                raise RfsymError(
                    f"{where}: unsupported layer: dims {tuple(dims)!r} reorders the spatial axes "
                    f"({_show_layout(lay)} to {_show_layout(new)}){hint}"
                )
            return self.with_layout(src, new)
        target = cfg.get("target_shape")
        if not isinstance(target, (list, tuple)):
            raise RfsymError(f"{where}: target_shape {target!r} is not a shape")
        if "f" in lay and not any(isinstance(x, int) for x in lay):
            if len(target) == 1:
                return src  # a flat map stays flat
        elif len(target) == 1 and set(x for x in lay if isinstance(x, int)) == set(range(self.nd)):
            return self.with_layout(src, ("b", "f"))  # as Flatten
        else:
            labels = _reshape_labels(lay, [None, *target], self.b.sizes(src), self.nd)
            if labels is not None:
                return self.with_layout(src, labels)
        raise RfsymError(
            f"{where}: unsupported layer: target_shape {tuple(target)!r} mixes the spatial axes of the "
            f"{_show_layout(lay)} map{hint}"
        )

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
        if cls in _TRANSPOSED:
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
    input shape.  ``passthrough``: layer names or patterns to treat as pass-through; a layer inside a
    nested model is ``outer/inner`` (the nested model's layer name, then the inner layer's).
    """
    data, stem = _model_config(model_or_path)
    cfg = data.get("config") or {}
    cls = data.get("class_name")
    if cls not in _MODELS or not isinstance(cfg.get("layers"), list):
        raise RfsymError(f"{term_text(stem)}: a {term_text(cls)!r} is not a Sequential or functional Keras model")
    layers = [lay for lay in cfg["layers"] if isinstance(lay, dict)]
    name = name or str(cfg.get("name") or stem)
    shape = _input_shape(cfg, layers)
    fmt = _first_format(layers) or "channels_last"
    if shape is None or len(shape) < 3:
        raise RfsymError(f"{term_text(name)}: the model declares no (batch, *spatial, channels) input shape")
    spatial = shape[2:] if fmt == "channels_first" else shape[1:-1]
    if input_size is None:
        if any(v is None for v in spatial):
            raise RfsymError(f"{term_text(name)}: the model's input has unknown spatial sizes; give input_size")
        sizes = tuple(int(v) for v in spatial)
    else:
        sizes, _ = input_sizes(input_size, len(spatial), term_text(name))
    imp = _Import(name, sizes, set(expand_passthrough(passthrough, _paths(layers, ""), what="layer")))
    imp.first_format = str(fmt)
    outs = _walk(imp, cls, cfg, [Value("input")], "", 0)
    return imp.b.build(next((v for v in outs if isinstance(v, Value) and v.is_map), CONST))


#: Most nesting of models inside models.
MAX_NESTING = 16


def _first_format(layers: list[dict[str, Any]]) -> str:
    """The data format of the first layer (nested models included) that declares one."""
    for lay in layers:
        c = lay.get("config") or {}
        if lay.get("class_name") in _MODELS and isinstance(c.get("layers"), list):
            inner = _first_format([x for x in c["layers"] if isinstance(x, dict)])
            if inner:
                return inner
        elif c.get("data_format"):
            return str(c["data_format"])
    return ""


def _layer_name(lay: dict[str, Any]) -> str:
    return str(lay.get("name") or (lay.get("config") or {}).get("name"))


def _paths(layers: list[dict[str, Any]], prefix: str, depth: int = 0) -> list[str]:
    """Every layer's path (``outer/inner/...``), nested models and their layers included."""
    out = []
    for lay in layers:
        nm = prefix + _layer_name(lay)
        out.append(nm)
        c = lay.get("config") or {}
        if lay.get("class_name") in _MODELS and isinstance(c.get("layers"), list) and depth < MAX_NESTING:
            out.extend(_paths([x for x in c["layers"] if isinstance(x, dict)], nm + "/", depth + 1))
    return out


def _base_name(path: str) -> str:
    """A call's path without its call marks (``shared@1`` is the second call of ``shared``)."""
    return "/".join(part.split("@", 1)[0] for part in path.split("/"))


def _ints(vals: Any) -> list[int]:
    return [int(v) if isinstance(v, int) and not isinstance(v, bool) else -1 for v in vals]


def _walk(imp: _Import, cls: Any, cfg: dict[str, Any], srcs: list[Any], prefix: str, depth: int) -> list[Any]:
    """The output values of a (nested) model applied to ``srcs``; its layers are named ``prefix + name``."""
    if depth > MAX_NESTING:
        raise RfsymError(f"{imp.b.source}: {term_text(prefix)}: models nested more than {MAX_NESTING} deep")
    layers = [lay for lay in cfg.get("layers") or [] if isinstance(lay, dict)]
    if cls == "Sequential":
        value = srcs[0] if srcs else CONST
        for lay in layers:
            if lay.get("class_name") != "InputLayer":
                value = _call(imp, lay, [value], prefix + _layer_name(lay), depth)[0]
        return [value]
    return _walk_functional(imp, cfg, layers, srcs, prefix, depth)


def _call(imp: _Import, lay: dict[str, Any], srcs: list[Any], path: str, depth: int) -> list[Any]:
    """One call of a layer: its output values (a nested model may have several)."""
    c = lay.get("config") or {}
    if lay.get("class_name") in _MODELS and isinstance(c.get("layers"), list):
        if _base_name(path) in imp.skip:
            return [next((s for s in srcs if isinstance(s, Value) and s.is_map), CONST)]
        return _walk(imp, lay.get("class_name"), c, srcs, path + "/", depth + 1)
    return [imp.layer(lay, srcs, path)]


def _refs(v: Any) -> list[tuple[str, int, int]]:
    """``input_layers``/``output_layers`` as (layer, node, tensor) triples (one triple or a list of them)."""
    if not isinstance(v, list) or not v:
        return []
    items = [v] if isinstance(v[0], str) else [x for x in v if isinstance(x, (list, tuple)) and x]
    out = []
    for x in items:
        node = x[1] if len(x) > 1 and isinstance(x[1], int) else 0
        tensor = x[2] if len(x) > 2 and isinstance(x[2], int) else 0
        out.append((str(x[0]), node, tensor))
    return out


def _tensors(arg: Any) -> list[tuple[str, int, int]]:
    """The (layer, node, tensor) of each Keras tensor in a node's arguments (``keras_history``), in order."""
    if isinstance(arg, dict):
        hist = (arg.get("config") or {}).get("keras_history")
        if arg.get("class_name") == "__keras_tensor__" and isinstance(hist, list) and hist:
            return _refs(hist)
        return [t for x in arg.values() for t in _tensors(x)]
    if isinstance(arg, (list, tuple)):
        return [t for x in arg for t in _tensors(x)]
    return []


def _history(arg: Any, env: dict[tuple[str, int], list[Any]]) -> list[Any]:
    """The values a node's arguments refer to."""
    out = []
    for layer, node, tensor in _tensors(arg):
        outs = env.get((layer, node), [])
        out.append(outs[tensor] if 0 <= tensor < len(outs) else CONST)
    return out


def _walk_functional(
    imp: _Import, cfg: dict[str, Any], layers: list[dict[str, Any]], srcs: list[Any], prefix: str, depth: int
) -> list[Any]:
    """A functional model: each inbound node of a layer is its own call (a shared layer is called on two
    tensors: two nodes, the second named ``layer@1``); its inputs are ``srcs`` in order."""
    env: dict[tuple[str, int], list[Any]] = {}
    inputs = [r[0] for r in _refs(cfg.get("input_layers"))]
    calls: list[tuple[dict[str, Any], str, int, Any]] = []
    for lay in layers:
        nm = _layer_name(lay)
        if lay.get("class_name") == "InputLayer":
            k = inputs.index(nm) if nm in inputs else (0 if not inputs else len(srcs))
            env[(nm, 0)] = [srcs[k] if k < len(srcs) else CONST]
            continue
        calls.extend((lay, nm, k, node) for k, node in enumerate(lay.get("inbound_nodes") or []))
    # Layers are listed in the order of their first call: a shared layer's later call can need a layer
    # listed after it.  Each round runs every call whose inputs exist; a reference to nothing is a constant.
    while calls:
        ready = [c for c in calls if all((t[0], t[1]) in env for t in _tensors(c[3]))] or calls[:1]
        for lay, nm, k, node in ready:
            env[(nm, k)] = _call(imp, lay, _history(node, env), prefix + (nm if k == 0 else f"{nm}@{k}"), depth)
        calls = [c for c in calls if (c[1], c[2]) not in env]
    # Keras numbers a nested functional model's nodes from 1 in output_layers (its node 0 is the one that
    # built it), from 0 in the arguments of later calls (keras/src/models/functional.py, get_config).
    functional = {_layer_name(lay) for lay in layers if lay.get("class_name") == "Functional"}
    refs = [(o, node - (o in functional), t) for o, node, t in _refs(cfg.get("output_layers"))]
    return [(env.get((o, node), [])[t : t + 1] or [CONST])[0] for o, node, t in refs]
