"""Shared hypothesis strategies: random layer stacks and input sizes."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from rfsym import Conv, Identity, Pool

paddings = st.one_of(
    st.tuples(st.integers(0, 3), st.integers(0, 3)),
    st.sampled_from(["same", "same_lower", "valid"]),
    st.integers(0, 3).map(lambda p: (p, p)),
)


@st.composite
def layer_params(draw: Any, ceil: bool = True, modes: bool = True) -> dict[str, Any]:
    kind = draw(st.sampled_from(["conv", "conv", "pool", "identity"]))
    if kind == "identity":
        return {"kind": "identity"}
    d: dict[str, Any] = {
        "kind": kind,
        "kernel": draw(st.integers(1, 7)),
        "stride": draw(st.integers(1, 3)),
        "dilation": draw(st.integers(1, 3)),
        "padding": draw(paddings if modes else st.tuples(st.integers(0, 3), st.integers(0, 3))),
    }
    d["ceil_mode"] = kind == "pool" and ceil and draw(st.booleans())
    return d


def build(params: dict[str, Any], name: str) -> Any:
    if params["kind"] == "identity":
        return Identity(name=name, op="relu")
    pad = params["padding"]
    pad = list(pad) if isinstance(pad, tuple) else pad
    if params["kind"] == "conv":
        return Conv(
            name=name, kernel=params["kernel"], stride=params["stride"], padding=pad, dilation=params["dilation"]
        )
    return Pool(
        name=name,
        kernel=params["kernel"],
        stride=params["stride"],
        padding=pad,
        dilation=params["dilation"],
        ceil_mode=params["ceil_mode"],
    )


def stacks(min_layers: int = 1, max_layers: int = 8, **kw: Any) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(layer_params(**kw), min_size=min_layers, max_size=max_layers)
