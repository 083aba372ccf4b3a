"""The package's shape: imports go one way (function-level imports included), nothing private crosses modules,
and importing it does no slow work."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "vae_lab"
MODULES = {path.stem: ast.parse(path.read_text()) for path in PACKAGE.glob("*.py") if path.stem != "__init__"}


def imports(tree: ast.Module) -> list[tuple[str, list[str]]]:
    """(module, names) for every import of a sibling module, at any depth of the file."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:  # from .data import Split
                found.append((node.module, [alias.name for alias in node.names]))
            else:  # from . import arguments, data
                found.extend((alias.name, []) for alias in node.names)
    return found


def test_no_import_cycle_between_modules():
    graph = {name: {module for module, _ in imports(tree)} for name, tree in MODULES.items()}
    done, visiting = set(), []

    def visit(name):
        assert name not in visiting, f"import cycle: {' -> '.join(visiting + [name])}"
        if name not in done:
            visiting.append(name)
            for other in graph[name]:
                visit(other)
            visiting.pop()
            done.add(name)

    for name in graph:
        visit(name)
    assert "cache" not in graph["training"] and "training" in graph["cache"]  # the cache wraps train, one way


def test_no_module_imports_another_modules_private_name():
    private = [(name, module, n) for name, tree in MODULES.items() for module, names in imports(tree)
               for n in names if n.startswith("_")]
    assert private == []


def test_importing_vae_lab_leaves_matplotlib_imageio_and_torchvision_for_later():
    code = "import sys, vae_lab; print(sorted(m for m in ('matplotlib', 'imageio', 'torchvision') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
