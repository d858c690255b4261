"""Guards on the package's layout that review would otherwise have to catch.

Each rule is read from the source with :mod:`ast`, so a test fails on the
line that breaks it.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "skratio"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path):
    """Yield ``(line, absolute module, imported name)`` for each import."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            for alias in node.names:
                yield node.lineno, module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None


def _is_private(dotted):
    return any(part.startswith("_") and not part.startswith("__") for part in dotted)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_scikit_learn_private_api_is_imported_in_one_place(path):
    # A scikit-learn release that moves a private name then breaks _compat.py
    # alone.
    if path.name == "_compat.py":
        return
    offending = [
        f"{path.name}:{line} {module}.{name}"
        for line, module, name in _imports(path)
        if module.split(".")[0] == "sklearn"
        and _is_private(module.split(".") + ([name] if name else []))
    ]
    assert not offending, offending


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_module_imports_another_modules_private_name(path):
    offending = [
        f"{path.name}:{line} {module}.{name}"
        for line, module, name in _imports(path)
        if module.split(".")[0] == "skratio"
        and name is not None
        and name.startswith("_")
        and not name.startswith("__")
        and module != "skratio._compat"
    ]
    assert not offending, offending


@pytest.mark.parametrize(
    "path", [p for p in MODULES if p.parent.name == "deep"], ids=lambda p: p.name
)
def test_the_deep_models_import_only_leaf_helpers_from_the_core(path):
    # skratio.deep stands on its own; it shares only leaf helpers: the
    # scikit-learn shim, the parameter validators, the seed bound and seed
    # derivation, which import nothing else of skratio's but the domain labels.
    allowed = {
        "skratio._compat",
        "skratio._generators",
        "skratio._protocol",
        "skratio._validation",
        "skratio.deep",
    }
    offending = [
        f"{path.name}:{line} {module}"
        for line, module, _ in _imports(path)
        if module.split(".")[0] == "skratio"
        and not any(module == a or module.startswith(a + ".") for a in allowed)
    ]
    assert not offending, offending


SCRIPTS = sorted(
    p
    for folder in ("benchmarks", "examples")
    for p in (PACKAGE.parent / folder).glob("*.py")
)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_scripts_import_only_names_the_package_has(path):
    # Benchmarks and examples run outside the test suite: a name renamed or
    # removed in the package would only show when someone reruns them.
    tree = ast.parse(path.read_text(), filename=str(path))
    missing = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "skratio"
        ):
            module = pytest.importorskip(node.module)
            missing += [
                f"line {node.lineno}: {node.module}.{alias.name}"
                for alias in node.names
                if not hasattr(module, alias.name)
            ]
    assert not missing
