"""The package's shape: no import cycle, between modules or between the
packages (one per axis and per concern), so every package sits on a layer
below the ones that use it."""

import ast
import pathlib

import pytest

ZOO = pathlib.Path(__file__).resolve().parent.parent / "zoo"


def module_name(path):
    parts = path.relative_to(ZOO.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in ZOO.rglob("*.py")}


def imports(path):
    """The zoo modules `path` imports, anywhere in the file (a lazy import
    inside a function is still an import)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and (
                node.level == 0):
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [name if name in MODULES else node.module
                     for name in names]
        else:
            continue
        found.update(name for name in names if name in MODULES)
    return found


GRAPH = {name: imports(path) for name, path in MODULES.items()}


def package(name):
    """`zoo.models.vae` -> `zoo.models`; a top-level module is its own."""
    parts = name.split(".")
    return ".".join(parts[:2])


def cycles(graph):
    """The strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_modules():
    # A package's __init__ importing its own modules is how packages work;
    # a cycle is modules importing each other.
    graph = {
        name: {target for target in targets
               if not name.startswith(target + ".")}
        for name, targets in GRAPH.items()
    }
    assert cycles(graph) == []


def test_no_import_cycle_between_packages():
    """Every axis and concern is a package on its own layer: none imports
    from a package that imports it, directly or not (`zoo/__init__.py`,
    the public API, imports everything and is left out)."""
    graph = {}
    for name, targets in GRAPH.items():
        if name == "zoo":
            continue
        graph.setdefault(package(name), set()).update(
            package(target) for target in targets
            if package(target) not in (package(name), "zoo"))
    assert cycles(graph) == []


@pytest.mark.parametrize("axis", ["networks", "objectives", "priors",
                                  "likelihoods", "latents"])
def test_each_axis_is_a_package(axis):
    assert (ZOO / axis / "__init__.py").is_file()


def hand_written_number_checks(path):
    """The lines of `path` that test an int by hand, `isinstance(v, int)
    and not isinstance(v, bool)`: a `not isinstance(..., bool)` inside an
    `and`, the mark of a range check written beside `check_number`."""
    def names_bool(node):
        types = node.args[1] if len(node.args) == 2 else None
        elements = types.elts if isinstance(types, ast.Tuple) else [types]
        return any(isinstance(element, ast.Name) and element.id == "bool"
                   for element in elements)

    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And)):
            continue
        for operand in node.values:
            if (isinstance(operand, ast.UnaryOp)
                    and isinstance(operand.op, ast.Not)
                    and isinstance(operand.operand, ast.Call)
                    and getattr(operand.operand.func, "id", "") == "isinstance"
                    and names_bool(operand.operand)):
                found.append(operand.lineno)
    return found


def test_numbers_are_checked_by_the_one_rule():
    """Every number check goes through `zoo.numbers` (`check_number`, or
    `is_number` where a message words a larger value): nowhere else tests
    an int by hand."""
    assert hand_written_number_checks(ZOO / "numbers.py")  # the rule itself
    found = {str(path.relative_to(ZOO.parent)): lines
             for path in ZOO.rglob("*.py") if path.name != "numbers.py"
             for lines in [hand_written_number_checks(path)] if lines}
    assert not found, f"use zoo.numbers.is_number/check_number: {found}"
