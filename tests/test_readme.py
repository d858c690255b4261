"""Every ``python`` block of README.md runs, in order, in one namespace."""

import importlib
import re
from pathlib import Path

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


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    code_blocks = blocks("python")
    assert len(code_blocks) >= 5
    monkeypatch.chdir(tmp_path)  # blocks may write files
    namespace = {"__name__": "readme"}
    skipped = run_blocks(code_blocks, namespace)
    if "matplotlib" in namespace:
        import matplotlib.pyplot as plt

        plt.close("all")
    if skipped:
        pytest.skip(f"blocks not run for want of optional modules: {skipped}")
