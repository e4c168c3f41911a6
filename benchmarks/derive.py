"""Benchmark rfsym.derive against the alternatives, in the same run, and print ratios.

1. A fully symbolic stack of 1000 conv layers (k_l, s_l, p_l, d_l: 4000 symbols):
   derive all five closed forms and print them to LaTeX (target < 1.5 s, no RecursionError).
2. The same for 2000 layers (target: at most 2.5x the 1000-layer time).
3. Naive sympy: build r alone with the recurrence r += d (k - 1) j, j *= s at 1000
   layers (target: rfsym's whole job >= 4x faster than building r).  Printing that
   r with sympy.latex takes another 10-20 s and is left out to keep `./dev bench` short.
4. Numeric sweep: n, r and start of a 150-layer network at 10,000 input sizes through
   the closed forms (exact integers, vectorised) versus the seed's per-layer loop run
   once per size (target >= 50x, identical results).

Run: python benchmarks/derive.py   (about half a minute).  The network objects are
built before the clock starts; everything after is timed.
"""

from __future__ import annotations

import gc
import math
import sys
import time
from fractions import Fraction

sys.setrecursionlimit(1000)  # Python's default: the limit naive sympy runs into

import sympy  # noqa: E402

from rfsym import Conv, Network, derive  # noqa: E402


def symbolic_stack(L: int) -> Network:
    return Network(
        [Conv(kernel=f"k{i}", stride=f"s{i}", padding=f"p{i}", dilation=f"d{i}", name=f"c{i}") for i in range(1, L + 1)]
    )


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = math.inf, None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def rfsym_job(net: Network) -> str:
    forms = derive(net)
    return forms.to_latex()


def naive_r(L: int) -> object:
    syms = {c: sympy.symbols(f"{c}1:{L + 1}", integer=True, positive=True) for c in "ksd"}
    r, j = sympy.Integer(1), sympy.Integer(1)
    for i in range(L):
        r = r + syms["d"][i] * (syms["k"][i] - 1) * j
        j = j * syms["s"][i]
    return r


# the seed program (Dang Ha The Hien, 2017), verbatim apart from names; `framework=True`
# uses the declared left padding instead of floor(actualP/2), as rfsym's closed forms do
def out_from_in(conv, layer_in, framework=False):
    n_in, j_in, r_in, start_in = layer_in
    k, s, p = conv
    n_out = math.floor((n_in - k + 2 * p) / s) + 1
    actual_p = (n_out - 1) * s - n_in + k
    p_l = p if framework else math.floor(actual_p / 2)
    j_out = j_in * s
    r_out = r_in + (k - 1) * j_in
    start_out = start_in + ((k - 1) / 2 - p_l) * j_in
    return n_out, j_out, r_out, start_out


def seed_loop(convs, size, framework=False):
    layer = (size, 1, 1, 0.5)
    for conv in convs:
        layer = out_from_in(conv, layer, framework)
    return layer


def sweep_network() -> tuple[Network, list[tuple[int, int, int]]]:
    convs = []
    for i in range(150):
        if i % 30 == 29:
            convs.append((3, 2, 1))  # downsampling conv
        elif i % 10 == 4:
            convs.append((5, 1, 2))
        elif i % 10 == 7:
            convs.append((2, 1, 0))
        else:
            convs.append((3, 1, 1))
    layers = [Conv(kernel=k, stride=s, padding=p, name=f"c{i}") for i, (k, s, p) in enumerate(convs)]
    return Network(layers), convs


def main() -> None:
    print("rfsym derive benchmark")
    print("----------------------")
    net1k, net2k = symbolic_stack(1000), symbolic_stack(2000)
    rfsym_job(symbolic_stack(20))  # warm imports and the template cache of the conv layer kind

    t1k, tex = best_of(lambda: rfsym_job(net1k))
    print(f"1000 layers, 4000 symbols: derive + LaTeX of n, j, r, start, P   {t1k:7.3f} s   ({len(tex):,} characters)")
    t2k, _ = best_of(lambda: rfsym_job(net2k))
    print(f"2000 layers, 8000 symbols: derive + LaTeX                        {t2k:7.3f} s")
    print(f"  growth 2000/1000 layers: {t2k / t1k:5.2f}x   (target <= 2.5x)")
    print(f"  1000 layers under 1.5 s: {'yes' if t1k < 1.5 else 'NO'}")

    t = time.perf_counter()
    naive_r(1000)
    t_naive = time.perf_counter() - t
    print(f"naive sympy recurrence, r alone at 1000 layers                   {t_naive:7.3f} s   (not printed)")
    print(f"  rfsym whole job vs naive r: {t_naive / t1k:6.1f}x faster   (target >= 4x)")

    net, convs = sweep_network()
    lo = net.min_input_size()
    sizes = list(range(lo, lo + 10_000))

    def closed() -> tuple[object, ...]:
        forms = derive(net)
        return forms.sweep()(sizes)

    t_closed, (nn, _j, rr, start, _P) = best_of(closed)

    def loop() -> list[tuple[object, ...]]:
        return [seed_loop(convs, n, framework=True) for n in sizes]

    forms = derive(net)
    t_eval, _ = best_of(lambda: forms.sweep()(sizes))
    t_loop, rows = best_of(loop, repeat=1)
    seed_rows = [seed_loop(convs, n) for n in sizes]
    same = all(int(a) == row[0] and rr == row[2] and Fraction(start) == Fraction(row[3]) for a, row in zip(nn, rows))
    same_nr = all(int(a) == row[0] and rr == row[2] for a, row in zip(nn, seed_rows))
    print(f"150 layers x 10,000 input sizes: closed forms (derive + sweep)     {t_closed:7.3f} s")
    print(f"                                 seed per-layer loop per size     {t_loop:7.3f} s")
    print(
        f"  speed-up: {t_loop / t_closed:6.1f}x   (target >= 50x; evaluation alone, forms derived once: {t_loop / t_eval:,.0f}x)"
    )
    print(f"  identical n, r, start to the loop with declared left padding: {same}")
    print(f"  identical n, r to the verbatim seed loop (its start uses floor(actualP/2)): {same_nr}")


if __name__ == "__main__":
    main()
