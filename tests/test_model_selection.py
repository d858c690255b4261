"""Tests of importance-weighted cross-validation (LabeledKFold + scorer)."""

import warnings

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skratio import ReweightedEstimator, WeightCollapseWarning
from skratio.model_selection import LabeledKFold, importance_weighted_scorer

from _helpers import quadratic_shift


class TrueRatio:
    """The analytic ratio N(shift, 1) / N(0, 1) of the first column."""

    def __init__(self, shift=1.0):
        self.shift = shift

    def predict_weight(self, X):
        x = np.asarray(X)[:, 0]
        return np.exp(norm.logpdf(x, self.shift, 1.0) - norm.logpdf(x, 0.0, 1.0))


def test_labeled_kfold_validates_labelled_rows_once_and_always_trains_targets():
    X, y = quadratic_shift(23, 11, seed=0)
    unlabelled = np.flatnonzero(np.isnan(y))
    seen = []
    for train, test in LabeledKFold(4, shuffle=True, random_state=0).split(X, y):
        assert np.isin(unlabelled, train).all()
        assert not np.isnan(y[test]).any()
        assert np.intersect1d(train, test).size == 0
        seen.extend(test)
    np.testing.assert_array_equal(np.sort(seen), np.arange(23))


def test_labeled_kfold_integer_labels_marked_minus_one():
    y = np.array([0, 1, 0, 1, -1, -1])
    folds = list(LabeledKFold(2).split(np.zeros((6, 1)), y))
    for train, test in folds:
        assert {4, 5} <= set(train)
        assert not {4, 5} & set(test)
    assert LabeledKFold(2).get_n_splits() == 2


def test_labeled_kfold_errors():
    with pytest.raises(ValueError, match="n_splits"):
        LabeledKFold(1)
    with pytest.raises(ValueError, match="needs y"):
        list(LabeledKFold(2).split(np.zeros((4, 1))))
    with pytest.raises(ValueError, match="cannot make 3 folds of 2 labelled"):
        list(
            LabeledKFold(3).split(
                np.zeros((4, 1)), np.array([1.0, 2.0, np.nan, np.nan])
            )
        )


def test_scorer_is_the_weighted_metric_on_labelled_rows():
    X, y = quadratic_shift(200, 100, seed=1)
    model = ReweightedEstimator(LinearRegression(), random_state=0).fit(X, y)
    scorer = importance_weighted_scorer("neg_mean_squared_error")
    weights = model.ratio_estimator_.predict_weight(X[:200])
    expected = -mean_squared_error(
        y[:200], model.predict(X[:200]), sample_weight=weights
    )
    assert scorer(model, X, y) == pytest.approx(expected)


def test_scorer_through_a_pipeline():
    X, y = quadratic_shift(200, 100, seed=2)
    pipe = make_pipeline(StandardScaler(), ReweightedEstimator(Ridge(), random_state=0))
    pipe.fit(X, y)
    weights = pipe[-1].ratio_estimator_.predict_weight(pipe[0].transform(X[:200]))
    expected = -mean_squared_error(
        y[:200], pipe.predict(X[:200]), sample_weight=weights
    )
    score = importance_weighted_scorer("neg_mean_squared_error")(pipe, X, y)
    assert score == pytest.approx(expected)


def test_scorer_with_fixed_ratio_estimator_on_any_model():
    X, y = quadratic_shift(200, 100, seed=3)
    model = LinearRegression().fit(X[:200], y[:200])
    score = importance_weighted_scorer(
        "neg_mean_squared_error", ratio_estimator=TrueRatio()
    )(model, X, y)
    weights = TrueRatio().predict_weight(X[:200])
    expected = -mean_squared_error(
        y[:200], model.predict(X[:200]), sample_weight=weights
    )
    assert score == pytest.approx(expected)


class _ScaledTrueRatio(TrueRatio):
    """The true ratio times ``scale``: 0 or -1 give weights that must be refused."""

    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def predict_weight(self, X):
        return self.scale * super().predict_weight(X)


@pytest.mark.parametrize(
    "scale, sample_weight, match",
    [
        (0.0, None, "must not be all zero"),
        (-1.0, None, "_ScaledTrueRatio.predict_weight must be non-negative"),
        (np.nan, None, "_ScaledTrueRatio.predict_weight returned NaN weights"),
        (1.0, -np.ones(300), "sample_weight must be non-negative"),
    ],
)
def test_scorer_refuses_bad_importance_weights(scale, sample_weight, match):
    X, y = quadratic_shift(200, 100, seed=3)
    model = LinearRegression().fit(X[:200], y[:200])
    scorer = importance_weighted_scorer(
        "neg_mean_squared_error", ratio_estimator=_ScaledTrueRatio(scale)
    )
    with pytest.raises(ValueError, match=match):
        scorer(model, X, y, sample_weight=sample_weight)


def test_iwcv_estimate_of_target_loss_is_unbiased():
    # A fixed model (the unweighted line fitted once) is scored on fresh
    # source samples of n = 500 rows with the true weights of a N(0.5, 1)
    # target, exp(x/2 - 1/8). The self-normalised importance-weighted mean is
    # consistent with a bias of order 1/n (delta method), ~1e-2 here, small
    # next to the standard error (~0.05) of the mean of 400 repeats. The
    # product w * loss ~ e^(x/2) x^4 is right-skewed, so the mean of few
    # repeats tends to fall short (40 repeats of 2000 rows land 3.3 s.e. low
    # on this seed); 400 repeats make the mean close to normal. The
    # target loss is exact: E_t[(a + b x - x^2)^2] + noise variance 0.25 with
    # the moments of N(0.5, 1): E x = 0.5, E x^2 = 1.25, E x^3 = 1.625,
    # E x^4 = 4.5625.
    X_fit, y_fit = quadratic_shift(5000, 0, seed=100)
    model = LinearRegression().fit(X_fit, y_fit)
    a, b = model.intercept_, model.coef_[0]
    m1, m2, m3, m4 = 0.5, 1.25, 1.625, 4.5625
    # (a + b x - x^2)^2 = a^2 + 2ab x + (b^2 - 2a) x^2 - 2b x^3 + x^4
    target_loss = a**2 + 2 * a * b * m1 + (b**2 - 2 * a) * m2 - 2 * b * m3 + m4 + 0.25
    scorer = importance_weighted_scorer(
        "neg_mean_squared_error", ratio_estimator=TrueRatio(0.5)
    )
    estimates = np.array(
        [
            -scorer(model, *quadratic_shift(500, 10, seed, shift=0.5))
            for seed in range(400)
        ]
    )
    standard_error = estimates.std(ddof=1) / np.sqrt(estimates.size)
    assert abs(estimates.mean() - target_loss) < 3 * standard_error
    # The plain source loss (about 2.25) is far off: the weighting does the work.
    source_loss = np.mean(
        [
            mean_squared_error(*_labelled(quadratic_shift(2000, 10, s), model))
            for s in range(5)
        ]
    )
    assert abs(source_loss - target_loss) > 10 * standard_error


def _labelled(data, model):
    X, y = data
    keep = ~np.isnan(y)
    return y[keep], model.predict(X[keep])


def test_cross_validated_iwcv_tracks_target_loss_better_than_plain_cv():
    # Unweighted training (power 0): excess target loss 7 + noise 0.25 in the
    # limit (see tests/test_reweight.py), while its plain source validation
    # MSE is Var_s(x^2) + 0.25 = 2.25. IWCV with estimated weights should
    # land much closer to the target figure than plain CV.
    X, y = quadratic_shift(1000, 1000, seed=5)
    model = ReweightedEstimator(LinearRegression(), power=0.0, random_state=0)
    cv = LabeledKFold(5, shuffle=True, random_state=0)
    iw = -cross_val_score(
        model, X, y, cv=cv, scoring=importance_weighted_scorer("neg_mean_squared_error")
    ).mean()
    plain = -cross_val_score(model, X, y, cv=cv, scoring=_plain_mse_on_labelled).mean()
    assert abs(iw - 7.25) < abs(plain - 7.25) / 2


def _plain_mse_on_labelled(estimator, X, y):
    keep = ~np.isnan(y)
    return -mean_squared_error(y[keep], estimator.predict(X[keep]))


def test_scorer_needs_weights():
    X, y = quadratic_shift(50, 20, seed=6)
    model = LinearRegression().fit(X[:50], y[:50])
    with pytest.raises(TypeError, match="has no predict_weight"):
        importance_weighted_scorer("neg_mean_squared_error")(model, X, y)


def test_scorer_needs_labelled_rows():
    X, y = quadratic_shift(50, 20, seed=7)
    model = ReweightedEstimator(LinearRegression(), random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="all unlabelled"):
        importance_weighted_scorer()(model, X[50:], y[50:])


# --------------------------------------------------------------------------
# Cross-validation on the library's stacked data: every public estimator gets
# folds with both domains from scikit-learn's default cv and from an unshuffled
# KFold, because stack_domains interleaves the samples (and the ratio
# estimators, being classifiers, are stratified by domain as well).


def _domains(seed=0, n_source=150, n_target=30):
    from skratio import stack_domains

    rng = np.random.default_rng(seed)
    X_source = rng.normal(0.0, 1.0, (n_source, 2))
    X_target = rng.normal(1.0, 1.0, (n_target, 2))
    X, domain = stack_domains(X_source, X_target)
    return X, domain, X_source


def _cv_cases():
    """``(name, estimator, y kind, grid)`` of every public estimator."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.mixture import GaussianMixture
    from sklearn.neighbors import KernelDensity

    from skratio import (
        CalibratedRatio,
        DensityRatioEstimator,
        MultiSourceRatio,
        TelescopingRatio,
        WeightedGenerativeTrainer,
    )

    fast = {"cv": 2, "random_state": 0}
    return [
        (
            "DensityRatioEstimator",
            DensityRatioEstimator(**fast),
            "domain",
            {"power": [0.5, 1.0]},
        ),
        (
            "CalibratedRatio",
            CalibratedRatio(DensityRatioEstimator(**fast), cv=2),
            "domain",
            {"method": ["sigmoid", "temperature"]},
        ),
        (
            "TelescopingRatio",
            TelescopingRatio(n_waymarks=2, **fast),
            "domain",
            {"power": [0.5, 1.0]},
        ),
        ("MultiSourceRatio", MultiSourceRatio(**fast), "domain", {"power": [0.5, 1.0]}),
        (
            "WeightedGenerativeTrainer",
            WeightedGenerativeTrainer(KernelDensity(), **fast),
            "domain",
            {"strategy": ["importance", "uniform", "reference"]},
        ),
        (
            "WeightedGenerativeTrainer-GaussianMixture",
            WeightedGenerativeTrainer(
                GaussianMixture(2, random_state=0), fallback="resample", **fast
            ),
            "domain",
            {"strategy": ["importance", "uniform"]},
        ),
        (
            "ReweightedEstimator-Ridge",
            ReweightedEstimator(Ridge(), **fast),
            "regression",
            {"power": [0.0, 1.0]},
        ),
        (
            "ReweightedEstimator-LogisticRegression",
            ReweightedEstimator(LogisticRegression(), **fast),
            "classes",
            {"power": [0.0, 1.0]},
        ),
    ]


def _labels(kind, domain, X_source):
    if kind == "domain":
        return domain
    if kind == "regression":
        y = np.full(domain.shape, np.nan)
        y[domain == 0] = X_source[:, 0] ** 2
        return y
    y = np.full(domain.shape, -1)  # -1 marks the unlabelled target rows
    y[domain == 0] = (X_source[:, 0] > 0).astype(int)
    return y


_CASES = _cv_cases()
_CV = {"default": None, "KFold(3)": KFold(3)}


def _cv_kwargs(cv):
    return {} if _CV[cv] is None else {"cv": _CV[cv]}


@pytest.mark.parametrize("cv", list(_CV))
@pytest.mark.parametrize("case", _CASES, ids=[case[0] for case in _CASES])
def test_cross_validation_on_stacked_data_gives_finite_scores(case, cv):
    _, estimator, kind, _ = case
    X, domain, X_source = _domains()
    y = _labels(kind, domain, X_source)
    with warnings.catch_warnings():
        # A failed fold is a FitFailedWarning and a NaN score: make it an error.
        warnings.simplefilter("error", FitFailedWarning)
        warnings.simplefilter("ignore", WeightCollapseWarning)
        scores = cross_val_score(estimator, X, y, **_cv_kwargs(cv))
        results = cross_validate(estimator, X, y, **_cv_kwargs(cv))
        pipeline = make_pipeline(StandardScaler(), estimator)
        pipeline_scores = cross_val_score(pipeline, X, y, **_cv_kwargs(cv))
    assert np.isfinite(scores).all()
    assert np.isfinite(results["test_score"]).all()
    assert np.isfinite(pipeline_scores).all()


@pytest.mark.parametrize("cv", list(_CV))
@pytest.mark.parametrize("case", _CASES, ids=[case[0] for case in _CASES])
def test_grid_search_on_stacked_data_scores_every_candidate(case, cv):
    _, estimator, kind, grid = case
    X, domain, X_source = _domains()
    y = _labels(kind, domain, X_source)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitFailedWarning)
        warnings.simplefilter("ignore", WeightCollapseWarning)
        search = GridSearchCV(estimator, grid, **_cv_kwargs(cv)).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_ in search.cv_results_["params"]


@pytest.mark.parametrize("cv", list(_CV))
def test_sir_resampler_in_an_imblearn_pipeline_cross_validates(cv):
    imblearn_pipeline = pytest.importorskip("imblearn.pipeline")
    from sklearn.frozen import FrozenEstimator
    from sklearn.linear_model import LogisticRegression

    from skratio import DensityRatioEstimator, SIRResampler

    X, domain, _ = _domains()
    ratio = DensityRatioEstimator(cv=2, random_state=0).fit(X, domain)
    pipeline = imblearn_pipeline.Pipeline(
        [
            ("sir", SIRResampler(FrozenEstimator(ratio), k=2, random_state=0)),
            ("model", LogisticRegression()),
        ]
    )
    y = (X[:, 0] > 0.5).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitFailedWarning)
        scores = cross_val_score(pipeline, X, y, **_cv_kwargs(cv))
        search = GridSearchCV(pipeline, {"sir__k": [1, 2]}, **_cv_kwargs(cv)).fit(X, y)
    assert np.isfinite(scores).all()
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def _blocked(kind):
    """The samples stacked in blocks by hand, source rows first."""
    X, domain, X_source = _domains()
    order = np.argsort(domain, kind="stable")
    return X[order], _labels(kind, domain, X_source)[order]


@pytest.mark.parametrize(
    "name, splitter",
    [
        ("DensityRatioEstimator", "StratifiedKFold"),
        ("WeightedGenerativeTrainer", "StratifiedKFold"),
        ("ReweightedEstimator-Ridge", "LabeledKFold"),
    ],
)
def test_a_fold_without_a_domain_says_so_and_names_the_splitter(name, splitter):
    _, estimator, kind, _ = next(case for case in _CASES if case[0] == name)
    X, y = _blocked(kind)
    # Unshuffled KFold(3) over blocks: the last training fold has no target row.
    with warnings.catch_warnings():
        # The first folds' weights collapse (a fold of source rows only is
        # weighed against the few target rows of another): not the point here.
        warnings.simplefilter("ignore", WeightCollapseWarning)
        with pytest.raises(ValueError, match=f"(?s)cross-validation fold.*{splitter}"):
            cross_val_score(estimator, X, y, cv=KFold(3), error_score="raise")


def test_reweighted_score_on_a_fold_of_target_rows_names_the_splitter():
    X, y = _blocked("regression")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WeightCollapseWarning)
        model = ReweightedEstimator(Ridge(), cv=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="(?s)every row is unlabelled.*LabeledKFold"):
        model.score(X[np.isnan(y)], y[np.isnan(y)])
