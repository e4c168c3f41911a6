"""Hole and checkerboard targets (issue 13): ``holes = 0`` (alias ``dense``) or ``holes <= N``, and ``even``
(alias ``checkerboard = 0``: every output phase receives the same number of paths), filters on the complete set
of solutions of the other targets.

Whether a unit's receptive field has holes (input positions inside its box that reach it by no path, the
gridding artifact of dilated stacks) is not a function of (j, r) that the dynamic programme could carry, so it
is checked on each solution of the other targets with :func:`rfsym.coverage.holes` (exact bit masks, on the
infinite line: the holes of the output's unit 0 on the solve's axis).  The other targets' set is counted
first and refused above :data:`MAX_CHECKED` before any listing.
"""

from __future__ import annotations

from typing import Any

from ..errors import RfsymError
from .targets import Target, parse_target

#: Most solutions of the other targets checked for holes (each check builds the concrete network).
MAX_CHECKED = 200_000
_KEYS = ("holes", "dense", "even", "checkerboard")
#: A wanted hole-count interval (or None) and whether even overlap is wanted.
Wanted = tuple[tuple[int, int | None] | None, bool]


def split(targets: Any, quantities: dict[str, Any]) -> tuple[Any, dict[str, Any], Wanted | None]:
    """(other targets, other keyword targets, what the filters want, or None when there is no filter)."""
    found: list[tuple[str, Any]] = []
    kw = dict(quantities)
    for key in _KEYS:
        if key in kw:
            found.append((key, kw.pop(key)))
    rest = targets
    if isinstance(targets, dict):
        rest = {k: v for k, v in targets.items() if k not in _KEYS}
        found += [(k, v) for k, v in targets.items() if k in _KEYS]
    elif isinstance(targets, (list, tuple, str)):
        items = [targets] if isinstance(targets, str) else list(targets)
        rest = []
        for t in items:
            head = t.split("=")[0].split("<")[0].split(">")[0].strip() if isinstance(t, str) else ""
            if head in _KEYS:
                found.append((head, True if t.strip() == head else t[len(head) :].strip()))
            else:
                rest.append(t)
    if not found:
        return targets, quantities, None
    holes = [_interval(k, v) for k, v in found if k in ("holes", "dense")]
    even = any(_even(k, v) for k, v in found if k in ("even", "checkerboard"))
    iv = None
    if holes:
        his = [h[1] for h in holes if h[1] is not None]
        iv = (max(h[0] for h in holes), min(his) if his else None)
    return (rest or None), kw, (iv, even)


def _even(key: str, value: Any) -> bool:
    if key == "even" and value in (True, "true", "True", "=true", "= true", "==true"):
        return True
    if key == "checkerboard" and value in (0, False, "=0", "= 0", "==0", "0"):
        return True
    raise RfsymError(f"target {key}: give even (or checkerboard=0) for even overlap of the phases (got {value!r})")


def _interval(key: str, value: Any) -> tuple[int, int | None]:
    if key == "dense":
        if value in (True, "true", "True", "=true", "= true", "==true"):
            return (0, 0)
        raise RfsymError(f"target dense: give dense (or dense=true) for a field without holes (got {value!r})")
    try:  # an interval of any rationals, rounded inwards to hole counts
        t: Target | None = parse_target("start", value)
    except RfsymError:
        t = None
    if t is None or t.symbolic:
        raise RfsymError(f"target holes: give a number of holes such as holes=0 or holes<=2 (got {value!r})")
    lo = 0 if t.lo is None else max(0, int(-(-t.lo // 1)))
    hi = None if t.hi is None else int(t.hi // 1)
    return lo, hi


def solve_with_holes(net: Any, wanted: Wanted, solve: Any, options: dict[str, Any]) -> Any:
    """``solve(net, **options)`` (no filter targets), its solutions kept where the filters hold."""
    from ..coverage import holes
    from ..coverage.phases import checkerboard
    from .result import Solutions

    minimize, limit, axis = options.pop("minimize"), options.pop("limit"), options["axis"]
    count_only = options.pop("count")
    options.pop("nearest")
    total = solve(net, **options, count=True, limit=None, nearest=0)
    if total.symbolic is not None or total.count is None:
        raise RfsymError("a holes or even target needs finite domains for every unknown (give each symbol a max)")
    if total.count > MAX_CHECKED:
        raise RfsymError(
            f"{total.count} solutions of the other targets: at most {MAX_CHECKED} are checked for holes or "
            "checkerboards; add targets or narrow the domains"
        )
    res = solve(net, **options, limit=None, nearest=0)
    iv, even = wanted
    kept: list[tuple[int, ...]] = []
    for sol in res.solutions:
        concrete = net.subs(sol)
        ok = True
        if iv is not None:
            n = holes(concrete, axis=axis)[0].n_holes
            ok = n >= iv[0] and (iv[1] is None or n <= iv[1])
        if ok and even:
            ok = checkerboard(concrete, axis=axis)[0].even
        if ok:
            kept.append(tuple(sol[u] for u in res.unknowns))
    if minimize is not None:
        scored = [
            (_cost(net, dict(zip(res.unknowns, row)), minimize, axis, options["convention"]), row) for row in kept
        ]
        res.minimize = minimize if isinstance(minimize, str) else getattr(minimize, "__name__", "callable")
        res.optimum = min((c for c, _ in scored), default=None)
        kept = [row for c, row in scored if c == res.optimum]
        res.ties = len(kept)
    res.count = len(kept)
    rows = [] if count_only else kept if limit is None else kept[:limit]
    res.solutions = Solutions(res.unknowns, rows, ints=True)
    res.complete = not count_only and len(rows) == len(kept)
    extra = ([Target("holes", lo=iv[0], hi=iv[1])] if iv is not None else []) + (
        [Target("checkerboard", lo=0, hi=0)] if even else []
    )
    res.targets = (*res.targets, *extra)  # printed with the others (text, JSON, LaTeX)
    what = " and ".join(t.quantity for t in extra)
    res.notes.append(f"{what}: checked on each of the {total.count} solutions of the other targets (rfsym.coverage)")
    return res


def _cost(net: Any, assignment: dict[str, int], minimize: Any, axis: int, convention: str) -> Any:
    """The objective of one solution, as the solver scores it (``_Context._cost``: the layers' coefficients)."""
    if callable(minimize):
        return minimize(assignment)
    from ..graph import Graph
    from ._model import coefficients, weights_of

    concrete = net.subs(assignment)
    layers = list(concrete._compile()[0].values()) if isinstance(concrete, Graph) else list(concrete.layers)
    ndim = concrete.ndim or 1
    if minimize == "depth":
        return sum(coefficients(lay, axis, convention, ndim).depth for lay in layers)
    if minimize == "sum_k2":
        return sum(weights_of(lay, axis, ndim) for lay in layers)
    raise RfsymError(f"minimize: choose depth or sum_k2, or give a function (got {minimize!r})")
