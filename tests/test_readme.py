"""Every ``python`` block of README.md runs, in order, in one namespace."""

import contextlib
import importlib
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Extras a block may need; without them the block is skipped, not failed.
OPTIONAL = {"matplotlib", "skops", "torch", "skorch", "zuko", "pyarrow", "tqdm", "dask"}


def blocks(language):
    return [
        code for lang, code in FENCE.findall(README.read_text()) if lang == language
    ]


def missing_modules(code):
    """Optional top-level modules that ``code`` imports and that are absent."""
    names = re.findall(r"^\s*(?:from|import)\s+([\w.]+)", code, re.MULTILINE)
    roots = {name.partition(".")[0] for name in names}
    # skratio's own optional modules and what they need.
    if "skratio.io" in names:
        roots.add("skops")
    if "skratio.plotting" in names:
        roots.add("matplotlib")
    return sorted(r for r in roots & OPTIONAL if not importable(r))


def importable(name):
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def test_readme_opens_with_the_install_and_test_commands():
    first, second = blocks("bash")[:2]
    assert first.strip() == (
        'pip install torch==2.13.0 && pip install -e ".[all]" && skratio demo'
    )
    assert second.strip() == (
        'pip install torch==2.13.0 && pip install -e ".[all,test]" && python -m pytest'
    )
    # The commands come first, before any example.
    text = README.read_text()
    assert text.index(first) < text.index(second) < text.index("```python")


def run_blocks(code_blocks, namespace):
    """Run the blocks in order; return those skipped for want of a module."""
    skipped = []
    for number, code in enumerate(code_blocks, start=1):
        missing = missing_modules(code)
        if missing:
            skipped.append((number, missing))
            continue
        try:
            exec(compile(code, f"README.md python block {number}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(
                f"README.md python block {number} fails: "
                f"{type(exc).__name__}: {exc}\n{code}"
            ) from exc
    return skipped


def test_a_broken_block_fails():
    # Snippets once used names that no block defined, such as ``reference``.
    with pytest.raises(AssertionError, match="block 2 fails: NameError"):
        run_blocks(["ratio = 1", "print(ratio, reference)"], {})


def _results(namespace):
    """The numbers and arrays the blocks left behind, by name."""
    kept = {}
    for name, value in namespace.items():
        if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
            kept[name] = value
        elif isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
            kept[name] = value
    return kept


def _run_readme(folder):
    """Run every block in ``folder``; ``(namespace, skipped, warnings)``."""
    namespace = {"__name__": "readme"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with _working_directory(folder):  # blocks may write files
            skipped = run_blocks(blocks("python"), namespace)
    if "matplotlib" in namespace:
        import matplotlib.pyplot as plt

        plt.close("all")
    return namespace, skipped, caught


@contextlib.contextmanager
def _working_directory(folder):
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def test_readme_python_blocks_run_reproducibly_and_quietly(tmp_path):
    assert len(blocks("python")) >= 5
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first, skipped, caught = _run_readme(tmp_path / "first")
    # No example warns: a warning in the README is one every user reads.
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == []
    # Every example is seeded: a second run gives the same numbers.
    second, _, _ = _run_readme(tmp_path / "second")
    first, second = _results(first), _results(second)
    assert first.keys() == second.keys() and len(first) >= 10
    for name, value in first.items():
        np.testing.assert_array_equal(second[name], value, err_msg=name)
    if skipped:
        pytest.skip(f"blocks not run for want of optional modules: {skipped}")
