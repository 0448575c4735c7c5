"""The app's dependencies point one way: no import cycles, and pages and API query through selectors.

Imports inside functions count: a lazy import hides a cycle from Python, not from a reader.
"""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "assessments"
PACKAGE = "assessments"


def _module_name(path):
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules():
    return {_module_name(path): path for path in APP.rglob("*.py") if "migrations" not in path.parts}


def _resolve(module, node, known):
    """The app modules an import statement in `module` refers to."""
    is_package = known[module].name == "__init__.py"
    base = module.split(".") if is_package else module.split(".")[:-1]
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            prefix = ".".join(base[: len(base) - node.level + 1])
            target = f"{prefix}.{node.module}" if node.module else prefix
        else:
            target = node.module or ""
        # `from . import x` may name a submodule or an attribute of the package.
        names = [f"{target}.{alias.name}" for alias in node.names] + [target]
    found = set()
    for name in names:
        while name and name.startswith(PACKAGE):
            if name in known:
                found.add(name)
                break
            name = name.rpartition(".")[0]
    return found


def _drop_type_checking_blocks(tree):
    """Imports for annotations only never run, so they cannot form a cycle."""
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                setattr(
                    node,
                    field,
                    [
                        child
                        for child in block
                        if not (isinstance(child, ast.If) and ast.unparse(child.test) == "TYPE_CHECKING")
                    ],
                )


def _graph():
    known = _modules()
    graph = {}
    for module, path in known.items():
        tree = ast.parse(path.read_text(), str(path))
        _drop_type_checking_blocks(tree)
        edges = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges |= _resolve(module, node, known)
        # A package importing its own submodules (re-exports) is not a dependency cycle.
        graph[module] = {m for m in edges if m != module and not m.startswith(module + ".")}
    return graph


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_among_the_apps_modules():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _http_modules():
    for module, path in _modules().items():
        if module.startswith(("assessments.views", "assessments.api")):
            yield module, path


def test_views_and_api_build_no_queries_of_their_own():
    offenders = []
    for module, path in _http_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "objects":
                offenders.append(f"{module}:{node.lineno}")
    # Serializer fields name the queryset they validate against; that is declaration, not a read.
    assert [o for o in offenders if not o.startswith("assessments.api.serializers")] == []
