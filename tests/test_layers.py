"""The package layout: one namespace, layers that import downwards only, no import loops.

Walks the source folders with `ast` (nothing is imported), maps every file to the module name it
has once installed (pyproject's package-dir), and checks each `import` against the layer rules.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGE_DIRS: dict[str, str] = PYPROJECT["tool"]["setuptools"]["package-dir"]
OURS = ("animecam", "engine", "videofilter", "training", "gui")  # the folder names, importable by mistake

# Which layers each layer may import (itself included). `animecam` is the package root: its
# dispatcher finds the commands through entry points and imports no layer by name.
ALLOWED: dict[str, set[str]] = {
    "core": {"core"},
    "engine": {"core", "engine"},
    "videofilter": {"core", "engine", "videofilter"},
    "training": {"core", "engine", "videofilter", "training"},
    "gui": {"core", "engine", "videofilter", "gui"},
    "animecam": {"core", "animecam"},
}


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else "animecam"


def source_modules() -> dict[str, Path]:
    """Installed module name -> file, for every .py file the wheel ships."""
    modules: dict[str, Path] = {}
    for package, folder in PACKAGE_DIRS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in relative.parts if p != "__init__"]
            if package == "animecam" and parts and parts[0] in ("engine", "videofilter", "training", "gui"):
                continue  # mapped from their own folders
            modules[".".join([package, *parts])] = path
    return modules


MODULES = source_modules()


def imports_of(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from pkg import submodule` depends on the submodule itself.
            names = [f"{base}.{alias.name}" for alias in node.names]
            subs = [name for name in names if name in MODULES]
            found += [(node.lineno, name) for name in subs] or [(node.lineno, base)]
    return found


def our_target(name: str) -> str | None:
    """The module of ours that an import names (its longest known prefix), or None for third party."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in MODULES:
            return candidate
    return None


def test_every_module_is_found() -> None:
    assert {"animecam.cli", "animecam.core.errors", "animecam.engine.styles",
            "animecam.videofilter.pipeline", "animecam.training.trainer", "animecam.gui.app"} <= set(MODULES)


def test_imports_go_down_a_layer_only() -> None:
    problems = []
    for module, path in MODULES.items():
        here = layer_of(module)
        for line, name in imports_of(module, path):
            where = f"{path.relative_to(ROOT)}:{line} imports {name}"
            if name.split(".")[0] in OURS[1:]:
                problems.append(f"{where}: import it as animecam.{name}")
                continue
            target = our_target(name)
            if target is not None and layer_of(target) not in ALLOWED[here]:
                problems.append(f"{where}: {here} may import only {sorted(ALLOWED[here])}")
    assert not problems, "\n".join(problems)


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph[node]:
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return cycles


def test_no_import_loops() -> None:
    graph = {
        module: {t for _, name in imports_of(module, path) if (t := our_target(name)) and t != module}
        for module, path in MODULES.items()
    }
    assert not find_cycles(graph), find_cycles(graph)


def test_cycle_finder_finds_a_loop() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]


def test_every_package_folder_is_listed_for_the_wheel() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    packages = {module for module, path in MODULES.items() if path.name == "__init__.py"}
    assert packages == listed, f"add to pyproject's packages: {sorted(packages - listed)}"


def test_help_imports_no_torch_and_no_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "animecam", "--help"],
        capture_output=True, text=True, timeout=120, check=True,
    )
    rows = [line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line]
    imported = {row.split(".")[0] for row in rows}
    assert "argparse" in imported  # the parse of importtime's output works
    heavy = imported & {"torch", "PyQt6", "cv2", "onnxruntime"}
    assert not heavy, f"animecam --help imported {sorted(heavy)}"
    assert "COMMAND" in result.stdout


@pytest.mark.parametrize("forbidden", ["import engine.styles", "from videofilter import pipeline"])
def test_layer_check_rejects_bare_folder_imports(tmp_path: Path, forbidden: str) -> None:
    path = tmp_path / "mod.py"
    path.write_text(forbidden + "\n", encoding="utf-8")
    names = [name for _, name in imports_of("animecam.gui.mod", path)]
    assert names[0].split(".")[0] in OURS[1:]
