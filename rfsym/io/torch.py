"""Import a PyTorch model as an rfsym network: ``from_torch(model, input_size)``.

The model is traced with ``torch.fx``; when tracing fails (data-dependent
control flow, unsupported Python), rfsym runs the model once on a zero input
and records the leaf modules with forward hooks and every other torch call
with a ``TorchFunctionMode``.  Either way each operation is mapped to an rfsym
layer by the same code:

* ``Conv1d/2d/3d`` and ``F.conv*d``: :class:`rfsym.Conv` (``padding="same"`` too);
* ``MaxPool``/``AvgPool`` 1d/2d/3d and ``F.max_pool*d``/``F.avg_pool*d``:
  :class:`rfsym.Pool` with padding, dilation and ``ceil_mode``;
* ``ConvTranspose*d``, ``Upsample`` and ``F.interpolate``: the transposed
  layers of :mod:`rfsym.layers`, when this version has them;
* ``AdaptiveAvg/MaxPool`` with an output size that divides the map exactly:
  a pool of kernel = stride = n/o (output size 1: the whole map); other
  sizes have windows of different sizes and are refused;
* ``Flatten`` (or ``view``/``reshape`` to two axes) followed by ``Linear``,
  and means over the spatial axes: a layer whose window is the whole
  remaining map *at this input size* -- every output of a head sees the
  whole input;
* ``ZeroPad``/``ConstantPad``/``ReflectionPad``/``ReplicationPad`` and
  ``F.pad``: a 1-wide convolution with that padding (same geometry);
* ``Identity``, activations, normalisation and dropout: pass-through;
* ``+``, ``*``, ``torch.add`` of two feature maps and ``torch.cat`` along
  channels: merges, which need rfsym's graph networks.

Anything else raises :class:`rfsym.RfsymError` naming the module path and
type; ``passthrough=["name", ...]`` treats the named modules as pass-through.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._bisect import smallest
from .._display import term_text
from ..errors import EmptyOutputError, RfsymError
from ._base import check_run_size, expand_passthrough, input_sizes, one_line, require
from ._graphbuild import CONST, Value, global_paths
from ._torch_ops import _Importer, _Split, canon, flat_args

__all__ = ["from_torch", "global_paths", "parse_input_size"]


def _torch() -> Any:
    return require("torch")


def _fx_import(imp: _Importer, model: Any) -> Value:
    import torch.fx as fx

    leaves = imp.passthrough

    class Tracer(fx.Tracer):
        def is_leaf_module(self, m: Any, qualname: str) -> bool:
            return qualname in leaves or super().is_leaf_module(m, qualname)

    graph = Tracer().trace(model)
    env: dict[Any, Any] = {}
    first = True
    out: Any = CONST

    def res(a: Any) -> Any:
        if isinstance(a, fx.Node):
            return env[a]
        if isinstance(a, (list, tuple)):
            return type(a)(res(x) for x in a) if not hasattr(a, "_fields") else a
        if isinstance(a, dict):
            return {k: res(v) for k, v in a.items()}
        return a

    for node in graph.nodes:
        if node.op == "placeholder":
            env[node] = Value("input") if first else CONST
            first = False
        elif node.op == "get_attr":
            obj: Any = model
            for part in str(node.target).split("."):
                obj = getattr(obj, part)
            env[node] = obj
        elif node.op == "call_module":
            mod = model.get_submodule(node.target)
            env[node] = imp.module(str(node.target), mod, res(node.args), res(node.kwargs))
        elif node.op == "call_function":
            t = node.target
            fname = getattr(t, "__name__", str(t))
            env[node] = imp.function(
                _node_name(node, model), fname, res(node.args), res(node.kwargs), _where(node, model)
            )
        elif node.op == "call_method":
            env[node] = imp.function(
                _node_name(node, model), str(node.target), res(node.args), res(node.kwargs), _where(node, model)
            )
        elif node.op == "output":
            out = res(node.args[0])
    return _pick_output(out)


def _node_name(node: Any, model: Any) -> str:
    """``<module path>.<op>`` for a function or method call inside a module's forward."""
    t = node.target
    op = canon(t if isinstance(t, str) else getattr(t, "__name__", str(t)))
    stack = node.meta.get("nn_module_stack") if hasattr(node, "meta") else None
    if stack:
        path = list(stack.values())[-1]
        path = path[0] if isinstance(path, tuple) else path
        if path:
            return f"{path}.{op}"
    return op


def _where(node: Any, model: Any) -> str:
    """``<module path> (call_method view)``: the module whose forward makes the call, and the call."""
    name = _node_name(node, model)
    path = name.rsplit(".", 1)[0] if "." in name else _top(model)
    return f"{path} ({node.op} {getattr(node.target, '__name__', node.target)})"


def _top(model: Any) -> str:
    """How refusals name a call in the model's own forward (the top-level module has no path)."""
    return f"{term_text(type(model).__name__)}.forward"


def _pick_output(out: Any) -> Value:
    if isinstance(out, Value):
        return out
    if isinstance(out, _Split):
        return out.src
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (list, tuple)):
        for o in out:
            v = _pick_output(o)
            if v.is_map:
                return v
    return CONST


class _Recorder:
    """Runs the model once, recording leaf modules (forward hooks) and torch calls (a function mode).

    Tensors are known by ``id``; every recorded tensor is kept alive so that
    its id stays unique.  Inside a leaf module (``depth > 0``) nothing is
    recorded: the module's own call stands for what it does.
    """

    def __init__(self, imp: _Importer, model: Any) -> None:
        self.torch = _torch()
        self.imp, self.model = imp, model
        self.known: dict[int, Any] = {}
        self.keep: list[Any] = []
        self.depth = 0
        self.paths: list[str] = []  # the container modules entered, for naming function calls
        self.pending: dict[int, tuple[Any, Any]] = {}  # id(leaf) -> its arguments, looked up at entry
        self.handles: list[Any] = []

    def look(self, a: Any) -> Any:
        if isinstance(a, self.torch.Tensor):
            return self.known.get(id(a), a)
        if isinstance(a, (list, tuple)) and not hasattr(a, "_fields"):
            return type(a)(self.look(x) for x in a)
        if isinstance(a, dict):
            return {k: self.look(v) for k, v in a.items()}
        return a

    def record(self, result: Any, value: Any) -> None:
        if isinstance(result, self.torch.Tensor):
            if isinstance(value, _Split):
                value = value.src
            if isinstance(value, Value) and value.is_map:
                self.known[id(result)] = value
                self.keep.append(result)
        elif isinstance(result, (list, tuple)):
            for i, r in enumerate(result):
                self.record(r, value[i] if isinstance(value, (list, tuple)) and i < len(value) else value)

    def on_function(self, func: Any, args: Any, kwargs: Any, result: Any) -> None:
        Tensor = self.torch.Tensor
        tensors = isinstance(result, Tensor) or (
            isinstance(result, (list, tuple)) and any(isinstance(r, Tensor) for r in result)
        )
        if self.depth or not tensors:
            return
        fname = getattr(func, "__name__", str(func))
        if fname == "__get__":
            fname = getattr(getattr(func, "__self__", None), "__name__", "getattr")
        la, lk = self.look(args), self.look(kwargs)
        if any(isinstance(a, Value) and a.is_map for a in flat_args(la, lk)):
            nm = f"{self.paths[-1]}.{canon(fname)}" if self.paths else canon(fname)
            where = f"{self.paths[-1] if self.paths else _top(self.model)} (call {fname})"
            self.record(result, self.imp.function(nm, fname, la, lk, where))

    def _enter_leaf(self, m: Any, args: Any, kwargs: Any = None) -> None:
        if self.depth == 0:
            self.pending[id(m)] = (self.look(args), self.look(kwargs or {}))
        self.depth += 1

    def _leaf_exit(self, path: str) -> Any:
        def hook(m: Any, args: Any, kwargs: Any, result: Any = None) -> None:
            self.depth -= 1
            if self.depth == 0:
                la, lk = self.pending.pop(id(m))
                self.record(result, self.imp.module(path, m, la, lk))

        return hook

    def _enter_container(self, path: str) -> Any:
        def hook(mod: Any, args: Any) -> None:
            self.paths.append(path)

        return hook

    def _exit_container(self, mod: Any, args: Any, result: Any) -> None:
        if self.paths:
            self.paths.pop()

    def install(self) -> None:
        leaves = [(p, m) for p, m in self.model.named_modules() if p and (p in self.imp.passthrough or _is_leaf(m))]
        for p, m in leaves:
            self.handles.append(m.register_forward_pre_hook(self._enter_leaf, with_kwargs=True))
            self.handles.append(m.register_forward_hook(self._leaf_exit(p), with_kwargs=True))
        leaf_ids = {id(m) for _, m in leaves}
        for p, m in self.model.named_modules():
            if p and id(m) not in leaf_ids:
                self.handles.append(m.register_forward_pre_hook(self._enter_container(p)))
                self.handles.append(m.register_forward_hook(self._exit_container))

    def run(self, shape: tuple[int, ...]) -> Value:
        torch = self.torch
        from torch.overrides import TorchFunctionMode

        rec = self

        class Mode(TorchFunctionMode):
            def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
                kwargs = kwargs or {}
                result = func(*args, **kwargs)
                rec.on_function(func, args, kwargs, result)
                return result

        check_run_size(shape, self.imp.b.name, "the hook recorder (used when torch.fx cannot trace)")
        x = torch.zeros(shape)
        self.known[id(x)] = Value("input")
        self.install()
        try:
            with torch.no_grad(), Mode():
                out = self.model(x)
        except RfsymError:
            raise
        except Exception as e:  # noqa: BLE001 - any failure inside the model becomes one clear line
            raise RfsymError(
                f"{self.imp.b.name}: the model failed to run on an input of shape {tuple(shape)}: {one_line(e)}"
            ) from None
        finally:
            for h in self.handles:
                h.remove()
        return _pick_output(self.look(out) if not isinstance(out, torch.Tensor) else self.known.get(id(out), CONST))


def _is_leaf(m: Any) -> bool:
    import torch.nn as nn

    return m.__module__.startswith("torch.nn") and not isinstance(m, (nn.Sequential, nn.ModuleList, nn.ModuleDict))


def _spatial_ndim(model: Any) -> int | None:
    for m in model.modules():
        name = type(m).__name__
        if (
            m.__module__.startswith("torch.nn")
            and name[-2:] in ("1d", "2d", "3d")
            and any(key in name for key in ("Conv", "Pool", "Pad"))
        ):
            return int(name[-2])
    return None


def _in_channels(model: Any) -> int | None:
    from torch.nn.modules import conv

    for m in model.modules():
        if isinstance(m, conv._ConvNd):
            return int(m.in_channels)
    return None


def parse_input_size(model: Any, input_size: Any) -> tuple[tuple[int, ...], int]:
    """(spatial sizes, channels) from an int, per-axis sizes, (C, *sizes) or (N, C, *sizes)."""
    sizes, chans = input_sizes(input_size, _spatial_ndim(model))
    return sizes, chans or _in_channels(model) or 1


def _check_arguments(model: Any, passthrough: Any, name: Any, method: Any) -> list[str]:
    """Wrong types and values of :func:`from_torch`'s arguments as one-line errors; the passthrough list."""
    torch = _torch()
    if not isinstance(model, torch.nn.Module):
        raise RfsymError(f"from_torch needs a torch.nn.Module (got {type(model).__name__})")
    if method not in ("auto", "fx", "hooks"):
        raise RfsymError(f"method must be 'auto', 'fx' or 'hooks' (got {method!r})")
    if name is not None and not isinstance(name, str):
        raise RfsymError(f"name must be a string (got {type(name).__name__})")
    return expand_passthrough(passthrough, [p for p, _ in model.named_modules() if p])


def from_torch(
    model: Any,
    input_size: Any,
    *,
    passthrough: Iterable[str] = (),
    name: str | None = None,
    method: str = "auto",
) -> Any:
    """The rfsym network of a PyTorch module at an input size.

    ``input_size``: one size for every spatial axis, one per axis, or a full
    shape ``(C, *sizes)`` / ``(N, C, *sizes)``.  ``passthrough``: module paths
    (as in ``model.named_modules()``) to treat as pass-through.
    ``method``: ``"fx"``, ``"hooks"`` or ``"auto"`` (fx, then hooks when
    tracing fails).

    >>> import torch.nn as nn
    >>> net = from_torch(nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)), 32)
    >>> net.table().output[0].r
    4
    """
    passthrough = _check_arguments(model, passthrough, name, method)
    sizes, chans = parse_input_size(model, input_size)
    name = name or type(model).__name__.lower()
    imp = _Importer(model, sizes, name, passthrough)
    value = _try_fx(imp, model, method == "fx") if method in ("auto", "fx") else None
    if value is None:
        fx_error = imp.fx_error
        imp = _Importer(model, sizes, name, passthrough)
        was = model.training
        model.eval()
        try:
            value = _Recorder(imp, model).run((1, chans, *sizes))
        except RfsymError:
            if fx_error is not None:
                raise fx_error from None  # fx's message names the operation; the recorder's would repeat it
            raise
        finally:
            model.train(was)
    return imp.b.build(value)


def _try_fx(imp: _Importer, model: Any, required: bool) -> Value | None:
    """The fx import; None when fx cannot trace the model (unless ``required``).

    An input too small gets the smallest one that works (same size on every axis).
    """
    sizes, name = imp.b.input, imp.b.name
    try:
        return _fx_import(imp, model)
    except EmptyOutputError as e:
        if len(set(sizes)) == 1:
            smallest = _smallest_input(model, len(sizes), sizes[0], name, sorted(imp.passthrough))
            if smallest is not None:
                raise EmptyOutputError(f"{e} (the smallest input that works is {smallest})") from None
        raise
    except RfsymError as e:
        if required:
            raise
        imp.fx_error = e  # the hook recorder may still manage (values fx only sees as proxies)
        return None
    except Exception as e:  # noqa: BLE001 - fx cannot trace this model: fall back to hooks
        if required:
            raise RfsymError(f"{name}: torch.fx cannot trace the model: {one_line(e)}") from None
        return None


def _smallest_input(model: Any, nd: int, tried: int, name: str, passthrough: list[str]) -> int | None:
    """Smallest size (the same on every axis, at most 2**20) that the model accepts, by the fx import."""

    def ok(n: int) -> bool:
        try:
            _fx_import(_Importer(model, (n,) * nd, name, passthrough), model)
        except EmptyOutputError:
            return False
        return True

    try:
        return smallest(ok, lo=tried + 1, cap=1 << 20).value
    except Exception:  # noqa: BLE001 - only a hint: give up quietly
        return None
