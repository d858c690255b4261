"""The bad-input matrix: every case is a clear error or a finite, documented result.

One table drives the ratio estimators through the inputs users get wrong; the
same table is in the user guide (docs/user_guide.rst, "What skratio refuses").
"""

import inspect
import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skratio import (
    CalibratedRatio,
    DensityRatioEstimator,
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
    ("inf in X", DensityRatioEstimator(), (_with(X, np.inf), y), (ValueError, "infinity")),
    ("empty X", DensityRatioEstimator(), (X[:0], y[:0]), (ValueError, "0 sample")),
    ("one domain", DensityRatioEstimator(), (X, np.zeros_like(y)), (ValueError, "two domains")),
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
        (ValueError, "could not convert string to float"),
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
    ("class_weight balanced", DensityRatioEstimator(
        LogisticRegression(class_weight="balanced")), (X, y), "finite"),
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
]


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
    reference = DensityRatioEstimator().fit(X, y, sample_weight=weights)
    for given in (weights.tolist(), pd.Series(weights)):
        before = np.array(given, copy=True)
        ratio = DensityRatioEstimator().fit(X.tolist(), y.tolist(), sample_weight=given)
        np.testing.assert_array_equal(np.asarray(given), before)
        np.testing.assert_allclose(ratio.predict_weight(X), reference.predict_weight(X))
    with pytest.raises(ValueError, match="sample_weight"):
        DensityRatioEstimator().fit(X, y, sample_weight=weights[:-1])


def test_one_feature():
    X, y = _data(n_features=1)
    weights = DensityRatioEstimator().fit_predict_weight(X, y)
    assert np.isfinite(weights).all()


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
    assert X["city"].tolist() == ["a", "b", "c"]
    assert y.tolist() == [0, 0, 1]
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
    assert y.tolist() == [0, 0, 1]
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
    np.testing.assert_allclose(weights, array_fit.fit_predict_weight(X, y))
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
