"""rfsym's import levels (docs/architecture.md), read from the source with ``ast``.

A module imports, at module level or inside a function, only from its own
level or below.  ``rfsym/__init__.py`` (the lazy public API) is exempt, and
``rfsym/_display.py`` (display mixins, like sympy's ``core/_print_helpers.py``)
may import ``rfsym.printing`` inside its methods.  A module the table does not
know fails the test too, so a new module gets a level when it is added.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "rfsym"

#: Top-level module or package under rfsym/ -> level (lowest first).
LEVELS: dict[str, int] = {
    "errors": 0,
    "_arith": 0,
    "values": 0,
    "_bisect": 0,
    "_display": 0,
    "_files": 0,
    "zoo": 0,
    "layers": 1,
    "maps": 2,
    "network": 3,
    "graph": 3,
    "closed_form": 4,
    "simplification": 4,
    "solver": 4,
    "coverage": 4,
    "printing": 5,
    "io": 5,
    "verification": 5,
    "erf": 5,
    "plot": 5,
    "commands": 6,
    "cli": 6,
    "__main__": 6,
}
LEVEL_NAMES = {
    0: "0 (errors/_arith/values/_bisect/_display/_files)",
    1: "1 (layers)",
    2: "2 (maps)",
    3: "3 (network/graph)",
    4: "4 (closed_form/simplification/solver/coverage)",
    5: "5 (printing/io/verify/plot/erf)",
    6: "6 (commands/cli)",
}
#: Names of the rfsym package itself that any level may import (data, not code).
PACKAGE_DATA = {"__version__"}


def _modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py") if p != PKG / "__init__.py")


def _dotted(path: Path) -> list[str]:
    """rfsym/io/spec.py -> ["rfsym", "io", "spec"]; a package's __init__ is the package."""
    parts = ["rfsym", *path.relative_to(PKG).with_suffix("").parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def _exists(parts: list[str]) -> bool:
    """Whether rfsym.<parts[1:]> is a module or a package of the source tree."""
    base = PKG.joinpath(*parts[1:])
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _targets(path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The rfsym modules an import statement loads, as dotted names ("rfsym" for the package itself)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name == "rfsym" or a.name.startswith("rfsym.")]
    if node.level == 0:
        if not node.module or not (node.module == "rfsym" or node.module.startswith("rfsym.")):
            return []
        base = node.module.split(".")
    else:
        here = _dotted(path)
        pkg = here if path.name == "__init__.py" else here[:-1]
        up = pkg[: len(pkg) - (node.level - 1)]
        base = up + (node.module.split(".") if node.module else [])
    out = []
    for alias in node.names:
        sub = base + [alias.name]
        if alias.name != "*" and _exists(sub):
            out.append(".".join(sub))  # `from . import layers`: the submodule
        elif base == ["rfsym"] and alias.name in PACKAGE_DATA:
            continue
        else:
            out.append(".".join(base))
    return out


def _level(dotted: str) -> int | None:
    parts = dotted.split(".")
    if parts == ["rfsym"]:
        return 6  # the public API re-exports every level
    return LEVELS.get(parts[1])


def _in_function(tree: ast.AST) -> dict[ast.AST, bool]:
    """Each import node -> whether it sits inside a function body."""
    out: dict[ast.AST, bool] = {}

    def walk(node: ast.AST, inside: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                out[child] = inside
            walk(child, inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    walk(tree, False)
    return out


def upward_edges() -> tuple[list[str], list[str]]:
    """(every upward import as 'file:line: from-level -> to-level (target)', modules without a level)."""
    edges: list[str] = []
    unknown: list[str] = []
    for path in _modules():
        rel = path.relative_to(PKG.parent).as_posix()
        src = _dotted(path)
        here = LEVELS.get(src[1]) if len(src) > 1 else None
        if here is None:
            unknown.append(rel)
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        for node, inside in _in_function(tree).items():
            for target in _targets(path, node):  # type: ignore[arg-type]
                to = _level(target)
                if to is None:
                    unknown.append(f"{rel}:{node.lineno}: imports {target}, which has no level")
                    continue
                if to <= here:
                    continue
                if src[1] == "_display" and inside and target.split(".")[:2] == ["rfsym", "printing"]:
                    continue  # display mixins print through rfsym.printing, inside their methods
                edges.append(f"{rel}:{node.lineno}: {LEVEL_NAMES[here]} -> {LEVEL_NAMES[to]} ({target})")
    return sorted(edges, key=_sort_key), unknown


def _sort_key(edge: str) -> tuple[str, int]:
    file, line, _ = edge.split(":", 2)
    return file, int(line)


def test_every_module_has_a_level():
    """A new module under rfsym/ is given a level in LEVELS (and in docs/architecture.md)."""
    _, unknown = upward_edges()
    assert not unknown, "modules or imports without a level:\n" + "\n".join(unknown)


def test_no_upward_imports():
    """No module imports (at module level or inside a function) from a level above its own."""
    edges, _ = upward_edges()
    assert not edges, f"{len(edges)} upward imports:\n" + "\n".join(edges)


def test_levels_are_documented():
    """docs/architecture.md states every level named here."""
    doc = (PKG.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name in LEVELS:
        if name.startswith("__"):
            continue
        assert f"`{name}" in doc or f"{name}/" in doc or f"{name}.py" in doc, name


# -- the checker itself, on small synthetic modules -------------------------


def _edges_of(tmp_path: Path, files: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    pkg = tmp_path / "rfsym"
    for name, text in files.items():
        p = pkg / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PKG", pkg)
    edges, unknown = upward_edges()
    return edges + unknown


def test_checker_sees_function_level_and_absolute_imports(tmp_path, monkeypatch):
    """Imports inside functions, absolute `rfsym.` imports and `from . import mod` all count."""
    files = {
        "__init__.py": "from .cli import main\n",
        "errors.py": "",
        "layers.py": "from .errors import RfsymError\n\ndef f():\n    from . import network\n",
        "network.py": "import rfsym.printing.latex\n",
        "printing/__init__.py": "",
        "printing/latex.py": "from ..layers import X\n",
        "cli.py": "",
    }
    edges = _edges_of(tmp_path, files, monkeypatch)
    assert len(edges) == 2, edges
    assert edges[0].startswith("rfsym/layers.py:4: 1 (layers) -> 3 (network/graph) (rfsym.network)")
    assert edges[1].startswith("rfsym/network.py:1: 3 (network/graph) -> 5")


def test_checker_allows_display_mixins_to_print_inside_methods(tmp_path, monkeypatch):
    """_display may import rfsym.printing inside a method, not at module level; the package root counts as the top."""
    files = {
        "_display.py": "import rfsym.printing\n\nclass M:\n    def _repr_latex_(self):\n        from .printing import latex\n",
        "printing/__init__.py": "",
        "printing/latex.py": "",
        "values.py": "from . import __version__\nfrom . import Network\n",
        "mystery.py": "",
    }
    edges = _edges_of(tmp_path, files, monkeypatch)
    assert any(e.startswith("rfsym/_display.py:1:") for e in edges), edges
    assert not any(e.startswith("rfsym/_display.py:5:") for e in edges), edges
    assert any(e.startswith("rfsym/values.py:2:") for e in edges), edges
    assert not any(e.startswith("rfsym/values.py:1:") for e in edges), edges
    assert "rfsym/mystery.py" in edges


# -- `import rfsym` stays light -----------------------------------------------

LIGHT = """
import sys
import rfsym
after_import = [m for m in ("sympy", "torch", "onnx", "matplotlib", "numpy") if m in sys.modules]
from rfsym.cli import main
import io, contextlib
with contextlib.redirect_stdout(io.StringIO()):
    assert main(["table", "alexnet"]) == 0
    assert main(["table", "vgg16", "--format", "json"]) == 0
after_table = [m for m in ("sympy", "torch", "onnx", "matplotlib", "numpy") if m in sys.modules]
print(",".join(after_import) + ";" + ",".join(after_table))
"""


def test_import_and_numeric_table_stay_light():
    """`import rfsym` and a numeric `rfsym table` import none of sympy, torch, onnx, matplotlib, numpy."""
    res = subprocess.run([sys.executable, "-c", LIGHT], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == ";"
