"""`rfsym table` on a 200-layer numeric spec, wall time with process start.

Target (issue 2): under 1 s. The alternative measured in the same run is the
seed blog's `outFromIn` loop in a fresh Python process (no imports beyond math),
which has no spec parsing and no exact arithmetic: the ratio shows what the
exactness and the CLI cost.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = """
import math
def outFromIn(conv, layerIn):
    n_in, j_in, r_in, start_in = layerIn
    k, s, p = conv
    n_out = math.floor((n_in - k + 2*p)/s) + 1
    actualP = (n_out-1)*s - n_in + k
    pL = math.floor(actualP/2)
    return n_out, j_in*s, r_in + (k-1)*j_in, start_in + ((k-1)/2 - pL)*j_in
cur = [{n}, 1, 1, 0.5]
for conv in {layers}:
    cur = outFromIn(conv, cur)
    print(*cur)
"""


def make(n_layers: int = 200) -> tuple[str, list[list[int]], int]:
    rng = random.Random(0)
    layers, lines = [], ['name = "bench200"', "input = 100000", ""]
    for i in range(n_layers):
        k = rng.choice([1, 3, 5])
        s = 2 if i % 40 == 0 else 1
        p = (k - 1) // 2
        layers.append([k, s, p])
        lines += [
            "[[layers]]",
            f'name = "c{i}"',
            'kind = "conv"',
            f"kernel = {k}",
            f"stride = {s}",
            f"padding = {p}",
            "",
        ]
    return "\n".join(lines), layers, 100000


def timed(cmd: list[str], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    text, layers, n = make()
    with tempfile.TemporaryDirectory() as d:
        spec = Path(d) / "bench200.toml"
        spec.write_text(text)
        seed = Path(d) / "seed.py"
        seed.write_text(SEED.format(n=n, layers=layers))
        t_rfsym = timed([sys.executable, "-m", "rfsym", "table", str(spec)])
        t_json = timed([sys.executable, "-m", "rfsym", "table", str(spec), "--format", "json"])
        t_seed = timed([sys.executable, str(seed)])
        t_python = timed([sys.executable, "-c", "pass"])
    print("rfsym table, 200-layer numeric spec (best of 5, wall time incl. process start)")
    print(f"  rfsym table (text):       {t_rfsym:.3f} s   target < 1 s: {'OK' if t_rfsym < 1 else 'MISSED'}")
    print(f"  rfsym table --format json {t_json:.3f} s")
    print(f"  seed outFromIn loop:      {t_seed:.3f} s   (ratio rfsym/seed {t_rfsym / t_seed:.1f}x)")
    print(f"  bare python start:        {t_python:.3f} s")


if __name__ == "__main__":
    main()
