"""The ``skratio`` command, driven as a user drives it.

``python -m skratio`` runs in a subprocess for ``--version``, ``weigh``,
``resample``, a bad option, an error raised by the estimators and ``--debug``.
The other cases, above all the table of bad inputs, run in-process through
``skratio.cli.main``, the function the console script calls, since each
subprocess pays seconds of imports. Every error case checks the exit status,
one line on stderr, no traceback and no output file.
"""

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import skratio
from skratio import CalibratedRatio, DensityRatioEstimator, stack_domains
from skratio.cli import main

# The subprocess imports the same skratio as the tests, and uses one thread.
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(
        [
            str(Path(skratio.__file__).resolve().parents[1]),
            os.environ.get("PYTHONPATH", ""),
        ]
    ),
    "OMP_NUM_THREADS": "1",
}
N_SOURCE, N_TARGET = 240, 80


def run_skratio(*args, cwd):
    """``python -m skratio args`` in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "skratio", *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=ENV,
        timeout=300,
    )


def write_csv(path, header, rows):
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path):
    with open(path, newline="") as stream:
        rows = list(csv.reader(stream))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Source rows N(0, I) with string ids; target rows N(0.8, I), columns reordered."""
    pytest.importorskip("pyarrow")  # the command reads every table with it
    folder = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    X_source = rng.normal(size=(N_SOURCE, 3))
    X_target = rng.normal(0.8, 1.0, size=(N_TARGET, 3))
    ids = [f"row-{i}" for i in range(N_SOURCE)]
    write_csv(
        folder / "source.csv",
        ["id", "a", "b", "c"],
        [[i, *(repr(float(v)) for v in x)] for i, x in zip(ids, X_source)],
    )
    # The target lists its columns in another order: columns match by name.
    write_csv(folder / "target.csv", ["c", "a", "b"], X_target[:, [2, 0, 1]].tolist())
    write_csv(folder / "plain.csv", ["a", "b", "c"], X_source.tolist())
    write_csv(folder / "other.csv", ["a", "b", "d"], X_target.tolist())
    write_csv(folder / "text.csv", ["a", "b", "c"], [[1, 2, 3], [4, "x", 6]])
    write_csv(folder / "missing.csv", ["a", "b", "c"], [[1, 2, 3], [4, "", 6]] * 20)
    write_csv(folder / "duplicated.csv", ["a", "a", "c"], [[1, 2, 3]])
    (folder / "empty.csv").write_text("")
    (folder / "folder.csv").mkdir()
    (folder / "header.csv").write_text("a,b,c\n")
    (folder / "ragged.csv").write_text("a,b,c\n1,2,3\n4,5\n")
    (folder / "table.txt").write_text("a,b,c\n1,2,3\n")
    (folder / "fake.parquet").write_text("a,b,c\n1,2,3\n")
    (folder / "source.parquet").write_bytes(b"PAR1")  # read needs pyarrow first
    return folder, X_source, X_target, ids


def stacked(data):
    _, X_source, X_target, _ = data
    return stack_domains(X_source, X_target)


def weights_in(path, column="weight"):
    header, rows = read_csv(path)
    return np.array([float(row[header.index(column)]) for row in rows]), header, rows


# --------------------------------------------------------------------------
# The command and its entry points


def test_version_and_python_m(tmp_path):
    result = run_skratio("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"skratio {skratio.__version__}"


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("demo", "weigh", "resample"):
        assert command in out


def test_demo_reports_weights_and_fair_generation(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    figure = tmp_path / "figures" / "demo.svg"
    figure.parent.mkdir()
    assert main(["demo", "--random-state", "1", "--plot", str(figure)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    out = captured.out

    def figures(label):
        line = re.search(
            r"^\s*" + re.escape(label) + r"[ \t]+([-\d. \t]+)$", out, re.MULTILINE
        )
        return [float(v) for v in line.group(1).split()]

    # share biased, share ref, true ratio, mean weight
    under, over = figures("digit>=5"), figures("digit<5")
    assert under[0] + over[0] == pytest.approx(1.0, abs=2e-3)
    assert under[1] / under[0] == pytest.approx(under[2], rel=1e-2)
    # Under-represented group: weight above 1; over-represented: below 1.
    assert under[2] > 1 and under[3] > 1
    assert over[2] < 1 and over[3] < 1
    held_out = float(
        re.search(r"held-out NCE of the domain classifier: (-[\d.]+)", out)[1]
    )
    bound = float(re.search(r"Bayes-optimal NCE of this split:\s+(-[\d.]+)", out)[1])
    assert -1 < held_out < 0 and -1 < bound < 0
    # Share of digits >= 5 and fairness discrepancy of each training. The
    # biased set has 10% of digits >= 5 and the reference set (a quarter of
    # its size) 50%, so equal weights give a share near
    # (0.1 + 0.25 * 0.5) / 1.25 = 0.18.
    reference = figures("reference")
    uniform, importance = figures("uniform"), figures("importance")
    # Bounds: 4 standard errors of a share over 1000 samples (0.016 at 0.5)
    # plus the attribute classifier's error on digits (a few percent).
    assert abs(reference[0] - 0.5) < 0.1
    assert abs(uniform[0] - 0.18) < 0.1
    # Weights above 1 for the rare group (checked above) raise its share.
    assert importance[0] > uniform[0]
    assert importance[1] < uniform[1]
    # With two classes the discrepancy is sqrt(2) times the difference in share.
    assert uniform[1] == pytest.approx(
        np.sqrt(2) * abs(reference[0] - uniform[0]), abs=3e-3
    )
    # The figure where --plot says, and nothing else in the current folder.
    assert figure.read_text().startswith("<?xml")
    assert f"saved the figure to {figure}" in out
    assert sorted(path.name for path in tmp_path.iterdir()) == ["figures"]


def test_demo_writes_no_figure_unless_asked(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--random-state", "2"]) == 0
    assert "Fair generation" in capsys.readouterr().out
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------
# weigh


def test_weigh_writes_out_of_fold_weights_in_source_order(data, tmp_path):
    folder, _, _, ids = data
    out = tmp_path / "weights.csv"
    result = run_skratio(
        "weigh",
        folder / "source.csv",
        folder / "target.csv",
        "-o",
        out,
        "--id-column",
        "id",
        "--cv",
        "3",
        "--power",
        "0.5",
        "--clip",
        "2",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    weights, header, rows = weights_in(out)
    assert header == ["id", "weight"]
    assert [row[0] for row in rows] == ids
    # The library's out-of-fold weights of the same rows, same folds.
    X, y = stacked(data)
    expected = DensityRatioEstimator(
        cv=3, power=0.5, clip=2.0, random_state=0
    ).fit_predict_weight(X, y)[y == 0]
    np.testing.assert_allclose(weights, expected, rtol=1e-12)
    assert weights.max() <= 2.0
    # The report: prior ratio, NCE against the prior-only classifier, ECE, ESS.
    out_text = result.stdout
    assert f"prior ratio n_source / n_target: {N_SOURCE / N_TARGET:.4g}" in out_text
    nce, prior_only = map(
        float,
        re.search(
            r"held-out NCE of the domain classifier: (-[\d.]+) "
            r"\(higher is better; (-[\d.]+)",
            out_text,
        ).groups(),
    )
    # A shift of 0.8 s.d. in each of 3 features is visible to a linear classifier.
    assert nce > prior_only
    # The ECE of the held-out probabilities c = w / (w + gamma) of the raw
    # out-of-fold weights (before --power and --clip), by hand over 10 bins
    # of width 0.1; printed to 4 decimals.
    ece = float(re.search(r"expected calibration error[^:]*: ([\d.]+)", out_text)[1])
    raw = DensityRatioEstimator(cv=3, random_state=0).fit_predict_weight(X, y)
    proba = raw / (raw + N_SOURCE / N_TARGET)
    bins = np.minimum((proba * 10).astype(int), 9)
    gaps = [
        np.sum(bins == b) * abs(np.mean(y[bins == b]) - np.mean(proba[bins == b]))
        for b in np.unique(bins)
    ]
    assert ece == pytest.approx(np.sum(gaps) / len(y), abs=5e-5)
    # ESS = (sum w)^2 / sum w^2 of the written weights; printed to 1 decimal.
    ess = float(
        re.search(
            r"effective sample size of the out-of-fold weights: ([\d.]+)", out_text
        )[1]
    )
    assert ess == pytest.approx(weights.sum() ** 2 / np.sum(weights**2), abs=0.05)
    assert f"wrote {N_SOURCE} weights" in out_text


def test_weigh_calibrated_without_id_column(data, tmp_path, capsys):
    folder = data[0]
    out = tmp_path / "weights.csv"
    assert (
        main(
            [
                "weigh",
                str(folder / "plain.csv"),
                str(folder / "target.csv"),
                "-o",
                str(out),
                "--calibrate",
                "sigmoid",
                "--cv",
                "3",
                "--random-state",
                "4",
            ]
        )
        == 0
    )
    weights, header, _ = weights_in(out)
    assert header == ["weight"]
    X, y = stacked(data)
    expected = CalibratedRatio(
        DensityRatioEstimator(cv=3, random_state=4), method="sigmoid"
    ).fit_predict_weight(X, y)[y == 0]
    np.testing.assert_allclose(weights, expected, rtol=1e-12)
    assert "calibration: sigmoid" in capsys.readouterr().out


def test_weigh_selected_columns_and_a_histogram(data, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    folder, X_source, X_target, _ = data
    out, figure = tmp_path / "weights.csv", tmp_path / "weights.png"
    assert (
        main(
            [
                "weigh",
                str(folder / "source.csv"),
                str(folder / "other.csv"),
                "-o",
                str(out),
                "--columns",
                "b",
                "a",
                "--cv",
                "2",
                "--plot",
                str(figure),
            ]
        )
        == 0
    )
    weights, _, _ = weights_in(out)
    X, y = stack_domains(X_source[:, [1, 0]], X_target[:, [1, 0]])
    expected = DensityRatioEstimator(cv=2, random_state=0).fit_predict_weight(X, y)
    np.testing.assert_allclose(weights, expected[y == 0], rtol=1e-12)
    assert figure.stat().st_size > 5_000
    assert f"saved the figure to {figure}" in capsys.readouterr().out


def test_weigh_parquet_in_and_out(data, tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    _, X_source, X_target, ids = data
    pq.write_table(
        pa.table({"id": ids, **{name: X_source[:, j] for j, name in enumerate("abc")}}),
        tmp_path / "source.parquet",
    )
    pq.write_table(
        pa.table({name: X_target[:, j] for j, name in enumerate("abc")}),
        tmp_path / "target.parquet",
    )
    assert (
        main(
            [
                "weigh",
                str(tmp_path / "source.parquet"),
                str(tmp_path / "target.parquet"),
                "-o",
                str(tmp_path / "weights.parquet"),
                "--id-column",
                "id",
            ]
        )
        == 0
    )
    table = pq.read_table(tmp_path / "weights.parquet")
    assert table.column_names == ["id", "weight"]
    assert table.column("id").to_pylist() == ids
    X, y = stacked(data)
    expected = DensityRatioEstimator(random_state=0).fit_predict_weight(X, y)[y == 0]
    np.testing.assert_allclose(table.column("weight").to_numpy(), expected, rtol=1e-12)


def test_a_pandas_index_column_is_not_a_feature(data, tmp_path, capsys):
    pd = pytest.importorskip("pandas")
    _, X_source, X_target, ids = data
    source = pd.DataFrame(X_source, columns=["a", "b", "c"], index=pd.Index(ids))
    source.to_parquet(tmp_path / "s.parquet")  # the index is a column of the file
    pd.DataFrame(X_target, columns=["a", "b", "c"]).to_parquet(tmp_path / "t.parquet")
    arguments = ["weigh", str(tmp_path / "s.parquet"), str(tmp_path / "t.parquet")]
    assert main([*arguments, "-o", str(tmp_path / "w.csv"), "--cv", "2"]) == 0
    assert "240 source rows, 80 target rows, 3 features" in capsys.readouterr().out


def test_weigh_with_the_mlp_classifier(data, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("skorch")
    folder = data[0]
    out = tmp_path / "weights.csv"
    assert (
        main(
            [
                "weigh",
                str(folder / "plain.csv"),
                str(folder / "target.csv"),
                "-o",
                str(out),
                "--classifier",
                "mlp",
                "--cv",
                "2",
            ]
        )
        == 0
    )
    weights, _, _ = weights_in(out)
    assert weights.shape == (N_SOURCE,) and np.isfinite(weights).all()
    # Target-like rows (large features) get larger weights than the others.
    _, X_source, _, _ = data
    high = X_source.sum(axis=1) > 0
    assert weights[high].mean() > weights[~high].mean()


# --------------------------------------------------------------------------
# resample


def test_resample_chooses_distinct_candidate_rows(data, tmp_path):
    folder, X_source, _, _ = data
    out = tmp_path / "chosen.csv"
    result = run_skratio(
        "resample",
        folder / "source.csv",
        folder / "target.csv",
        "-n",
        "40",
        "-k",
        "5",
        "-o",
        out,
        "--id-column",
        "id",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    header, rows = read_csv(out)
    source_header, source_rows = read_csv(folder / "source.csv")
    # Whole rows of the candidates, text unchanged, each at most once.
    assert header == source_header
    assert len(rows) == 40
    assert len({row[0] for row in rows}) == 40
    by_id = {row[0]: row for row in source_rows}
    assert all(by_id[row[0]] == row for row in rows)
    # SIR toward a target shifted by +0.8 in every feature: the chosen rows'
    # mean moves up. Each block of 5 keeps its largest-weight row most often,
    # so the mean of the 40 rows exceeds the candidates' mean (about 0) by
    # much more than its standard error (about 1 / sqrt(40) = 0.16).
    chosen = np.array([[float(v) for v in row[1:]] for row in rows])
    assert chosen.mean() > X_source.mean() + 0.3
    assert "wrote 40 rows, each chosen among 5 candidates" in result.stdout


def test_resample_default_size_and_parquet_output(data, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    folder = data[0]
    out = tmp_path / "chosen.parquet"
    assert (
        main(
            [
                "resample",
                str(folder / "plain.csv"),
                str(folder / "target.csv"),
                "-k",
                "6",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    table = pq.read_table(out)
    assert table.num_rows == N_SOURCE // 6
    assert table.column_names == ["a", "b", "c"]
    # A CSV column is text, and stays the text of the file in Parquet.
    assert str(table.schema.field("a").type) == "string"
    _, rows = read_csv(folder / "plain.csv")
    assert set(map(tuple, table.to_pandas().to_numpy().tolist())) <= set(
        map(tuple, rows)
    )


# --------------------------------------------------------------------------
# Bad input: one line on stderr, a non-zero exit, no traceback

BAD_INPUT = [
    # (arguments, exit status, part of the message); {d} is the data folder.
    (["demo", "--bias", "1.5"], 2, "--bias: expected a number > 0 and < 1; got 1.5"),
    (["demo", "--bias", "abc"], 2, "--bias: expected a number"),
    (["demo", "--reference-size", "0"], 2, "--reference-size"),
    (["demo", "--reference-size", "nan"], 2, "--reference-size"),
    (["demo", "--reference-size", "2000"], 1, "split is empty"),
    (["demo", "--random-state", "-1"], 2, "--random-state"),
    # Checked before the demo runs (it takes seconds).
    (["demo", "--plot", "no/such/d.png"], 1, "--plot no/such/d.png: the folder"),
    ([], 2, "required"),
    (["fit"], 2, "invalid choice"),
    (["weigh", "{d}/source.csv", "{d}/target.csv"], 2, "-o/--output"),
    (["weigh", "{d}/nothing.csv", "{d}/target.csv", "-o", "w.csv"], 1, "no such file"),
    (["weigh", "{d}/source.csv", "{d}/nothing.csv", "-o", "w.csv"], 1, "no such file"),
    (
        ["weigh", "{d}/table.txt", "{d}/target.csv", "-o", "w.csv"],
        1,
        "unknown file type",
    ),
    (
        ["weigh", "{d}/source.csv", "{d}/target.csv", "-o", "w.xlsx"],
        1,
        "unknown file type",
    ),
    (["weigh", "{d}/empty.csv", "{d}/target.csv", "-o", "w.csv"], 1, "is empty"),
    (["weigh", "{d}/header.csv", "{d}/target.csv", "-o", "w.csv"], 1, "no rows"),
    (
        ["weigh", "{d}/folder.csv", "{d}/target.csv", "-o", "w.csv"],
        1,
        "folder.csv is a folder, not a file (SOURCE)",
    ),
    (
        ["weigh", "{d}/ragged.csv", "{d}/target.csv", "-o", "w.csv"],
        1,
        "line 3: 2 fields",
    ),
    (["weigh", "{d}/duplicated.csv", "{d}/target.csv", "-o", "w.csv"], 1, "duplicated"),
    (
        ["weigh", "{d}/text.csv", "{d}/target.csv", "-o", "w.csv"],
        1,
        "text.csv, line 3, column 'b': 'x' is not a number",
    ),
    (
        ["weigh", "{d}/plain.csv", "{d}/other.csv", "-o", "w.csv"],
        1,
        "different columns (only in the first: ['c']; only in the second: ['d'])",
    ),
    (["weigh", "{d}/source.csv", "{d}/target.csv", "-o", "w.csv"], 1, "['id']"),
    (
        [
            "weigh",
            "{d}/plain.csv",
            "{d}/target.csv",
            "-o",
            "w.csv",
            "--columns",
            "a",
            "z",
        ],
        1,
        "no column ['z']",
    ),
    (
        [
            "weigh",
            "{d}/plain.csv",
            "{d}/target.csv",
            "-o",
            "w.csv",
            "--columns",
            "a",
            "a",
        ],
        1,
        "twice",
    ),
    (
        [
            "weigh",
            "{d}/plain.csv",
            "{d}/target.csv",
            "-o",
            "w.csv",
            "--id-column",
            "id",
        ],
        1,
        "no column 'id'",
    ),
    (
        [
            "weigh",
            "{d}/source.csv",
            "{d}/target.csv",
            "-o",
            "w.csv",
            "--id-column",
            "id",
            "--columns",
            "id",
            "a",
        ],
        1,
        "cannot be a feature",
    ),
    (
        ["weigh", "{d}/missing.csv", "{d}/target.csv", "-o", "w.csv"],
        1,
        "missing.csv, line 3, column 'b': empty cell",
    ),
    (
        ["weigh", "{d}/plain.csv", "{d}/target.csv", "-o", "w.csv", "--cv", "1"],
        2,
        "--cv",
    ),
    (
        ["weigh", "{d}/plain.csv", "{d}/target.csv", "-o", "w.csv", "--cv", "500"],
        1,
        (
            "--cv 500 needs at least 500 rows in each file (every fold holds rows "
            f"of both); {{d}}/target.csv has {N_TARGET}"
        ),
    ),
    (
        ["weigh", "{d}/plain.csv", "{d}/target.csv", "-o", "w.csv", "--power", "1.5"],
        2,
        "--power: expected a number >= 0 and <= 1",
    ),
    (
        ["weigh", "{d}/plain.csv", "{d}/target.csv", "-o", "w.csv", "--clip", "0"],
        2,
        "--clip: expected a number > 0",
    ),
    (
        ["weigh", "{d}/plain.csv", "{d}/target.csv", "-o", "w.csv", "--clip", "inf"],
        2,
        "--clip",
    ),
    (
        [
            "weigh",
            "{d}/plain.csv",
            "{d}/target.csv",
            "-o",
            "w.csv",
            "--classifier",
            "svm",
        ],
        2,
        "invalid choice",
    ),
    (
        [
            "weigh",
            "{d}/plain.csv",
            "{d}/target.csv",
            "-o",
            "w.csv",
            "--calibrate",
            "platt",
        ],
        2,
        "invalid choice",
    ),
    (
        ["weigh", "{d}/plain.csv", "{d}/target.csv", "-o", "{d}/no/such/folder/w.csv"],
        1,
        "the folder {d}/no/such/folder does not exist",
    ),
    (
        ["resample", "{d}/plain.csv", "{d}/target.csv", "-o", "r.csv", "-n", "0"],
        2,
        "-n",
    ),
    (
        ["resample", "{d}/plain.csv", "{d}/target.csv", "-o", "r.csv", "-k", "0"],
        2,
        "-k",
    ),
    (
        [
            "resample",
            "{d}/plain.csv",
            "{d}/target.csv",
            "-o",
            "r.csv",
            "-n",
            "100",
            "-k",
            "10",
        ],
        1,
        "need 1000 distinct candidates",
    ),
    (
        ["resample", "{d}/plain.csv", "{d}/target.csv", "-o", "r.csv", "-k", "500"],
        1,
        "lower -n or -k",
    ),
    (
        ["resample", "{d}/plain.csv", "{d}/other.csv", "-o", "r.csv"],
        1,
        "different columns",
    ),
]
BAD_PARQUET = [
    (
        ["weigh", "{d}/fake.parquet", "{d}/target.csv", "-o", "w.csv"],
        1,
        "cannot read it as Parquet",
    ),
]


def _arguments(arguments, folder):
    return [a.format(d=folder) for a in arguments]


def _check_one_line(stderr, status, expected_status, message):
    assert status == expected_status
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("skratio")
    assert "error: " in lines[0]
    assert message in lines[0]
    assert "Traceback" not in stderr


@pytest.mark.parametrize("arguments, status, message", BAD_INPUT + BAD_PARQUET)
def test_bad_input_gives_one_line(
    data, tmp_path, monkeypatch, capsys, arguments, status, message
):
    if arguments in [case[0] for case in BAD_PARQUET]:
        pytest.importorskip("pyarrow")
    monkeypatch.chdir(tmp_path)
    try:
        code = main(_arguments(arguments, data[0]))
    except SystemExit as exit_:  # argparse's errors
        code = exit_.code
    captured = capsys.readouterr()
    _check_one_line(captured.err, code, status, message.format(d=data[0]))
    assert captured.out == ""
    assert not list(tmp_path.iterdir())  # no output written


# One case of every kind of error, as a user meets it.
SUBPROCESS_CASES = [
    BAD_INPUT[0],
    next(case for case in BAD_INPUT if "{d}/missing.csv" in case[0]),
]


@pytest.mark.parametrize("arguments, status, message", SUBPROCESS_CASES)
def test_bad_input_gives_one_line_in_a_subprocess(
    data, tmp_path, arguments, status, message
):
    result = run_skratio(*_arguments(arguments, data[0]), cwd=tmp_path)
    _check_one_line(result.stderr, result.returncode, status, message.format(d=data[0]))


def test_debug_shows_the_traceback(data, tmp_path):
    result = run_skratio(
        "weigh",
        data[0] / "missing.csv",
        data[0] / "target.csv",
        "-o",
        "w.csv",
        "--debug",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "empty cell" in result.stderr


@pytest.mark.parametrize(
    "hidden, arguments, message",
    [
        ("skratio.deep", ["--classifier", "mlp"], 'pip install -e ".[deep]"'),
        ("matplotlib", ["--plot", "w.png"], 'pip install -e ".[plot]"'),
        ("pyarrow", ["-o", "w.parquet"], 'pip install -e ".[cli]"'),
        ("pyarrow", ["-o", "w.csv"], 'pip install -e ".[cli]"'),
    ],
)
def test_a_missing_optional_dependency_is_named(
    data, tmp_path, monkeypatch, capsys, hidden, arguments, message
):
    # A module set to None in sys.modules fails to import, as if not installed.
    monkeypatch.setitem(sys.modules, hidden, None)
    monkeypatch.chdir(tmp_path)
    folder = data[0]
    output = [] if "-o" in arguments else ["-o", "w.csv"]
    code = main(
        [
            "weigh",
            str(folder / "plain.csv"),
            str(folder / "target.csv"),
            *output,
            *arguments,
        ]
    )
    captured = capsys.readouterr()
    _check_one_line(captured.err, code, 1, message)
    assert not list(tmp_path.iterdir())


class Terminal:
    """A stderr that says it is a terminal, so that the progress bar shows."""

    def __init__(self):
        self.text = []

    def write(self, text):
        self.text.append(text)

    def flush(self):
        pass

    def isatty(self):
        return True


def test_progress_bar_on_a_terminal(data, tmp_path, monkeypatch):
    pytest.importorskip("tqdm")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    folder = data[0]
    assert (
        main(
            [
                "resample",
                str(folder / "plain.csv"),
                str(folder / "target.csv"),
                "-k",
                "4",
                "-o",
                str(tmp_path / "chosen.csv"),
            ]
        )
        == 0
    )
    shown = "".join(terminal.text)
    assert "skratio resample" in shown
    assert "/4 [" in shown and "reading" in shown  # four steps, each named
    assert shown.endswith("\r")  # and the bar is cleared when done


# --------------------------------------------------------------------------
# Outputs checked before any work


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--plot", "no/such/folder/w.png"], "--plot no/such/folder/w.png: the folder"),
        (["--plot", "w.txt"], "--plot w.txt: unknown figure type 'txt'"),
        (["--plot", "w.csv"], "unknown figure type 'csv'"),
        (["--plot", "./out/../w.png", "-o", "w.png"], "unknown file type '.png'"),
    ],
)
def test_every_output_is_checked_before_any_work(
    data, tmp_path, monkeypatch, capsys, extra, message
):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    output = [] if "-o" in extra else ["-o", "w.csv"]
    folder = data[0]
    code = main(
        [
            "weigh",
            str(folder / "plain.csv"),
            str(folder / "target.csv"),
            *output,
            *extra,
        ]
    )
    captured = capsys.readouterr()
    _check_one_line(captured.err, code, 1, message)
    # No weights were computed: nothing printed, nothing written.
    assert captured.out == ""
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]


def test_weights_and_figure_cannot_be_the_same_file(data, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    folder = data[0]
    (tmp_path / "w.csv").write_text("previous\n")
    (tmp_path / "figure.png").symlink_to(tmp_path / "w.csv")
    code = main(
        [
            "weigh",
            str(folder / "plain.csv"),
            str(folder / "target.csv"),
            "-o",
            str(tmp_path / "w.csv"),
            "--plot",
            str(tmp_path / "figure.png"),
        ]
    )
    captured = capsys.readouterr()
    _check_one_line(captured.err, code, 1, "are the same file")
    assert captured.out == ""
    assert (tmp_path / "w.csv").read_text() == "previous\n"


def test_an_unwritable_folder_is_refused_before_any_work(data, tmp_path, capsys):
    folder = data[0]
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("the tests run as a user who can write anywhere (root)")
        code = main(
            [
                "weigh",
                str(folder / "plain.csv"),
                str(folder / "target.csv"),
                "-o",
                str(locked / "w.csv"),
            ]
        )
    finally:
        locked.chmod(0o700)
    captured = capsys.readouterr()
    _check_one_line(captured.err, code, 1, "cannot write in the folder")
    assert captured.out == ""


def test_weigh_replaces_an_output_with_its_permissions(data, tmp_path, capsys):
    folder = data[0]
    out = tmp_path / "w.csv"
    out.write_text("old\n")
    out.chmod(0o640)
    arguments = ["weigh", str(folder / "plain.csv"), str(folder / "target.csv")]
    assert main([*arguments, "-o", str(out), "--cv", "2"]) == 0
    assert (out.stat().st_mode & 0o777) == 0o640
    assert read_csv(out)[0] == ["weight"]
    # Through a link, the file linked to is replaced and the link stays.
    link = tmp_path / "link.csv"
    link.symlink_to(out)
    out.write_text("old\n")
    assert main([*arguments, "-o", str(link), "--cv", "2"]) == 0
    assert link.is_symlink() and read_csv(out)[0] == ["weight"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["link.csv", "w.csv"]


# --------------------------------------------------------------------------
# Reports, warnings and --strict


def test_resample_reports_the_out_of_fold_ess_that_weigh_reports(data, tmp_path):
    folder, X_source, X_target, _ = data
    files = [folder / "plain.csv", folder / "target.csv"]
    weighed = run_skratio("weigh", *files, "-o", tmp_path / "w.csv", cwd=tmp_path)
    resampled = run_skratio(
        "resample", *files, "-o", tmp_path / "r.csv", "-k", "3", cwd=tmp_path
    )
    assert weighed.returncode == 0 and resampled.returncode == 0, resampled.stderr
    X, y = stack_domains(X_source, X_target)
    out_of_fold = DensityRatioEstimator(random_state=0).fit_predict_weight(X, y)[y == 0]
    # ESS by its definition, (sum w)^2 / sum w^2.
    expected = out_of_fold.sum() ** 2 / np.sum(out_of_fold**2)
    ess_weigh = float(
        re.search(
            r"effective sample size of the out-of-fold weights: ([\d.]+)",
            weighed.stdout,
        )[1]
    )
    ess_resample = float(
        re.search(
            r"effective sample size of the candidates' out-of-fold weights "
            r"\(the weights SIR used\): ([\d.]+)",
            resampled.stdout,
        )[1]
    )
    assert ess_weigh == ess_resample == pytest.approx(expected, abs=0.06)


@pytest.fixture(scope="module")
def far_apart(tmp_path_factory):
    """Source N(0, 1) and target N(4, 1), one feature: the weights collapse."""
    pytest.importorskip("pyarrow")
    folder = tmp_path_factory.mktemp("far")
    rng = np.random.default_rng(0)
    write_csv(folder / "s.csv", ["a"], [[v] for v in rng.normal(size=200).tolist()])
    write_csv(folder / "t.csv", ["a"], [[v] for v in rng.normal(4, 1, 40).tolist()])
    return folder


def test_a_collapse_is_one_warning_line_on_stderr(far_apart, tmp_path):
    result = run_skratio(
        "weigh", far_apart / "s.csv", far_apart / "t.csv", "-o", "w.csv", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    collapse = [line for line in lines if "the weights collapse" in line]
    assert collapse == [
        line for line in lines if line.startswith("skratio weigh: warning: the weights")
    ]
    assert len(collapse) == 1
    assert "try --calibrate sigmoid, --power A or --clip C" in collapse[0]
    # Every line on stderr is one short warning, none repeated.
    assert all(line.startswith("skratio weigh: warning: ") for line in lines)
    assert len(set(lines)) == len(lines) and max(map(len, lines)) < 400
    assert "the weights collapse" not in result.stdout
    assert "wrote 200 weights" in result.stdout


def test_strict_makes_a_collapse_an_error_and_writes_nothing(far_apart, data, tmp_path):
    out = tmp_path / "w.csv"
    out.write_text("previous\n")
    result = run_skratio(
        "weigh",
        far_apart / "s.csv",
        far_apart / "t.csv",
        "-o",
        out,
        "--strict",
        cwd=tmp_path,
    )
    _check_one_line(result.stderr, result.returncode, 1, "--strict: ")
    assert out.read_text() == "previous\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["w.csv"]
    # Weights that do not collapse pass --strict.
    folder = data[0]
    assert (
        main(
            [
                "weigh",
                str(folder / "plain.csv"),
                str(folder / "target.csv"),
                "-o",
                str(out),
                "--strict",
            ]
        )
        == 0
    )
    assert read_csv(out)[0] == ["weight"]


class _Overlap(DensityRatioEstimator):
    """Warns three times that the samples barely overlap, and records why."""

    def fit_predict_weight(self, X, y, sample_weight=None, cv=None):
        import warnings

        from skratio import PoorOverlapWarning

        weights = super().fit_predict_weight(X, y, sample_weight=sample_weight, cv=cv)
        for _ in range(3):
            warnings.warn(
                "The samples barely overlap: held-out AUC 0.990. Remedies: "
                "telescoping, another classifier.",
                PoorOverlapWarning,
                stacklevel=2,
            )
        self.overlap_ = {"auc": 0.99, "mean_source_weight": 0.25, "ess_fraction": 0.5}
        return weights


@pytest.mark.parametrize("command", ["weigh", "resample"])
def test_overlap_diagnostics_are_reported_and_warned_once(
    data, tmp_path, monkeypatch, capsys, command
):
    monkeypatch.setattr(
        "skratio._cli_commands._ratio_estimator",
        lambda args: _Overlap(cv=args.cv, random_state=args.random_state),
    )
    folder = data[0]
    arguments = [command, str(folder / "plain.csv"), str(folder / "target.csv")]
    assert main([*arguments, "-o", str(tmp_path / "out.csv")]) == 0
    captured = capsys.readouterr()
    assert (
        "overlap (held out): domain AUC 0.990 (0.5: the samples look alike, 1: they "
        "do not overlap), mean source weight 0.250 (1 for a correct ratio), ESS 50.0%"
    ) in captured.out
    assert captured.err.splitlines() == [
        (
            f"skratio {command}: warning: The samples barely overlap: held-out AUC "
            "0.990; try fewer --columns, another --classifier or more target rows"
        )
    ]
    code = main([*arguments, "-o", str(tmp_path / "strict.csv"), "--strict"])
    captured = capsys.readouterr()
    _check_one_line(
        captured.err,
        code,
        1,
        "--strict: The samples barely overlap: held-out AUC 0.990",
    )
    assert not (tmp_path / "strict.csv").exists()


def test_an_unexpected_error_is_one_line_naming_its_type(
    data, tmp_path, monkeypatch, capsys
):
    def broken(args):
        raise RuntimeError("something\nbroke")

    monkeypatch.setattr("skratio._cli_commands._ratio_estimator", broken)
    folder = data[0]
    arguments = ["weigh", str(folder / "plain.csv"), str(folder / "target.csv")]
    code = main([*arguments, "-o", str(tmp_path / "w.csv")])
    _check_one_line(
        capsys.readouterr().err, code, 1, "RuntimeError: something broke (unexpected"
    )
    code = main([*arguments, "-o", str(tmp_path / "w.csv"), "--debug"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" in err and "RuntimeError" in err
    assert not list(tmp_path.iterdir())
