"""The package's shape: three layers by audience, imports going one way (function-level imports included), nothing
private crossing layers, and importing it doing no slow work.

- the core, ``vae_lab/*.py``: imports nothing of ``beyond`` or ``course``;
- ``vae_lab/beyond/``: imports only the core;
- ``vae_lab/course/``: may import anything; nothing imports it but itself and the two command modules.
"""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "vae_lab"
COMMANDS = {"series", "student_copies"}  # `python -m vae_lab.series`: three lines that call course's main


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): ast.parse(path.read_text()) for path in PACKAGE.rglob("*.py")}


def imported(name: str, tree: ast.Module) -> list[tuple[str, list[str]]]:
    """(module of vae_lab, names) for every import of ``vae_lab`` in a module, at any depth of the file."""
    package = name.split(".")[:-1] if not (PACKAGE / name.replace(".", "/") / "__init__.py").exists() else \
        name.split(".") if name else []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            module = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                whole = f"{module}.{alias.name}".strip(".")
                found.append((whole, []) if whole in MODULES else (module, [alias.name]))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("vae_lab"):
            found.append((node.module.removeprefix("vae_lab").strip("."), [a.name for a in node.names]))
    return found


def layer(module: str) -> str:
    first = module.split(".")[0]
    return first if first in ("beyond", "course") else "core"


def test_the_core_and_beyond_never_import_the_course():
    crossing = [(name, module) for name, tree in MODULES.items() if layer(name) != "course" and name not in COMMANDS
                for module, _ in imported(name, tree) if layer(module) == "course"]
    assert crossing == []


def test_the_core_never_imports_beyond_except_the_package_that_re_exports_it():
    crossing = [(name, module) for name, tree in MODULES.items() if layer(name) == "core" and name != ""
                for module, _ in imported(name, tree) if layer(module) == "beyond"]
    assert crossing == []


def test_no_import_cycle_between_modules():
    graph = {name: {module for module, _ in imported(name, tree) if module in MODULES and module != ""}
             for name, tree in MODULES.items()}
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


def test_no_layer_imports_another_layers_private_name():
    """A shared helper module may be private (``vae_lab._checks``); the names it holds are its public ones."""
    private = [(name, module, n) for name, tree in MODULES.items() for module, names in imported(name, tree)
               for n in names if n.startswith("_") and not n.startswith("__") and layer(module) != layer(name)]
    assert private == []


def test_importing_vae_lab_leaves_the_course_matplotlib_imageio_and_torchvision_for_later():
    code = ("import sys, vae_lab; print(sorted(m for m in ('matplotlib', 'imageio', 'torchvision', 'vae_lab.course') "
            "if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
