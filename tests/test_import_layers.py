"""qestl's modules import one another without cycles, and the lower layers never look up.

Every import counts, those inside functions too (a function-level import hides
a cycle from Python, not from the design). Importing ``qestl.a.b`` also runs
the package ``qestl.a`` (its ``__init__``), so an import reaches the packages
above its target as well; the top-level ``qestl`` is left out of that: it is
the user's front door that re-exports the estimators, and no module inside
imports its names.
"""

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "qestl"

# Layers, bottom first (DESIGN.md): a module may import its own layer and those below.
LOWER_LAYERS = {
    # leaves: they import nothing of qestl
    "qestl._arrays": 0,
    "qestl.constants": 0,
    "qestl.targets": 0,
    "qestl.validation": 0,
    "qestl.persistence": 0,
    "qestl.kinematics": 1,
    "qestl.chi2": 1,
    "qestl.physics": 2,
    "qestl.datasets": 3,
}
#: What the lower layers may never import.
UPPER = (
    "qestl.nn",
    "qestl.training",
    "qestl.estimators",
    "qestl.metrics",
    "qestl.plotting",
    "qestl.benchmark",
    "qestl.cli",
)


def _module_name(path):
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules():
    return {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _imported(node, module, is_package, known):
    """The qestl modules an import node names (a name imported from a package that is
    a module of its own counts as that module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "qestl"]
    if node.level:  # relative: from the package of ``module``
        base = module.split(".")
        base = base[: len(base) - node.level + (1 if is_package else 0)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    if source.split(".")[0] != "qestl":
        return []
    return [
        f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source
        for alias in node.names
    ]


def _packages_above(target, importer):
    """The packages that importing ``target`` runs, other than the root and ``importer``'s own."""
    parts = target.split(".")
    own = {".".join(importer.split(".")[:i]) for i in range(1, importer.count(".") + 2)}
    return [".".join(parts[:i]) for i in range(2, len(parts)) if ".".join(parts[:i]) not in own]


def import_graph(modules=None):
    """module -> set of the qestl modules it imports (directly or through their packages)."""
    modules = modules or _modules()
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        edges = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _imported(node, name, is_package, modules):
                    edges.add(target)
                    edges.update(_packages_above(target, name))
        graph[name] = {t for t in edges if t in modules and t != name and t != "qestl"}
    return graph


def find_cycles(graph):
    """The strongly connected components of more than one module, each as one cycle through it."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_through(graph, component) for component in components]


def _cycle_through(graph, component):
    """A shortest cycle from the first module of ``component`` back to it."""
    start = min(component)
    paths, seen = [[start]], {start}
    while paths:
        path = paths.pop(0)
        for succ in sorted(graph[path[-1]] & component):
            if succ == start:
                return path + [start]
            if succ not in seen:
                seen.add(succ)
                paths.append(path + [succ])
    raise AssertionError(f"no cycle in {component}")  # a component always holds one


def _layer(module):
    for prefix, rank in LOWER_LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return rank
    return None


def test_the_graph_sees_function_level_imports_and_packages(tmp_path):
    package = tmp_path / "qestl"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from qestl.top import x\n")
    (package / "top.py").write_text("def f():\n    from qestl.sub.leaf import y\n")
    (package / "sub" / "__init__.py").write_text("from .leaf import y\n")
    (package / "sub" / "leaf.py").write_text("import qestl.other\n")
    (package / "other.py").write_text("def g():\n    from qestl import top\n")
    modules = {
        name: package.joinpath(*file)
        for name, file in {
            "qestl": ("__init__.py",),
            "qestl.top": ("top.py",),
            "qestl.sub": ("sub", "__init__.py"),
            "qestl.sub.leaf": ("sub", "leaf.py"),
            "qestl.other": ("other.py",),
        }.items()
    }
    graph = import_graph(modules)
    assert graph["qestl.top"] == {"qestl.sub.leaf", "qestl.sub"}
    assert graph["qestl.sub"] == {"qestl.sub.leaf"}  # relative, and its own package left out
    assert graph["qestl.other"] == {"qestl.top"}  # a module imported from the root
    assert find_cycles(graph) == [["qestl.other", "qestl.top", "qestl.sub.leaf", "qestl.other"]]


@cache
def _qestl_graph():
    return import_graph()


def test_no_import_cycles():
    cycles = find_cycles(_qestl_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("module", sorted(m for m in _modules() if _layer(m) is not None))
def test_lower_layers_import_only_their_own_and_lower_ones(module):
    graph = _qestl_graph()
    upward = sorted(
        target
        for target in graph[module]
        if target.startswith(UPPER)
        or (_layer(target) or 0) > _layer(module)
        or _layer(target) is None
    )
    assert not upward, f"{module} imports {upward}, above its layer"
