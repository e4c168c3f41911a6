"""Importing real models and checking them against gradients.

Run from the repository root: ``python benchmarks/models.py``.

Targets (issue 6): importing and deriving ResNet-152 under 5 s; ``verify`` on
ResNet-50 at 224 under 30 s on CPU.  The alternative timed in the same run is
what a numeric receptive-field tool does instead of rfsym's import: one
forward pass of the model with hooks on a 224x224 input (torch-scan,
pytorch-receptive-field).  The script prints the times, the ratios, and the
fraction of each target used.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import _torch_models as M  # noqa: E402

from rfsym import from_torch, verify  # noqa: E402


def best(fn, repeat: int = 3) -> float:
    """Best of ``repeat`` runs; a run over a second is not repeated (it keeps `./dev bench` under two minutes)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if times[-1] > 1:
            break
    return min(times)


def forward(model, size: int) -> None:
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, size, size))


def main() -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'model':<12} {'import+table (s)':>17} {'forward pass (s)':>17} {'ratio':>6} {'of 5 s target':>14}")
    for depth in (18, 50, 152):
        model = M.Trunk(M.resnet(depth))
        t_import = best(lambda model=model: from_torch(model, 224).table())
        t_fwd = best(lambda model=model: forward(model, 224))
        print(f"resnet{depth:<6} {t_import:>17.3f} {t_fwd:>17.3f} {t_import / t_fwd:>6.2f} {t_import / 5:>13.1%}")
    hooks = M.Trunk(M.resnet(152))
    t_hooks = best(lambda: from_torch(hooks, 224, method="hooks").table(), repeat=1)
    print(f"resnet152 via the hook recorder (fallback when fx fails): {t_hooks:.3f} s")

    print()
    print(f"{'model':<12} {'verify (s)':>11} {'fwd+bwd f32 (s)':>16} {'ratio':>6} {'of 30 s target':>15}")
    model = M.Trunk(M.resnet(50))

    def fwd_bwd() -> None:
        x = torch.ones(1, 3, 224, 224, requires_grad=True)
        model.eval()(x).sum().backward()

    t_verify = best(lambda: verify(model, 224, strict=True), repeat=1)
    t_plain = best(fwd_bwd)
    print(f"{'resnet50':<12} {t_verify:>11.2f} {t_plain:>16.3f} {t_verify / t_plain:>6.1f} {t_verify / 30:>14.1%}")
    print("(verify: a float32 copy here (float64 for deeper nets), forward once, a backward pass per checked unit)")


if __name__ == "__main__":
    main()
