"""The bad-input matrix: every case is a clear error or a finite, documented result.

One table drives the ratio estimators through the inputs users get wrong; the
same table is in the user guide (docs/user_guide.rst, "What skratio refuses").
"""

import inspect
import warnings

import numpy as np
import pytest
from scipy import sparse, stats
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skratio import (
    CalibratedRatio,
    DensityRatioEstimator,
    TelescopingRatio,
    WeightedGenerativeTrainer,
    stack_domains,
)
from skratio.datasets import make_gaussian_shift
from skratio.metrics import expected_calibration_error, negative_cross_entropy


def _data(n_source=300, n_target=200, n_features=3, seed=0):
    X, y, _ = make_gaussian_shift(
        n_source=n_source, n_target=n_target, n_features=n_features, random_state=seed
    )
    return X, y


def _with(X, value, row=0, column=0):
    X = X.copy()
    X[row, column] = value
    return X


class _Sampler:
    """A pipeline step that resamples rows, as imbalanced-learn's samplers do."""

    def fit_resample(self, X, y):
        return X, y

    def fit(self, X, y=None):
        return self

    def get_params(self, deep=True):
        return {}


X, y = _data()
STRINGS = np.where(y == 1, "reference", "synthetic")

# (case, estimator, fit arguments, expected) where expected is an exception
# (type, message pattern) or "finite": fit_predict_weight returns positive,
# finite weights.
BAD_INPUT = [
    ("nan in X", DensityRatioEstimator(), (_with(X, np.nan), y), (ValueError, "NaN")),
    (
        "inf in X",
        DensityRatioEstimator(),
        (_with(X, np.inf), y),
        (ValueError, "infinity"),
    ),
    ("empty X", DensityRatioEstimator(), (X[:0], y[:0]), (ValueError, "0 sample")),
    (
        "one domain",
        DensityRatioEstimator(),
        (X, np.zeros_like(y)),
        (ValueError, "two domains"),
    ),
    ("one row", DensityRatioEstimator(), (X[:1], y[:1]), (ValueError, "two domains")),
    (
        "three domains",
        DensityRatioEstimator(),
        (X, np.arange(len(y)) % 3),
        (ValueError, "exactly two domains"),
    ),
    (
        "string labels without target_label",
        DensityRatioEstimator(),
        (X, STRINGS),
        (ValueError, r"\['reference', 'synthetic'\].*target_label="),
    ),
    (
        "labels {1, 2} without target_label",
        CalibratedRatio(),
        (X, y + 1),
        (ValueError, r"\[1, 2\].*target_label="),
    ),
    (
        "target_label not among the labels",
        DensityRatioEstimator(target_label="real"),
        (X, STRINGS),
        (ValueError, "target_label='real' is not one of"),
    ),
    (
        "string column in X",
        DensityRatioEstimator(),
        (np.column_stack([X, np.full(len(y), "a")]).astype(object), y),
        (ValueError, "column 0 of X holds text"),
    ),
    (
        "resampling pipeline",
        DensityRatioEstimator(make_pipeline(_Sampler(), LogisticRegression())),
        (X, y),
        (ValueError, "resamples rows"),
    ),
    (
        "negative sample weight",
        DensityRatioEstimator(),
        (X, y, np.where(y == 0, -1.0, 1.0)),
        (ValueError, "[Nn]egative"),
    ),
    (
        "zero weights for a domain",
        DensityRatioEstimator(),
        (X, y, (y == 1).astype(float)),
        (ValueError, "positive total sample weight"),
    ),
    (
        "nan sample weight",
        DensityRatioEstimator(),
        (X, y, np.where(np.arange(len(y)) == 3, np.nan, 1.0)),
        (ValueError, "NaN"),
    ),
    (
        "class_weight balanced",
        DensityRatioEstimator(LogisticRegression(class_weight="balanced")),
        (X, y),
        "finite",
    ),
    (
        "separable domains",
        DensityRatioEstimator(LogisticRegression(C=1e6)),
        (np.where(y[:, None] == 1, X + 100.0, X), y),
        "finite",
    ),
    (
        "extreme prior ratio",
        DensityRatioEstimator(),
        _data(n_source=20000, n_target=20, seed=1),
        "finite",
    ),
    ("float32 X", DensityRatioEstimator(), (X.astype(np.float32), y), "finite"),
    ("integer X", DensityRatioEstimator(), (np.round(X * 10).astype(int), y), "finite"),
    ("boolean X", DensityRatioEstimator(), (X > 0, y), "finite"),
    ("sparse X", DensityRatioEstimator(), (sparse.csr_matrix(X), y), "finite"),
    ("boolean labels", CalibratedRatio(), (X, y == 1), "finite"),
    ("labels -1/1", DensityRatioEstimator(), (X, 2 * y - 1), "finite"),
    (
        "labels mixing numbers and strings",
        DensityRatioEstimator(),
        (X, np.array([0 if label == 0 else "1" for label in y], dtype=object)),
        (ValueError, "mix strings and other values"),
    ),
    (
        "class_weight keyed by string labels",
        DensityRatioEstimator(
            LogisticRegression(class_weight={"bias": 1, "ref": 10}),
            target_label="ref",
        ),
        (X, np.where(y == 1, "ref", "bias")),
        (ValueError, r"use class_weight=\{0: 1, 1: 10\}"),
    ),
    (
        "TelescopingRatio on values beyond 1e76",
        TelescopingRatio(),
        (X * 1e300, y),
        (ValueError, "squares the features"),
    ),
    (
        "a boolean for an integer parameter",
        DensityRatioEstimator(n_jobs=True),
        (X, y),
        (ValueError, r"'n_jobs' parameter .*not a bool"),
    ),
]


@pytest.mark.filterwarnings(
    "ignore::skratio.PoorOverlapWarning", "ignore::skratio.WeightCollapseWarning"
)
@pytest.mark.parametrize(
    "estimator, arguments, expected",
    [case[1:] for case in BAD_INPUT],
    ids=[case[0] for case in BAD_INPUT],
)
def test_bad_input_is_a_clear_error_or_a_finite_result(estimator, arguments, expected):
    if expected == "finite":
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # no overflow or 0/0
            weights = estimator.fit_predict_weight(*arguments)
        assert weights.shape == (arguments[0].shape[0],)
        assert np.isfinite(weights).all() and (weights > 0).all()
        assert np.isfinite(estimator.predict_log_weight(arguments[0])).all()
    else:
        error, pattern = expected
        with pytest.raises(error, match=pattern):
            estimator.fit_predict_weight(*arguments)


def test_extreme_prior_ratio_is_estimated_from_the_counts():
    X, y = _data(n_source=20000, n_target=20, seed=1)
    ratio = DensityRatioEstimator().fit(X, y)
    assert ratio.prior_ratio_ == pytest.approx(1000.0)


@pytest.mark.filterwarnings("ignore:X does not have valid feature names:UserWarning")
@pytest.mark.parametrize(
    "estimator",
    [
        DensityRatioEstimator(),
        CalibratedRatio(DensityRatioEstimator(LogisticRegression()), cv=3),
    ],
    ids=["ratio", "calibrated"],
)
def test_wrong_width_and_renamed_columns_at_predict(estimator):
    pd = pytest.importorskip("pandas")
    X, y = _data()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    estimator.fit(frame, y)
    with pytest.raises(ValueError, match="3 features"):
        estimator.predict_weight(X[:, :2])
    with pytest.raises(ValueError, match="feature names"):
        estimator.predict_weight(frame.rename(columns={"a": "z"}))


@pytest.mark.parametrize("n_source, n_target", [(4000, 400), (400, 4000)])
@pytest.mark.parametrize(
    "class_weight", ["balanced", {0: 1.0, 1: 10.0}], ids=["balanced", "dict"]
)
def test_class_weight_leaves_the_weights_unchanged(n_source, n_target, class_weight):
    # A class-weighted logistic regression is a consistent estimator of the same
    # log-odds shifted by log(cw_1 / cw_0); its slopes differ from the unweighted
    # fit by sampling noise of order 1/sqrt(n). The prior correction removes the
    # shift, so the log-weights agree up to that noise. Without the correction
    # they would differ by log(cw_1 n_1 / (cw_0 n_0)): log 10 or more here.
    X, y, _ = make_gaussian_shift(n_source, n_target, n_features=2, random_state=4)
    plain = DensityRatioEstimator(LogisticRegression()).fit(X, y)
    weighted = DensityRatioEstimator(LogisticRegression(class_weight=class_weight))
    weighted.fit(X, y)
    difference = weighted.predict_log_weight(X) - plain.predict_log_weight(X)
    assert abs(np.mean(difference)) < 0.1
    in_pipeline = DensityRatioEstimator(
        make_pipeline(StandardScaler(), LogisticRegression(class_weight=class_weight))
    ).fit(X, y)
    difference = in_pipeline.predict_log_weight(X) - plain.predict_log_weight(X)
    assert abs(np.mean(difference)) < 0.1


def test_class_weight_under_calibration_is_undone_by_the_calibrators():
    # CalibratedClassifierCV fits its calibrators to the true label
    # frequencies, so the class weights leave its probabilities (and the
    # weights) unchanged: no extra correction may be applied.
    X, y, _ = make_gaussian_shift(4000, 400, n_features=2, random_state=5)
    plain = DensityRatioEstimator(LogisticRegression()).fit(X, y)
    for ratio in [
        CalibratedRatio(
            DensityRatioEstimator(LogisticRegression(class_weight="balanced")), cv=3
        ),
        DensityRatioEstimator(
            CalibratedClassifierCV(LogisticRegression(class_weight="balanced"), cv=3)
        ),
    ]:
        ratio.fit(X, y)
        difference = ratio.predict_log_weight(X) - plain.predict_log_weight(X)
        assert abs(np.mean(difference)) < 0.1


def test_sample_weight_as_list_or_series_is_not_modified():
    pd = pytest.importorskip("pandas")
    X, y = _data()
    weights = np.linspace(0.5, 2.0, len(y))
    # Seeded: fit calibrates on shuffled folds.
    reference = DensityRatioEstimator(random_state=0)
    reference.fit(X, y, sample_weight=weights)
    for given in (weights.tolist(), pd.Series(weights)):
        before = np.array(given, copy=True)
        ratio = DensityRatioEstimator(random_state=0)
        ratio.fit(X.tolist(), y.tolist(), sample_weight=given)
        np.testing.assert_array_equal(np.asarray(given), before)
        np.testing.assert_allclose(ratio.predict_weight(X), reference.predict_weight(X))
    with pytest.raises(ValueError, match="sample_weight"):
        DensityRatioEstimator().fit(X, y, sample_weight=weights[:-1])


def test_one_feature():
    X, y, log_ratio = make_gaussian_shift(300, 200, n_features=1, random_state=0)
    ratio = DensityRatioEstimator(random_state=0)
    assert np.isfinite(ratio.fit_predict_weight(X, y)).all()
    # The true log-ratio x - 1/2 is increasing in x, and so is the fitted one
    # (a calibrated logistic model of one feature, monotone in x) if its
    # slope has the right sign: the ranks then agree exactly.
    log_weights = ratio.fit(X, y).predict_log_weight(X)
    assert stats.spearmanr(log_weights, log_ratio).statistic == pytest.approx(1.0)


def test_metrics_follow_the_same_label_rule():
    proba = np.array([0.2, 0.7, 0.6])
    by_int = negative_cross_entropy([0, 1, 1], proba)
    assert negative_cross_entropy([-1, 1, 1], proba) == by_int
    assert negative_cross_entropy([False, True, True], proba) == by_int
    strings = ["synthetic", "reference", "reference"]
    assert negative_cross_entropy(strings, proba, target_label="reference") == by_int
    with pytest.raises(ValueError, match="target_label"):
        negative_cross_entropy(strings, proba)
    with pytest.raises(ValueError, match="target_label"):
        expected_calibration_error([1, 2, 2], proba)
    assert expected_calibration_error(
        [1, 2, 2], proba, target_label=2
    ) == expected_calibration_error([0, 1, 1], proba)


def test_trainer_follows_the_same_label_rule():
    from sklearn.neighbors import KernelDensity

    X, y = _data()
    with pytest.raises(ValueError, match="target_label"):
        WeightedGenerativeTrainer(KernelDensity()).fit(X, STRINGS)
    by_int = WeightedGenerativeTrainer(KernelDensity(), random_state=0).fit(X, y)
    by_str = WeightedGenerativeTrainer(
        KernelDensity(), random_state=0, target_label="reference"
    ).fit(X, STRINGS)
    np.testing.assert_allclose(by_str.weights_, by_int.weights_)


# ---------------------------------------------------------------- data frames
def test_stack_domains_keeps_pandas_frames():
    pd = pytest.importorskip("pandas")
    source = pd.DataFrame({"age": [30, 40], "city": ["a", "b"], "x": [0.5, 1.5]})
    target = pd.DataFrame({"age": [50], "city": ["c"], "x": [2.5]})
    X, y = stack_domains(source, target)
    assert isinstance(X, pd.DataFrame)
    assert list(X.columns) == ["age", "city", "x"]
    assert X["age"].dtype == source["age"].dtype and X["x"].dtype == np.float64
    # The samples are interleaved in proportion, each in its own order.
    assert X["city"].tolist() == ["a", "c", "b"] and X.index.tolist() == [0, 1, 2]
    assert y.tolist() == [0, 1, 0]
    with pytest.raises(ValueError, match="same columns in the same order"):
        stack_domains(source, target[["city", "age", "x"]])
    with pytest.raises(ValueError, match="same columns"):
        stack_domains(source, target.rename(columns={"x": "y"}))
    with pytest.raises(TypeError, match="same kind"):
        stack_domains(source, target.to_numpy())


def test_stack_domains_keeps_polars_frames():
    pl = pytest.importorskip("polars")
    source = pl.DataFrame({"a": [1, 2], "b": [0.5, 1.0]})
    target = pl.DataFrame({"a": [3], "b": [2.0]})
    X, y = stack_domains(source, target)
    assert isinstance(X, pl.DataFrame)
    assert X.columns == ["a", "b"] and X.schema == source.schema
    assert X["a"].to_list() == [1, 3, 2] and y.tolist() == [0, 1, 0]
    with pytest.raises(ValueError, match="same columns"):
        stack_domains(source, target.select(["b", "a"]))


def test_frames_round_trip_without_feature_name_warnings():
    pd = pytest.importorskip("pandas")
    X, y = _data()
    source = pd.DataFrame(X[y == 0], columns=["a", "b", "c"])
    target = pd.DataFrame(X[y == 1], columns=["a", "b", "c"])
    X_frame, y_frame = stack_domains(source, target)
    ratio = DensityRatioEstimator(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "X does not have valid feature names"
        weights = ratio.fit_predict_weight(X_frame, y_frame)
        from_frame = ratio.predict_weight(source)
    assert list(ratio.feature_names_in_) == ["a", "b", "c"]
    array_fit = DensityRatioEstimator(random_state=0)
    X_array, y_array = stack_domains(X[y == 0], X[y == 1])  # the same rows, same order
    np.testing.assert_allclose(weights, array_fit.fit_predict_weight(X_array, y_array))
    np.testing.assert_allclose(from_frame, array_fit.predict_weight(X[y == 0]))


# ---------------------------------------- Estimators, deep models, dask, loading
def _public_estimator_classes():
    import skratio

    modules = [skratio]
    try:
        import skratio.deep
    except ImportError:  # the deep extra is optional
        pass
    else:
        modules.append(skratio.deep)
    return [
        cls
        for module in modules
        for cls in vars(module).values()
        if isinstance(cls, type) and hasattr(cls, "_parameter_constraints")
    ]


def _integer_parameters():
    """(class, parameter) for every parameter that takes an integer."""
    from numbers import Integral

    from sklearn.utils._param_validation import Interval

    return [
        pytest.param(cls, name, id=f"{cls.__name__}-{name}")
        for cls in _public_estimator_classes()
        for name, constraints in cls._parameter_constraints.items()
        if any(
            c is Integral or (isinstance(c, Interval) and c.type is Integral)
            for c in constraints
        )
    ]


def _instance(cls, **params):
    from sklearn.neighbors import KernelDensity

    required = {"estimator": LogisticRegression(), "generator": KernelDensity()}
    args = {
        name: required[name]
        for name, parameter in inspect.signature(cls).parameters.items()
        if parameter.default is inspect.Parameter.empty
    }
    return cls(**args, **params)


def test_the_integer_parameters_are_found():
    found = {(p.values[0].__name__, p.values[1]) for p in _integer_parameters()}
    assert {("SIRResampler", "k"), ("SIRResampler", "n_samples")} <= found
    assert ("TelescopingRatio", "n_waymarks") in found


@pytest.mark.parametrize("cls, name", _integer_parameters())
def test_a_boolean_is_not_an_integer_parameter(cls, name):
    from sklearn.utils._param_validation import InvalidParameterError

    estimator = _instance(cls, **{name: True})
    with pytest.raises(InvalidParameterError, match=rf"'{name}' parameter .* Got True"):
        estimator._validate_params()
    assert _instance(cls, **{name: 2})._validate_params() is None


def test_a_boolean_k_or_n_samples_is_refused_before_sampling():
    from sklearn.neighbors import KernelDensity

    from skratio import SIRResampler

    X_pool = np.zeros((30, 2))
    for params in ({"k": True}, {"k": None, "n_samples": True}):
        with pytest.raises(ValueError, match="not a bool"):
            SIRResampler(**params).fit_resample(X_pool, sample_weight=np.ones(30))
    generator = KernelDensity().fit(X_pool)
    with pytest.raises(ValueError, match="'k' parameter .*not a bool"):
        SIRResampler(DensityRatioEstimator(), k=True).sample(generator, 5)
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        SIRResampler(DensityRatioEstimator(), k=2).sample(generator, True)
    trainer = WeightedGenerativeTrainer(KernelDensity(), strategy="uniform")
    trainer.fit(X, y)
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        trainer.sample(True)


# Command line
# ---------------------------------------------------------------- command line
# Each case runs the ``skratio`` command in a subprocess, as a user runs it.
# (The section imports what it needs where it needs it: it comes after the
# rest of the file.)


def _command(arguments, harness=None):
    """``python -m skratio arguments``, or ``python -c harness arguments``."""
    import sys

    start = ["-m", "skratio"] if harness is None else ["-c", harness]
    return [sys.executable, *start, *map(str, arguments)]


def _cli_env():
    import os

    # One thread per subprocess: the machines running the suite are shared.
    return {**os.environ, "OMP_NUM_THREADS": "1"}


def _skratio(*arguments, cwd):
    import subprocess

    return subprocess.run(
        _command(arguments),
        check=False,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_cli_env(),
        timeout=600,
    )


def _files(folder):
    return sorted(path.name for path in folder.iterdir())


def _write_rows(path, header, rows):
    import csv

    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _read_rows(path):
    import csv

    with open(path, newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    return rows[0], rows[1:]


def _one_error_line(result, *parts):
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("skratio ") and "error: " in lines[0]
    assert "Traceback" not in result.stderr
    for part in parts:
        assert part in lines[0], lines[0]
    assert result.stdout == ""


@pytest.fixture
def cli_files(tmp_path):
    """A source and a target table (text ids, two features) in ``tmp_path``."""
    pytest.importorskip("pyarrow")  # the command reads every table with it
    rng = np.random.default_rng(0)
    source, target = rng.normal(size=(120, 2)), rng.normal(0.5, 1.0, size=(60, 2))
    _write_rows(
        tmp_path / "src.csv",
        ["id", "a", "b"],
        [[f"{i:05d}", *map(repr, x.tolist())] for i, x in enumerate(source)],
    )
    _write_rows(tmp_path / "tgt.csv", ["a", "b"], target.tolist())
    return tmp_path


def _unchanged(folder, names):
    """The bytes of every file of ``folder`` named in ``names``."""
    return {name: (folder / name).read_bytes() for name in names}


@pytest.mark.parametrize(
    "arguments, input_file",
    [
        (["weigh", "src.csv", "tgt.csv", "-o", "src.csv"], "src.csv"),
        (["weigh", "src.csv", "tgt.csv", "-o", "./tgt.csv"], "tgt.csv"),
        (["weigh", "src.csv", "tgt.csv", "-o", "{d}/src.csv"], "src.csv"),
        (["weigh", "src.csv", "tgt.csv", "-o", "link.csv"], "src.csv"),
        (["weigh", "src.csv", "tgt.csv", "-o", "sub/../src.csv"], "src.csv"),
        (["resample", "src.csv", "tgt.csv", "-o", "src.csv", "-k", "2"], "src.csv"),
        (["resample", "src.csv", "tgt.csv", "-o", "./link.csv", "-k", "2"], "src.csv"),
    ],
)
def test_cli_output_that_is_an_input_is_refused(cli_files, arguments, input_file):
    (cli_files / "link.csv").symlink_to(cli_files / "src.csv")
    (cli_files / "sub").mkdir()
    before = _unchanged(cli_files, ["src.csv", "tgt.csv"])
    arguments = [part.format(d=cli_files) for part in arguments]
    result = _skratio(*arguments, "--id-column", "id", cwd=cli_files)
    _one_error_line(result, "is the input file", input_file, "choose another output")
    assert _unchanged(cli_files, ["src.csv", "tgt.csv"]) == before


def test_cli_output_check_comes_before_reading_the_inputs(cli_files):
    # The target does not exist: the same-file check answers first, so no
    # input was read and nothing fitted.
    result = _skratio("weigh", "src.csv", "none.csv", "-o", "src.csv", cwd=cli_files)
    _one_error_line(result, "-o src.csv is the input file src.csv")


# A slow disk: each write of the output takes 60 seconds, so that the
# interrupt lands while the output is being written.
_SLOW_DISK = """
import sys, time
import pyarrow.csv

class SlowWriter(pyarrow.csv.CSVWriter):
    def write_table(self, table, max_chunksize=None):
        time.sleep(60)
        super().write_table(table, max_chunksize)

pyarrow.csv.CSVWriter = SlowWriter
from skratio.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _interrupt_once_writing(arguments, folder, harness=None):
    """Run the command; send SIGINT once a new file appears in ``folder``."""
    import signal
    import subprocess
    import time

    before = _files(folder)
    process = subprocess.Popen(
        _command(arguments, harness),
        cwd=folder,
        env=_cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline:
        if _files(folder) != before:
            process.send_signal(signal.SIGINT)
            break
        time.sleep(0.002)
    else:
        process.kill()
        pytest.fail("the command wrote no file before it ended")
    _, stderr = process.communicate(timeout=300)
    return process.returncode, stderr


def test_cli_interrupt_while_writing_leaves_the_old_output(cli_files):
    old = "id,weight\n00000,1.5\n"
    (cli_files / "w.csv").write_text(old)
    status, stderr = _interrupt_once_writing(
        ["weigh", "src.csv", "tgt.csv", "-o", "w.csv", "--id-column", "id"],
        cli_files,
        harness=_SLOW_DISK,
    )
    assert status == 130, stderr
    assert stderr.strip().splitlines() == [
        "skratio weigh: interrupted; an output is either complete or left as it was"
    ]
    assert (cli_files / "w.csv").read_text() == old
    # No temporary or partial file is left behind.
    assert _files(cli_files) == ["src.csv", "tgt.csv", "w.csv"]


def test_cli_interrupt_of_a_large_table_never_leaves_a_partial_file(tmp_path):
    # 400 000 rows, as written by a real disk: wherever the interrupt lands,
    # the output is the old one or the complete new one, and nothing else is
    # left in the folder.
    pa = pytest.importorskip("pyarrow")
    pacsv = pytest.importorskip("pyarrow.csv")
    n = 400_000
    rng = np.random.default_rng(1)
    ids = [f"{i:06d}" for i in range(n)]
    pacsv.write_csv(pa.table({"id": ids, "a": rng.normal(size=n)}), tmp_path / "s.csv")
    pacsv.write_csv(
        pa.table({"a": rng.normal(0.5, 1.0, size=20_000)}), tmp_path / "t.csv"
    )
    old = "id,weight\nold,1\n"
    (tmp_path / "w.csv").write_text(old)
    status, stderr = _interrupt_once_writing(
        ["weigh", "s.csv", "t.csv", "-o", "w.csv", "--id-column", "id", "--cv", "2"],
        tmp_path,
    )
    assert status == 130, stderr
    assert _files(tmp_path) == ["s.csv", "t.csv", "w.csv"]
    text = (tmp_path / "w.csv").read_text()
    if text != old:
        header, rows = _read_rows(tmp_path / "w.csv")
        assert header == ["id", "weight"]
        assert [row[0] for row in rows] == ids


def test_cli_csv_columns_keep_their_text(tmp_path):
    pytest.importorskip("pyarrow")
    # Ids that any number parser would change, integers that must not become
    # "48.0", and features written as integers.
    ids = ["00000", "00001", "48", "1000000000000000001", "1000000000000000002"]
    ids += [f"1{i:018d}" for i in range(3, 40)]
    rng = np.random.default_rng(2)
    rows = [
        [i, str(int(v)), repr(float(w))]
        for i, v, w in zip(
            ids, rng.integers(0, 60, 42), rng.normal(size=42), strict=True
        )
    ]
    _write_rows(tmp_path / "s.csv", ["id", "n", "x"], rows)
    _write_rows(
        tmp_path / "t.csv",
        ["n", "x"],
        [
            [str(int(v)), repr(float(w))]
            for v, w in zip(rng.integers(10, 70, 30), rng.normal(size=30), strict=True)
        ],
    )
    result = _skratio(
        "weigh",
        "s.csv",
        "t.csv",
        "-o",
        "w.csv",
        "--id-column",
        "id",
        "--cv",
        "3",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    header, written = _read_rows(tmp_path / "w.csv")
    assert header == ["id", "weight"]
    assert [row[0] for row in written] == ids
    result = _skratio(
        "resample",
        "s.csv",
        "t.csv",
        "-o",
        "r.csv",
        "--id-column",
        "id",
        "-k",
        "2",
        "--cv",
        "3",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    header, chosen = _read_rows(tmp_path / "r.csv")
    assert header == ["id", "n", "x"]
    assert len(chosen) == 21
    # Whole rows, every field the text of the input ("48", not "48.0").
    assert all(row in rows for row in chosen)
    assert not any("." in row[1] for row in chosen)


def test_cli_parquet_columns_keep_their_arrow_type(tmp_path):
    pd = pytest.importorskip("pandas")
    pq = pytest.importorskip("pyarrow.parquet")
    n = 30
    rng = np.random.default_rng(3)
    big = pd.array([10**18 + i for i in range(n)], dtype="Int64")
    big[4] = pd.NA
    source = pd.DataFrame(
        {
            "big": big,
            "text_id": [f"{i:05d}" for i in range(n)],
            "long_id": [str(10**18 + i) for i in range(n)],
            "group": pd.Categorical(rng.choice(["a", "b", "c"], n)),
            "x": rng.normal(size=n),
            "count": pd.array(rng.integers(0, 9, n), dtype="Int64"),
        }
    )
    source.to_parquet(tmp_path / "s.parquet")
    pd.DataFrame(
        {
            "x": rng.normal(0.5, 1, 20),
            "count": pd.array(rng.integers(0, 9, 20), "Int64"),
        }
    ).to_parquet(tmp_path / "t.parquet")
    features = ["--columns", "x", "count", "--cv", "3"]
    result = _skratio(
        "weigh",
        "s.parquet",
        "t.parquet",
        "-o",
        "w.parquet",
        "--id-column",
        "big",
        *features,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    weights = pq.read_table(tmp_path / "w.parquet")
    assert str(weights.schema.field("big").type) == "int64"
    assert (
        weights.column("big").to_pylist()
        == pq.read_table(tmp_path / "s.parquet").column("big").to_pylist()
    )
    assert pd.read_parquet(tmp_path / "w.parquet")["big"].dtype == "Int64"
    result = _skratio(
        "resample",
        "s.parquet",
        "t.parquet",
        "-o",
        "r.parquet",
        "-k",
        "2",
        *features,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    original = pq.read_table(tmp_path / "s.parquet")
    chosen = pq.read_table(tmp_path / "r.parquet")
    assert chosen.schema.remove_metadata() == original.schema.remove_metadata()
    by_text_id = {row["text_id"]: row for row in original.to_pylist()}
    assert chosen.num_rows == n // 2
    assert all(by_text_id[row["text_id"]] == row for row in chosen.to_pylist())
    frame = pd.read_parquet(tmp_path / "r.parquet")
    assert frame["group"].dtype == "category" and frame["big"].dtype == "Int64"
    # Parquet to CSV: integers as integers ("48", not "48.0"), a null as an
    # empty cell, every digit of 10**18 + i.
    result = _skratio(
        "resample",
        "s.parquet",
        "t.parquet",
        "-o",
        "r.csv",
        "-k",
        "1",
        *features,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    header, rows = _read_rows(tmp_path / "r.csv")
    expected = {
        str(row["text_id"]): ["" if v is None else str(v) for v in row.values()]
        for row in original.to_pylist()
    }
    assert header == original.column_names and len(rows) == n
    assert all(row == expected[row[1]] for row in rows)


def test_cli_long_fields_pass_through(cli_files):
    # Longer than the standard library's csv limit (131 072) and than
    # pyarrow's default block (1 MiB).
    header, rows = _read_rows(cli_files / "src.csv")
    rows[0][0], rows[1][0] = "x" * 200_000, "y" * 3_000_000
    _write_rows(cli_files / "long.csv", header, rows)
    result = _skratio(
        "weigh",
        "long.csv",
        "tgt.csv",
        "-o",
        "w.csv",
        "--id-column",
        "id",
        cwd=cli_files,
    )
    assert result.returncode == 0, result.stderr
    # Read back with pyarrow: the standard library's reader stops at 131 072.
    pa = pytest.importorskip("pyarrow")
    pacsv = pytest.importorskip("pyarrow.csv")
    written = pacsv.read_csv(
        cli_files / "w.csv",
        read_options=pacsv.ReadOptions(block_size=1 << 23),
        convert_options=pacsv.ConvertOptions(column_types={"id": pa.string()}),
    )
    assert written.column("id").to_pylist() == [row[0] for row in rows]


def _edit_cell(folder, name, row, column, text):
    header, rows = _read_rows(folder / "src.csv")
    rows[row][header.index(column)] = text
    return _write_rows(folder / name, header, rows)


@pytest.mark.parametrize(
    "make, arguments, parts",
    [
        (
            lambda d: (d / "latin1.csv").write_bytes(
                (d / "src.csv")
                .read_bytes()
                .replace(b"00007", "0000\xe9".encode("latin-1"))
            ),
            ["weigh", "latin1.csv", "tgt.csv"],
            ["latin1.csv, line 9, column 'id': not UTF-8 text"],
        ),
        (
            lambda d: _edit_cell(d, "empty.csv", 4, "b", ""),
            ["weigh", "empty.csv", "tgt.csv"],
            ["empty.csv, line 6, column 'b': empty cell"],
        ),
        (
            lambda d: _edit_cell(d, "inf.csv", 10, "a", "inf"),
            ["weigh", "inf.csv", "tgt.csv"],
            ["inf.csv, line 12, column 'a': 'inf' is not a finite number"],
        ),
        (
            lambda d: _edit_cell(d, "nan.csv", 0, "a", "NaN"),
            ["resample", "nan.csv", "tgt.csv", "-k", "2"],
            ["nan.csv, line 2, column 'a': 'NaN' is not a finite number"],
        ),
        (
            lambda d: _edit_cell(d, "text.csv", 2, "b", "high"),
            ["weigh", "text.csv", "tgt.csv"],
            ["text.csv, line 4, column 'b': 'high' is not a number", "--columns"],
        ),
        (
            lambda d: (d / "folder.csv").mkdir(),
            ["weigh", "folder.csv", "tgt.csv"],
            ["folder.csv is a folder, not a file (SOURCE)"],
        ),
        (
            lambda d: _write_rows(d / "one.csv", ["a", "b"], [[0.5, 0.5]]),
            ["weigh", "src.csv", "one.csv"],
            ["--cv 5 needs at least 5 rows in each file", "one.csv has 1"],
        ),
        (
            lambda d: None,
            ["weigh", "src.csv", "tgt.csv", "--cv", "100"],
            ["--cv 100 needs at least 100 rows in each file", "tgt.csv has 60"],
        ),
        (
            lambda d: None,
            ["weigh", "src.csv", "tgt.csv", "--plot", "no/such/w.png"],
            ["--plot no/such/w.png: the folder", "does not exist"],
        ),
    ],
)
def test_cli_bad_file_is_one_line_naming_the_cause(cli_files, make, arguments, parts):
    make(cli_files)
    before = _files(cli_files)
    result = _skratio(*arguments, "-o", "out.csv", "--id-column", "id", cwd=cli_files)
    _one_error_line(result, *parts)
    assert _files(cli_files) == before  # nothing written


def test_cli_parquet_missing_or_infinite_feature_names_the_row(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    x = np.linspace(-1, 1, 40)
    pq.write_table(
        pa.table({"x": pa.array(x.tolist()[:7] + [None] + x.tolist()[8:])}),
        tmp_path / "null.parquet",
    )
    pq.write_table(
        pa.table({"x": np.where(np.arange(40) == 3, np.inf, x)}),
        tmp_path / "inf.parquet",
    )
    pq.write_table(pa.table({"x": x + 0.5}), tmp_path / "t.parquet")
    result = _skratio("weigh", "null.parquet", "t.parquet", "-o", "w.csv", cwd=tmp_path)
    _one_error_line(result, "null.parquet, row 8, column 'x': empty cell")
    result = _skratio("weigh", "inf.parquet", "t.parquet", "-o", "w.csv", cwd=tmp_path)
    _one_error_line(
        result, "inf.parquet, row 4, column 'x': inf is not a finite number"
    )


@pytest.mark.parametrize("scale", [1e80, 1e300])
def test_telescoping_on_huge_finite_values_says_what_overflowed(scale):
    # 1e300 gave "Input X contains infinity"; 1e80 silently flat weights.
    with pytest.raises(ValueError, match=r"squares the features .* Standardise X"):
        TelescopingRatio(random_state=0).fit(X * scale, y)
    # A classifier of one's own takes the values as they are.
    TelescopingRatio(LogisticRegression(), random_state=0).fit(X * 1e80, y)


def test_telescoping_below_the_overflow_bound_fits_as_on_standardised_values():
    # The default bridges are invariant to scaling the features: the weights
    # at scale 1e70 equal those at scale 1 up to rounding.
    small = TelescopingRatio(random_state=0).fit(X, y).predict_weight(X)
    large = TelescopingRatio(random_state=0).fit(X * 1e70, y)
    np.testing.assert_allclose(large.predict_weight(X * 1e70), small, rtol=1e-6)


@pytest.mark.parametrize(
    "estimator",
    [DensityRatioEstimator(), CalibratedRatio(), "TelescopingRatio"],
    ids=["DensityRatioEstimator", "CalibratedRatio", "TelescopingRatio"],
)
def test_a_text_column_is_named(estimator):
    pd = pytest.importorskip("pandas")
    from sklearn.base import clone

    if estimator == "TelescopingRatio":
        estimator = TelescopingRatio()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["city"] = np.where(y == 1, "Lyon", "Paris")
    with pytest.raises(ValueError, match="column 'city' of X holds text"):
        clone(estimator).fit(frame, y)
    fitted = clone(estimator).fit(frame.drop(columns="city"), y)
    text = frame.drop(columns="city").astype(object)
    text.loc[3, "b"] = "n/a"
    with pytest.raises(ValueError, match="column 'b' of X holds text .*'n/a'"):
        fitted.predict_weight(text)


@pytest.mark.filterwarnings(
    "ignore::skratio.PoorOverlapWarning", "ignore::skratio.WeightCollapseWarning"
)
def test_a_classifier_that_encodes_text_takes_a_text_column():
    pd = pytest.importorskip("pandas")
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder

    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["city"] = np.where(y == 1, "Lyon", "Paris")
    # By position: the estimator hands the classifier an array.
    classifier = make_pipeline(
        make_column_transformer((OneHotEncoder(), [3]), remainder=StandardScaler()),
        LogisticRegression(),
    )
    weights = DensityRatioEstimator(classifier).fit(frame, y).predict_weight(frame)
    assert np.isfinite(weights).all()


def test_a_generator_of_strings_is_named():
    from skratio import SIRResampler

    class TextGenerator:
        def sample(self, n_samples, random_state=None):
            return np.full((n_samples, 3), "a", dtype=object)

    ratio = DensityRatioEstimator().fit(X, y)
    with pytest.raises(ValueError, match="column 0 of X holds text \\(e.g. 'a'\\)"):
        SIRResampler(ratio, k=2, random_state=0).sample(TextGenerator(), 5)


def test_labels_mixing_numbers_and_strings_are_named():
    mixed = np.array([0 if label == 0 else "1" for label in y], dtype=object)
    with pytest.raises(ValueError, match="mix strings and other values"):
        DensityRatioEstimator().fit(X, mixed)


def test_class_weight_by_the_users_labels_gets_the_encoded_keys():
    labels = np.where(y == 1, "ref", "bias")
    classifier = LogisticRegression(class_weight={"bias": 1, "ref": 10})
    for estimator in (
        DensityRatioEstimator(classifier, target_label="ref"),
        CalibratedRatio(DensityRatioEstimator(classifier, target_label="ref")),
    ):
        with pytest.raises(
            ValueError,
            match=r"0 \(source, 'bias'\) and 1 \(target, 'ref'\).*"
            r"class_weight=\{0: 1, 1: 10\}",
        ):
            estimator.fit(X, labels)
    # The encoded keys work, and so do 0/1 labels' own keys.
    encoded = LogisticRegression(class_weight={0: 1, 1: 10})
    DensityRatioEstimator(encoded, target_label="ref").fit(X, labels)
    DensityRatioEstimator(encoded).fit(X, y)


# ---------------------------------------------------------------------------
# Meta-estimators
# ---------------------------------------------------------------------------
# A meta-estimator fits the ratio estimator it holds on its own 0/1 domain
# labels (1 = the reference, or the unlabelled target rows). A target_label of
# the ratio estimator that names another domain would invert every weight
# (correlation -0.98 with the true log-ratio before this check): it is refused.


def _meta_estimators(ratio):
    from sklearn.linear_model import LinearRegression
    from sklearn.neighbors import KernelDensity

    from skratio import ReweightedEstimator, WeightedGenerativeTrainer

    y_regression = np.where(y == 0, X[:, 0], np.nan)
    return [
        (WeightedGenerativeTrainer(KernelDensity(), ratio, random_state=0), y),
        (ReweightedEstimator(LinearRegression(), ratio, random_state=0), y_regression),
    ]


@pytest.mark.parametrize(
    "ratio, pattern",
    [
        (DensityRatioEstimator(target_label=0), r"target_label=0 disagrees"),
        (
            CalibratedRatio(DensityRatioEstimator(target_label=0)),
            r"estimator__target_label=0 disagrees",
        ),
        (DensityRatioEstimator(target_label="ref"), r"target_label='ref' disagrees"),
    ],
    ids=["target_label=0", "CalibratedRatio(target_label=0)", "target_label='ref'"],
)
def test_meta_estimators_refuse_a_ratio_estimator_with_another_target(ratio, pattern):
    for meta, labels in _meta_estimators(ratio):
        with pytest.raises(ValueError, match=pattern + r".*inverted"):
            meta.fit(X, labels)
