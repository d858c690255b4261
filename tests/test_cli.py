"""The ``skratio demo`` command."""

import re
import subprocess
import sys

import pytest

from skratio.cli import main


def _figures(text, label):
    """The numbers on the line that starts with ``label``."""
    line = re.search(r"^\s*" + re.escape(label) + r"[ \t]+([-\d. \t]+)$", text, re.MULTILINE)
    return [float(v) for v in line.group(1).split()]


def test_demo_reports_weights_in_the_right_direction(capsys):
    assert main(["demo", "--random-state", "1"]) == 0
    out = capsys.readouterr().out
    # share biased, share ref, true ratio, mean weight
    under = _figures(out, "digit>=5")
    over = _figures(out, "digit<5")
    assert under[0] + over[0] == pytest.approx(1.0, abs=2e-3)
    assert under[1] / under[0] == pytest.approx(under[2], rel=1e-2)
    # Under-represented group: weight above 1; over-represented: below 1.
    assert under[2] > 1 and under[3] > 1
    assert over[2] < 1 and over[3] < 1
    held_out = float(re.search(r"held-out NCE of the domain classifier: (-[\d.]+)", out).group(1))
    bound = float(re.search(r"Bayes-optimal NCE of this split:\s+(-[\d.]+)", out).group(1))
    assert -1 < held_out < 0 and -1 < bound < 0
    assert "effective sample size" in out


def test_demo_runs_as_a_command():
    result = subprocess.run(
        [sys.executable, "-m", "skratio.cli", "demo"], capture_output=True, text=True,
        check=True,
    )
    assert "Bayes-optimal NCE" in result.stdout
