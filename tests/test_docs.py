"""The documentation covers the public API and the bad-input table.

Building the documentation takes minutes (its gallery runs); CI runs
``python -m sphinx -n -W --keep-going -b html docs docs/_build/html``. These
checks are the fast part: every public name is in the API reference, and the
user guide's "What skratio refuses" table lists every case of
``tests/test_bad_input.py``.
"""

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
TESTS = Path(__file__).resolve().parent

PUBLIC_MODULES = [
    "skratio",
    "skratio.metrics",
    "skratio.datasets",
    "skratio.model_selection",
    "skratio.plotting",
    "skratio.io",
    "skratio.dask",
    "skratio.deep",
]


def _documented_names():
    """Fully qualified names listed by the autosummary tables of docs/api.rst."""
    names = set()
    module = None
    in_table = False
    for line in (DOCS / "api.rst").read_text().splitlines():
        current = re.match(r"\.\. (?:currentmodule|module):: (\S+)", line)
        if current:
            module = current.group(1)
        if line.startswith(".. autosummary::"):
            in_table = True
            continue
        if in_table:
            item = re.match(r"^   (\w+)$", line)
            if item:
                names.add(f"{module}.{item.group(1)}")
            elif line and not line.startswith("   :"):
                in_table = False
    return names


def _deep_installed():
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("torch", "skorch", "zuko")
    )


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_is_in_the_api_reference(module_name):
    if module_name == "skratio.deep" and not _deep_installed():
        pytest.skip("skratio.deep needs torch, skorch and zuko")
    module = importlib.import_module(module_name)
    public = {name for name in module.__all__ if not name.startswith("_")}
    documented = _documented_names()
    missing = sorted(
        name for name in public if f"{module_name}.{name}" not in documented
    )
    assert not missing, f"not in docs/api.rst: {missing}"


def test_every_documented_name_exists():
    for qualified in _documented_names():
        module_name, _, name = qualified.rpartition(".")
        if module_name == "skratio.deep" and not _deep_installed():
            continue
        assert hasattr(importlib.import_module(module_name), name), qualified


def test_the_refusal_table_lists_every_bad_input_case():
    spec = importlib.util.spec_from_file_location(
        "bad_input_table", TESTS / "test_bad_input.py"
    )
    bad_input = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bad_input)
    guide = (DOCS / "user_guide.rst").read_text()
    section = guide.split("What skratio refuses\n--------------------\n", 1)[1]
    section = section.split("\nReferences\n", 1)[0]
    # The command line's cases have their own table, after the estimators'.
    section = section.split("\nThe ``skratio`` command\n", 1)[0]
    rows = set(re.findall(r"^   \* - (.+)$", section, flags=re.MULTILINE))
    cases = {case[0] for case in bad_input.BAD_INPUT}
    assert cases <= rows, f"missing from the guide: {sorted(cases - rows)}"
    assert rows - {"Input"} <= cases, f"not in the tests: {sorted(rows - cases)}"


ROOT = DOCS.parent


def _install_hint_files():
    """README, the docs, the gallery and the package's own messages."""
    files = [ROOT / "README.md", *sorted(DOCS.glob("*.rst"))]
    for folder in ("skratio", "examples"):
        files += sorted((ROOT / folder).rglob("*.py"))
    return [path for path in files if "_build" not in path.parts]


def _extras():
    """The optional-dependency groups of pyproject.toml."""
    text = (ROOT / "pyproject.toml").read_text()
    section = text.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^([\w-]+) = ", section, re.MULTILINE))


def test_install_hints_install_from_the_source_tree_and_name_real_extras():
    # skratio is installed from its source tree: "pip install skratio" and
    # "skratio[extra]" fetch nothing. Every hint installs with -e from the
    # source folder, and every extra it names exists.
    extras = _extras()
    assert {"deep", "plot", "io", "dask", "cli", "text"} <= extras
    named = set()
    for path in _install_hint_files():
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(ROOT)
        assert not re.search(r"pip install\s+[\"']?skratio\b", text), where
        assert not re.search(r"pip install\s+\S*skratio\[", text), where
        for group in re.findall(r"pip install -e \"?\.\[([\w,-]+)\]", text):
            named.update(group.split(","))
    assert named, "no install hint found"
    assert named <= extras, sorted(named - extras)


def test_deep_install_hints_install_the_cpu_torch_first():
    # The deep extra asks for torch; installed alone, pip fetches a CUDA build.
    # The hint installs torch's CPU build just before (a few lines up at most).
    for path in _install_hint_files():
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"pip install -e \"?\.\[[\w,-]*\bdeep\b", text):
            before = text[max(0, match.start() - 200) : match.start()]
            assert "pip install torch" in before, (path.relative_to(ROOT), before)
