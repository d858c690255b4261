"""DensityRatioEstimator against analytic density ratios, and its input checks."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import RobustScaler, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from skratio import (
    DensityRatioEstimator,
    WeightCollapseWarning,
    default_classifier,
    stack_domains,
)
from skratio.datasets import make_gaussian_shift

from _helpers import gaussian_log_ratio


def _split(X, y, log_ratio, seed=0):
    """Half of the rows for fitting, half held out (both domains in each)."""
    rng = np.random.default_rng(seed)
    train = rng.random(len(y)) < 0.5
    return (X[train], y[train]), (X[~train], y[~train], log_ratio[~train])


def _asymptotic_log_ratio_rmse(X_train, y_train, true_logit, X_eval):
    """Expected RMSE of a maximum-likelihood logistic regression's log-odds.

    The MLE of ``beta`` in ``logit c(x) = beta . (1, x)`` is asymptotically
    normal with covariance ``(sum_i c_i (1 - c_i) z_i z_i^T)^-1``, ``z = (1, x)``,
    evaluated at the true ``c``. The log-ratio error at ``x`` is
    ``z . (beta_hat - beta)`` (the prior term is exact), so its mean square over
    the evaluation rows is ``tr(M Cov)`` with ``M = mean_x z z^T``.
    """
    Z = np.column_stack([np.ones(len(X_train)), X_train])
    c = 1.0 / (1.0 + np.exp(-true_logit))
    info = (Z * (c * (1 - c))[:, None]).T @ Z
    cov = np.linalg.inv(info)
    Z_eval = np.column_stack([np.ones(len(X_eval)), X_eval])
    M = Z_eval.T @ Z_eval / len(X_eval)
    return float(np.sqrt(np.trace(M @ cov)))


# n_0 / n_1 in {1/4, 1, 4, 20}, several dimensions.
GAUSSIAN_CASES = [
    (2, 500, 2000),
    (2, 2000, 2000),
    (5, 8000, 2000),
    (10, 20000, 1000),
    (10, 4000, 1000),
]


@pytest.mark.parametrize("n_features, n_source, n_target", GAUSSIAN_CASES)
def test_log_ratio_error_within_the_asymptotic_bound(n_features, n_source, n_target):
    X, y, log_ratio = make_gaussian_shift(
        n_source, n_target, n_features=n_features, shift=1.0, random_state=n_features
    )
    (X_train, y_train), (X_test, y_test, log_ratio_test) = _split(X, y, log_ratio)
    # Nearly unpenalised, so that the estimator is the MLE the bound is about.
    ratio = DensityRatioEstimator(LogisticRegression(C=1e4)).fit(X_train, y_train)
    gamma = np.sum(y_train == 0) / np.sum(y_train == 1)
    assert ratio.prior_ratio_ == pytest.approx(gamma)

    source = y_test == 0
    error = ratio.predict_log_weight(X_test[source]) - log_ratio_test[source]
    rmse = np.sqrt(np.mean(error**2))
    true_log_ratio = gaussian_log_ratio(X_train, 1 / np.sqrt(n_features), 0.0)
    train_logit = true_log_ratio - np.log(gamma)
    expected = _asymptotic_log_ratio_rmse(X_train, y_train, train_logit, X_test[source])
    # The squared error is a weighted sum of chi-square(1) variables with mean
    # expected**2; even if one term carried all the weight, exceeding 9 times
    # the mean has probability P(chi2_1 > 9) = 0.27%.
    assert rmse <= 3 * expected, (rmse, expected)


@pytest.mark.parametrize("n_source, n_target", [(1000, 4000), (4000, 200)])
def test_direction_of_the_ratio(n_source, n_target):
    X, y, log_ratio = make_gaussian_shift(
        n_source, n_target, n_features=2, random_state=0
    )
    ratio = DensityRatioEstimator(calibration=None).fit(X, y)
    log_weight = ratio.predict_log_weight(X)
    # w = p_target / p_source: high where the target is dense.
    assert np.corrcoef(log_weight, log_ratio)[0, 1] > 0.99
    assert np.mean(log_weight[y == 1]) > 0 > np.mean(log_weight[y == 0])

    # Swapping the domains inverts the ratio: a logistic regression's fit is
    # symmetric in the labels and the prior ratio becomes 1 / gamma.
    swapped = DensityRatioEstimator(calibration=None).fit(X, 1 - y)
    np.testing.assert_allclose(swapped.predict_log_weight(X), -log_weight, atol=1e-3)
    assert swapped.prior_ratio_ == pytest.approx(1 / ratio.prior_ratio_)


def test_target_label_names_the_numerator_whatever_the_sort_order():
    X, y, _ = make_gaussian_shift(300, 300, random_state=0)
    by_int = DensityRatioEstimator(calibration=None).fit(X, y)
    # "reference" sorts before "synthetic": a sort-order mapping would make the
    # synthetic rows the target and invert every weight.
    labels = np.where(y == 1, "reference", "synthetic")
    with pytest.raises(
        ValueError, match=r"\['reference', 'synthetic'\].*target_label="
    ):
        DensityRatioEstimator(calibration=None).fit(X, labels)
    by_str = DensityRatioEstimator(target_label="reference", calibration=None)
    by_str.fit(X, labels)
    assert list(by_str.classes_) == ["synthetic", "reference"]
    np.testing.assert_allclose(
        by_str.predict_log_weight(X), by_int.predict_log_weight(X)
    )
    inverted = DensityRatioEstimator(target_label="synthetic", calibration=None)
    inverted.fit(X, labels)
    np.testing.assert_allclose(
        inverted.predict_log_weight(X), -by_int.predict_log_weight(X), atol=1e-6
    )


def test_prior_correction_removes_the_class_imbalance_bias():
    # n_0 / n_1 = 20: without the prior term, every log-weight is off by log 20.
    X, y, log_ratio = make_gaussian_shift(20000, 1000, n_features=2, random_state=3)
    (X_train, y_train), (X_test, y_test, log_ratio_test) = _split(X, y, log_ratio)
    source = y_test == 0
    corrected = DensityRatioEstimator(LogisticRegression(C=1e4), calibration=None)
    corrected.fit(X_train, y_train)
    bias = np.mean(
        corrected.predict_log_weight(X_test[source]) - log_ratio_test[source]
    )
    true_log_ratio = gaussian_log_ratio(X_train, 1 / np.sqrt(2), 0.0)
    train_logit = true_log_ratio - np.log(corrected.prior_ratio_)
    bound = _asymptotic_log_ratio_rmse(X_train, y_train, train_logit, X_test[source])
    # |mean error| <= RMSE; the RMSE bound above gives 3 * expected.
    assert abs(bias) <= 3 * bound

    uncorrected = DensityRatioEstimator(
        LogisticRegression(C=1e4), prior_ratio=1.0, calibration=None
    )
    uncorrected.fit(X_train, y_train)
    shift = uncorrected.predict_log_weight(X_test) - corrected.predict_log_weight(
        X_test
    )
    np.testing.assert_allclose(shift, -np.log(corrected.prior_ratio_))


def test_weights_of_source_rows_average_to_one():
    # E_source[p_target / p_source] = 1 for the true ratio; the estimate must
    # agree within the Monte-Carlo error of the analytic weights plus the
    # estimation error (bounded as above, through exp(error) ~ 1 + error).
    X, y, log_ratio = make_gaussian_shift(20000, 5000, n_features=2, random_state=4)
    (X_train, y_train), (X_test, y_test, log_ratio_test) = _split(X, y, log_ratio)
    ratio = DensityRatioEstimator(LogisticRegression(C=1e4)).fit(X_train, y_train)
    source = y_test == 0
    true_w = np.exp(log_ratio_test[source])
    standard_error = true_w.std() / np.sqrt(source.sum())
    mean_w = ratio.predict_weight(X_test[source]).mean()
    true_log_ratio = gaussian_log_ratio(X_train, 1 / np.sqrt(2), 0.0)
    train_logit = true_log_ratio - np.log(ratio.prior_ratio_)
    estimation = _asymptotic_log_ratio_rmse(
        X_train, y_train, train_logit, X_test[source]
    )
    assert abs(mean_w - 1) <= 3 * standard_error + 3 * estimation * np.sqrt(
        np.mean(true_w**2)
    )


def test_out_of_fold_weights_come_from_models_that_did_not_see_the_row():
    X, y, _ = make_gaussian_shift(400, 200, n_features=3, random_state=5)
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    ratio = DensityRatioEstimator(cv=folds, calibration=None)
    weights = ratio.fit_predict_weight(X, y)
    for train, test in folds:
        fold = DensityRatioEstimator(calibration=None).fit(X[train], y[train])
        np.testing.assert_allclose(
            weights[test], fold.predict_weight(X[test]), rtol=1e-10
        )
    # ... and afterwards the estimator is fitted on all rows.
    full = DensityRatioEstimator(calibration=None).fit(X, y)
    np.testing.assert_allclose(ratio.predict_weight(X), full.predict_weight(X))


def test_out_of_fold_weights_are_as_honest_as_fresh_data_in_sample_are_not():
    # A forest of deep trees memorises its training rows: in-sample its domain
    # probabilities (hence weights) are optimistic; out of fold they score like
    # predictions on fresh data. The NCE turns weights into that comparison:
    # c = w / (w + gamma).
    X, y, _ = make_gaussian_shift(3000, 3000, n_features=2, random_state=6)
    X_fresh, y_fresh, _ = make_gaussian_shift(3000, 3000, n_features=2, random_state=60)
    forest = RandomForestClassifier(
        n_estimators=100, min_samples_leaf=5, random_state=0
    )
    ratio = DensityRatioEstimator(forest, random_state=0)
    oof_weight = ratio.fit_predict_weight(X, y)
    gamma = ratio.prior_ratio_

    def log_likelihood(weight, labels):
        c = weight / (weight + gamma)
        return np.where(labels == 1, np.log(c), np.log1p(-c))

    oof = log_likelihood(oof_weight, y)
    in_sample = log_likelihood(ratio.predict_weight(X), y)
    fresh = log_likelihood(ratio.predict_weight(X_fresh), y_fresh)
    # Three standard errors of the difference of two independent means.
    tolerance = 3 * np.sqrt(oof.var() / len(oof) + fresh.var() / len(fresh))
    assert abs(oof.mean() - fresh.mean()) <= tolerance
    # Optimism well beyond sampling noise (five times the 3-s.e. tolerance).
    assert in_sample.mean() - fresh.mean() > 5 * tolerance


def test_cross_fitting_is_reproducible_and_parallel_safe():
    X, y, _ = make_gaussian_shift(300, 300, random_state=7)
    serial = DensityRatioEstimator(random_state=0).fit_predict_weight(X, y)
    parallel = DensityRatioEstimator(random_state=0, n_jobs=2).fit_predict_weight(X, y)
    other_seed = DensityRatioEstimator(random_state=1).fit_predict_weight(X, y)
    np.testing.assert_allclose(serial, parallel)
    assert not np.allclose(serial, other_seed)


def test_power_and_clip_post_process_in_log_space():
    X, y, _ = make_gaussian_shift(500, 500, random_state=8)
    plain = DensityRatioEstimator(random_state=0).fit(X, y).predict_log_weight(X)
    flat = DensityRatioEstimator(power=0.3, random_state=0)
    flat = flat.fit(X, y).predict_log_weight(X)
    np.testing.assert_allclose(flat, 0.3 * plain)
    uniform = DensityRatioEstimator(power=0.0, random_state=0)
    uniform = uniform.fit(X, y).predict_weight(X)
    np.testing.assert_allclose(uniform, 1.0)

    upper = DensityRatioEstimator(clip=2.0, random_state=0).fit(X, y).predict_weight(X)
    np.testing.assert_allclose(upper, np.minimum(np.exp(plain), 2.0))
    both = DensityRatioEstimator(clip=(0.5, 2.0), random_state=0).fit(X, y)
    np.testing.assert_allclose(both.predict_weight(X), np.clip(np.exp(plain), 0.5, 2.0))
    oof = both.fit_predict_weight(X, y)
    assert oof.min() >= 0.5 and oof.max() <= 2.0


SEPARABLE_CLASSIFIERS = [
    LogisticRegression(C=1e6),  # log-odds read from decision_function
    DecisionTreeClassifier(),  # probabilities of exactly 0 and 1
    GaussianNB(),  # probabilities that underflow
    KNeighborsClassifier(3),
]


@pytest.mark.filterwarnings(
    "ignore::skratio.PoorOverlapWarning", "ignore::skratio.WeightCollapseWarning"
)
@pytest.mark.parametrize(
    "classifier", SEPARABLE_CLASSIFIERS, ids=lambda c: type(c).__name__
)
def test_separable_domains_give_finite_weights(classifier):
    rng = np.random.default_rng(0)
    X, y = stack_domains(rng.normal(-50, 1, (200, 2)), rng.normal(50, 1, (100, 2)))
    ratio = DensityRatioEstimator(classifier, random_state=0)
    oof = ratio.fit_predict_weight(X, y)
    far = np.array([[-1e4, -1e4], [1e4, 1e4]])
    for weights in (oof, ratio.predict_weight(X), ratio.predict_weight(far)):
        assert np.all(np.isfinite(weights)) and np.all(weights > 0)
    assert np.all(np.isfinite(ratio.predict_log_weight(far)))
    assert ratio.predict_weight(far)[1] > 1 > ratio.predict_weight(far)[0]


class _FixedProbability(ClassifierMixin, BaseEstimator):
    """A stub classifier that outputs given target probabilities."""

    def __init__(self, proba=None):
        self.proba = proba

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        p = np.asarray(self.proba, dtype=float)[: len(X)]
        return np.column_stack([1 - p, p])


@settings(max_examples=50, deadline=None)
@given(
    proba=st.lists(
        st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0)),
        min_size=2,
        max_size=20,
    ),
    power=st.floats(0.0, 1.0),
    prior_ratio=st.floats(1e-3, 1e3),
)
def test_weights_are_positive_finite_and_monotone(proba, power, prior_ratio):
    X = np.arange(len(proba), dtype=float).reshape(-1, 1)
    y = np.arange(len(proba)) % 2
    ratio = DensityRatioEstimator(
        _FixedProbability(proba),
        power=power,
        prior_ratio=prior_ratio,
        calibration=None,
    ).fit(X, y)
    log_weight = ratio.predict_log_weight(X)
    weight = ratio.predict_weight(X)
    assert (
        np.all(np.isfinite(log_weight))
        and np.all(weight > 0)
        and np.all(np.isfinite(weight))
    )
    order = np.argsort(proba, kind="stable")
    assert np.all(np.diff(log_weight[order]) >= 0)


@settings(max_examples=30, deadline=None)
@given(prior_ratio=st.floats(1e-3, 1e3), seed=st.integers(0, 1000))
def test_prior_ratio_override_shifts_log_weights_by_its_log(prior_ratio, seed):
    # The raw log-odds: the stated prior is added as it is.
    X, y, _ = make_gaussian_shift(60, 40, random_state=seed)
    estimated = DensityRatioEstimator(calibration=None).fit(X, y)
    overridden = DensityRatioEstimator(prior_ratio=prior_ratio, calibration=None)
    overridden.fit(X, y)
    np.testing.assert_allclose(
        overridden.predict_log_weight(X) - estimated.predict_log_weight(X),
        np.log(prior_ratio) - np.log(estimated.prior_ratio_),
        atol=1e-9,
    )


@pytest.mark.parametrize("prior_ratio", [0.1, 1.0, 30.0])
def test_a_calibrated_ratio_takes_its_prior_from_the_held_out_rows(prior_ratio):
    # prior_ratio states the prior the classifier was trained under; the
    # sigmoid calibration's shift is fitted against the held-out labels, which
    # hold the domains' real proportions, so the weights do not depend on it.
    X, y, log_ratio = make_gaussian_shift(600, 400, random_state=3)
    stated = DensityRatioEstimator(prior_ratio=prior_ratio, random_state=0)
    counted = DensityRatioEstimator(random_state=0)
    np.testing.assert_allclose(
        stated.fit_predict_weight(X, y), counted.fit_predict_weight(X, y), rtol=1e-6
    )
    stated.fit(X, y)
    counted.fit(X, y)
    np.testing.assert_allclose(
        stated.predict_log_weight(X), counted.predict_log_weight(X), atol=1e-6
    )


def test_a_classifier_trained_on_balanced_classes_gets_the_prior_once():
    # Trained on resampled, balanced classes, the classifier's log-odds hold no
    # prior: prior_ratio=1 says so, and the calibrated weights must then match
    # the true log-ratio, not be shifted by log(n_0 / n_1) = log 4.
    X, y, log_ratio = make_gaussian_shift(2000, 500, random_state=4)
    rng = np.random.default_rng(0)
    source, target = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
    balanced = np.concatenate([rng.choice(source, 500, replace=False), target])
    classifier = LogisticRegression().fit(X[balanced], y[balanced])
    ratio = DensityRatioEstimator(
        FrozenEstimator(classifier), prior_ratio=1.0, random_state=0
    ).fit(X, y)
    error = ratio.predict_log_weight(X) - log_ratio
    # The intercept of a logistic fit on 500 + 500 rows has a standard error
    # of about sqrt(1/500 + 1/500) = 0.063: 0.2 is three of them.
    assert abs(np.mean(error)) < 0.2


def test_sample_weight_sets_the_prior_ratio_and_reaches_the_classifier():
    X, y, _ = make_gaussian_shift(200, 100, random_state=9)
    sample_weight = np.where(y == 0, 0.5, 2.0)
    ratio = DensityRatioEstimator(calibration=None)
    ratio.fit(X, y, sample_weight=sample_weight)
    assert ratio.prior_ratio_ == pytest.approx((200 * 0.5) / (100 * 2.0))
    # The default classifier; its scaler takes no weights, the regression does.
    direct = default_classifier().fit(
        X, y, logisticregression__sample_weight=sample_weight
    )
    np.testing.assert_allclose(ratio.predict_proba(X), direct.predict_proba(X))


def test_sample_weight_is_routed_when_metadata_routing_is_enabled():
    X, y, _ = make_gaussian_shift(200, 100, random_state=10)
    sample_weight = np.linspace(0.1, 2.0, len(y))
    with config_context(enable_metadata_routing=True):
        classifier = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=True),
            LogisticRegression().set_fit_request(sample_weight=True),
        )
        ratio = DensityRatioEstimator(classifier, calibration=None)
        ratio.fit(X, y, sample_weight=sample_weight)
        oof = DensityRatioEstimator(
            classifier, cv=3, random_state=0
        ).fit_predict_weight(X, y, sample_weight=sample_weight)
    direct = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        X,
        y,
        standardscaler__sample_weight=sample_weight,
        logisticregression__sample_weight=sample_weight,
    )
    np.testing.assert_allclose(ratio.predict_proba(X), direct.predict_proba(X))
    # The unweighted fit differs, so the weights did reach the classifier.
    unweighted = DensityRatioEstimator(
        make_pipeline(StandardScaler(), LogisticRegression()), calibration=None
    )
    assert not np.allclose(
        unweighted.fit(X, y).predict_proba(X), direct.predict_proba(X)
    )
    assert np.all(np.isfinite(oof))


def test_score_is_the_mean_log_likelihood_of_the_domain_labels():
    X, y, _ = make_gaussian_shift(300, 100, random_state=11)
    ratio = DensityRatioEstimator(random_state=0).fit(X, y)
    assert ratio.score(X, y) == pytest.approx(-log_loss(y, ratio.predict_proba(X)))
    labels = np.where(y == 1, "ref", "bias")
    by_str = DensityRatioEstimator(target_label="ref", random_state=0).fit(X, labels)
    assert by_str.score(X, labels) == pytest.approx(ratio.score(X, y))
    with pytest.raises(ValueError, match="not seen in fit"):
        by_str.score(X, np.where(y == 1, "ref", "other"))


def test_grid_search_over_classifiers_ranks_by_nce():
    X, y, _ = make_gaussian_shift(400, 400, random_state=12)
    grid = {
        "classifier": [LogisticRegression(), DecisionTreeClassifier(random_state=0)]
    }
    search = GridSearchCV(DensityRatioEstimator(random_state=0), grid, cv=3).fit(X, y)
    for index, classifier in enumerate(grid["classifier"]):
        estimator = DensityRatioEstimator(classifier, random_state=0)
        scores = cross_val_score(estimator, X, y, cv=3)
        assert search.cv_results_["mean_test_score"][index] == pytest.approx(
            scores.mean()
        )
    # An unpruned tree's 0/1 probabilities cost a huge log-loss on held-out rows.
    assert isinstance(search.best_estimator_.classifier_, LogisticRegression)


def test_hist_gradient_boosting_accepts_nan():
    X, y, _ = make_gaussian_shift(300, 300, random_state=13)
    X[::7, 0] = np.nan
    ratio = DensityRatioEstimator(HistGradientBoostingClassifier(max_iter=20)).fit(X, y)
    assert np.all(np.isfinite(ratio.predict_log_weight(X)))


# Bad inputs, each a clear error.


@pytest.fixture
def gaussian():
    X, y, _ = make_gaussian_shift(50, 50, random_state=0)
    return X, y


def test_one_domain_is_an_error(gaussian):
    X, _ = gaussian
    with pytest.raises(ValueError, match="two domains"):
        DensityRatioEstimator().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="two domains"):
        DensityRatioEstimator().fit_predict_weight(X, np.ones(len(X)))


def test_more_than_two_domains_is_an_error(gaussian):
    X, _ = gaussian
    with pytest.raises(ValueError, match="Only binary"):
        DensityRatioEstimator().fit(X, np.arange(len(X)) % 3)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_nan_and_inf_are_rejected_when_the_classifier_does_not_accept_them(
    gaussian, value
):
    X, y = gaussian
    X = X.copy()
    X[3, 1] = value
    with pytest.raises(ValueError, match="NaN|infinity"):
        DensityRatioEstimator().fit(X, y)
    fitted = DensityRatioEstimator().fit(*gaussian)
    with pytest.raises(ValueError, match="NaN|infinity"):
        fitted.predict_weight(X)


def test_inf_is_rejected_even_when_nan_is_accepted(gaussian):
    X, y = gaussian
    X = X.copy()
    X[3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        DensityRatioEstimator(HistGradientBoostingClassifier()).fit(X, y)


def test_wrong_number_of_features_at_predict(gaussian):
    X, y = gaussian
    ratio = DensityRatioEstimator().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        ratio.predict_weight(X[:, :1])


def test_the_only_source_may_be_named_and_no_other_label(gaussian):
    # A two-domain estimator is the one-source case of the protocol that
    # MultiSourceRatio shares: source= names its single source, and the target
    # (or an unseen label) is not a source.
    X, y = gaussian
    labels = np.where(y == 1, "ref", "gen")
    ratio = DensityRatioEstimator(target_label="ref").fit(X, labels)
    np.testing.assert_array_equal(
        ratio.predict_log_weight(X[:20], source="gen"), ratio.predict_log_weight(X[:20])
    )
    np.testing.assert_array_equal(
        ratio.predict_weight(X[:20], source="gen"), ratio.predict_weight(X[:20])
    )
    for label in ("ref", "other"):
        with pytest.raises(ValueError, match="not one of the source labels"):
            ratio.predict_weight(X[:20], source=label)


def test_empty_input(gaussian):
    X, y = gaussian
    with pytest.raises(ValueError, match="0 sample"):
        DensityRatioEstimator().fit(X[:0], y[:0])
    ratio = DensityRatioEstimator().fit(X, y)
    with pytest.raises(ValueError, match="0 sample"):
        ratio.predict_weight(X[:0])


@pytest.mark.parametrize(
    "method", ["predict_weight", "predict_log_weight", "predict_proba", "predict"]
)
def test_unfitted_use(gaussian, method):
    with pytest.raises(NotFittedError):
        getattr(DensityRatioEstimator(), method)(gaussian[0])


def test_unfitted_score(gaussian):
    with pytest.raises(NotFittedError):
        DensityRatioEstimator().score(*gaussian)


def test_classifier_without_predict_proba(gaussian):
    with pytest.raises(ValueError, match="predict_proba"):
        DensityRatioEstimator(LinearSVC()).fit(*gaussian)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"power": 1.5}, "power"),
        ({"power": -0.1}, "power"),
        ({"clip": (2.0, 1.0)}, "lower < upper"),
        ({"clip": (1.0, 2.0, 3.0)}, "clip"),
        ({"clip": -1.0}, "clip"),
        ({"prior_ratio": 0.0}, "prior_ratio"),
    ],
)
def test_invalid_parameters(gaussian, params, match):
    with pytest.raises(ValueError, match=match):
        DensityRatioEstimator(**params).fit(*gaussian)


def test_negative_sample_weight(gaussian):
    X, y = gaussian
    with pytest.raises(ValueError, match="(?i)negative"):
        DensityRatioEstimator().fit(X, y, sample_weight=-np.ones(len(y)))


def test_zero_weight_domain(gaussian):
    X, y = gaussian
    with pytest.raises(ValueError, match="positive total sample weight"):
        DensityRatioEstimator().fit(X, y, sample_weight=(y == 1).astype(float))


def test_sample_weight_for_a_classifier_that_cannot_take_it(gaussian):
    X, y = gaussian
    with pytest.raises(TypeError, match="sample_weight.*metadata routing"):
        DensityRatioEstimator(KNeighborsClassifier()).fit(
            X, y, sample_weight=np.ones(len(y)) * 2
        )


def test_metadata_routing_without_sample_weight_needs_no_request(gaussian):
    X, y = gaussian
    with config_context(enable_metadata_routing=True):
        routed = DensityRatioEstimator(random_state=0).fit(X, y)
    np.testing.assert_allclose(
        routed.predict_weight(X),
        DensityRatioEstimator(random_state=0).fit(X, y).predict_weight(X),
    )


@pytest.mark.parametrize(
    "load",
    [load_breast_cancer, load_digits, load_diabetes, load_wine],
    ids=["breast_cancer", "digits", "diabetes", "wine"],
)
def test_default_classifier_converges_on_raw_real_data(load):
    # The default classifier standardises its input: at the raw scale of these
    # datasets (features from 1e-3 to 1e3) a bare logistic regression needs
    # thousands of L-BFGS iterations (benchmarks/default_classifier.py).
    X = load().data
    rng = np.random.default_rng(0)
    # A selection that depends on the features: rows above the median of the
    # first feature are twice as likely to be in the target.
    above = X[:, 0] > np.median(X[:, 0])
    y = (rng.random(len(X)) < np.where(above, 0.4, 0.2)).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("error", WeightCollapseWarning)
        weights = DensityRatioEstimator(random_state=0).fit_predict_weight(X, y)
    assert np.isfinite(weights).all() and (weights > 0).all()
    # The true weights lie within a factor 2 of each other (their effective
    # sample size is at least 8/9 of the rows), so a WeightCollapseWarning
    # (ESS < 10%), raised as an error above, is the classifier's doing: with
    # standardised features it fires on digits, whose first pixel is always 0,
    # so that there the two domains do not differ at all.


# ---------------------------------------------------------------------------
# The default calibration of the log-odds


def _rmse_to_truth(ratio, X, log_ratio):
    return float(np.sqrt(np.mean((ratio.predict_log_weight(X) - log_ratio) ** 2)))


def test_calibration_keeps_the_scale_of_a_classifier_with_exact_probabilities():
    # Ten neighbours give probabilities of exactly 0 or 1 for many rows, whose
    # log-odds sit at the float bound (about 36.7). Fitted as they are, they
    # drive the calibrated scale to about 0.07 and the weights are nearly flat:
    # no better than the best constant log-weight, whose error on the source
    # rows is the standard deviation of the true log-ratio there (0.92 against
    # 0.98 before the saturated rows were bounded; 0.64 after).
    X, y, log_ratio = make_gaussian_shift(
        n_source=2000, n_target=1000, n_features=2, random_state=0
    )
    ratio = DensityRatioEstimator(KNeighborsClassifier(10), random_state=0)
    source = y == 0
    log_weight = np.log(ratio.fit_predict_weight(X, y)[source])
    error = np.sqrt(np.mean((log_weight - log_ratio[source]) ** 2))
    assert error < 0.75 * np.std(log_ratio[source])
    # Prediction bounds the saturated rows the same way: finite, moderate.
    predicted = ratio.predict_log_weight(X)
    assert np.abs(predicted).max() < 10


def test_calibration_undoes_an_overconfident_classifier():
    # Naive Bayes on 5 copies of each feature counts the evidence 5 times: its
    # log-odds are 5 times the true log-ratio f (f ~ N(+-1/2, 1), E f^2 = 5/4),
    # an RMSE of about 4 * 1.12 = 4.5 raw. a * s + b with a = 1/5 contains the
    # truth, so only estimation error is left: that of the well-specified
    # logistic regression (0.07 here) plus the calibration's, O(1/sqrt(n)).
    X, y, _ = make_gaussian_shift(2000, 2000, n_features=2, random_state=0)
    X_test, _, log_ratio_test = make_gaussian_shift(
        2000, 2000, n_features=2, random_state=1
    )
    X, X_test = np.repeat(X, 5, axis=1), np.repeat(X_test, 5, axis=1)
    raw = DensityRatioEstimator(GaussianNB(), calibration=None).fit(X, y)
    calibrated = DensityRatioEstimator(GaussianNB(), random_state=0).fit(X, y)
    assert _rmse_to_truth(raw, X_test, log_ratio_test) > 3.0
    assert _rmse_to_truth(calibrated, X_test, log_ratio_test) < 0.2
    scale, _ = calibrated.log_odds_scaling_
    assert scale == pytest.approx(1 / 5, abs=0.03)


def test_calibration_undoes_part_of_an_over_penalised_classifier():
    # A penalty 100 times the default's shrinks the slope toward 0: the raw
    # log-ratio is much too flat (RMSE 2.4 where the well-specified fit has
    # 0.22). The shrinkage is a common factor of a well-ranked linear score,
    # which the calibration's scale a > 1 partly restores: 1.29 with this seed
    # (the held-out likelihood pins the scale down only near the boundary).
    X, y, _ = make_gaussian_shift(2000, 2000, n_features=4, shift=3.0, random_state=2)
    X_test, _, log_ratio_test = make_gaussian_shift(
        2000, 2000, n_features=4, shift=3.0, random_state=3
    )
    flat = make_pipeline(StandardScaler(), LogisticRegression(C=1e-2))
    raw = DensityRatioEstimator(flat, calibration=None).fit(X, y)
    calibrated = DensityRatioEstimator(flat, random_state=0).fit(X, y)
    raw_error = _rmse_to_truth(raw, X_test, log_ratio_test)
    assert raw_error > 2.0
    assert calibrated.log_odds_scaling_[0] > 1.5
    assert _rmse_to_truth(calibrated, X_test, log_ratio_test) < raw_error / 1.5


@pytest.mark.parametrize("method", ["sigmoid", "temperature"])
def test_fit_and_cross_fitting_calibrate_alike(method):
    # fit calibrates on 2 folds, fit_predict_weight on its 5: both estimate the
    # same map, within the calibration's sampling error.
    X, y, _ = make_gaussian_shift(3000, 1500, n_features=3, random_state=4)
    fitted = DensityRatioEstimator(calibration=method, random_state=0).fit(X, y)
    crossed = DensityRatioEstimator(calibration=method, random_state=0)
    crossed.fit_predict_weight(X, y)
    np.testing.assert_allclose(
        fitted.log_odds_scaling_, crossed.log_odds_scaling_, atol=0.1
    )
    if method == "temperature":
        assert fitted.log_odds_scaling_[1] == 0.0
    # The well-specified default needs almost no correction.
    assert fitted.log_odds_scaling_[0] == pytest.approx(1.0, abs=0.1)


def test_calibrated_proba_and_weights_agree():
    X, y, _ = make_gaussian_shift(300, 200, random_state=5)
    ratio = DensityRatioEstimator(GaussianNB(), random_state=0).fit(X, y)
    proba = ratio.predict_proba(X)[:, 1]
    # log w = log gamma + logit c_cal(x), with the calibrated probabilities.
    np.testing.assert_allclose(
        ratio.predict_log_weight(X),
        np.log(ratio.prior_ratio_) + np.log(proba) - np.log1p(-proba),
        rtol=1e-6,
        atol=1e-8,
    )
    # Refitting without calibration forgets the calibration.
    ratio.set_params(calibration=None).fit(X, y)
    assert not hasattr(ratio, "log_odds_scaling_")
    np.testing.assert_allclose(
        ratio.predict_proba(X), ratio.classifier_.predict_proba(X)
    )


def test_calibration_needs_two_rows_of_each_domain():
    X = np.arange(6.0).reshape(-1, 1)
    y = np.array([0, 0, 0, 0, 0, 1])
    with pytest.raises(ValueError, match="single row.*calibration=None"):
        DensityRatioEstimator().fit(X, y)
    DensityRatioEstimator(calibration=None).fit(X, y)


def test_the_default_classifier_is_public_and_tunable():
    X, y, _ = make_gaussian_shift(200, 200, random_state=6)
    grid = {"classifier__logisticregression__C": [0.01, 1.0]}
    with pytest.raises(ValueError, match=r"skratio\.default_classifier\(\)"):
        GridSearchCV(DensityRatioEstimator(), grid, cv=3).fit(X, y)
    search = GridSearchCV(
        DensityRatioEstimator(default_classifier(), random_state=0), grid, cv=3
    ).fit(X, y)
    assert search.best_params_["classifier__logisticregression__C"] in (0.01, 1.0)
    # The same classifier as the default: the same weights.
    np.testing.assert_allclose(
        DensityRatioEstimator(default_classifier(), random_state=0)
        .fit(X, y)
        .predict_log_weight(X),
        DensityRatioEstimator(random_state=0).fit(X, y).predict_log_weight(X),
    )


def test_the_default_classifier_bounds_outlying_values():
    # One source row 1000 interquartile ranges out on a feature that does not
    # shift: unbounded, its weight dwarfs all others; bounded, it stays ordinary.
    rng = np.random.default_rng(7)
    X, y, log_ratio = make_gaussian_shift(400, 200, n_features=2, random_state=7)
    X = np.column_stack([X, rng.standard_normal(len(y))])
    X[0, 2] = -1000.0
    assert y[0] == 0
    bounded = DensityRatioEstimator(random_state=0).fit(X, y)
    unbounded = DensityRatioEstimator(
        make_pipeline(RobustScaler(), LogisticRegression(max_iter=1000)),
        random_state=0,
    ).fit(X, y)
    clip = default_classifier().named_steps["clipfeatures"]
    assert clip.bound == 5.0
    assert np.all(np.abs(clip.transform(RobustScaler().fit_transform(X))) <= 5.0)
    error = bounded.predict_log_weight(X[:1]) - log_ratio[:1]
    assert abs(error[0]) < abs(unbounded.predict_log_weight(X[:1])[0] - log_ratio[0])


def test_a_feature_in_tiny_units_is_named_in_a_warning():
    # The robust scaler leaves a column whose interquartile range is below
    # 10 machine epsilons unscaled, so its effect on the weights is lost:
    # a warning names it (and only it).
    X, y, _ = make_gaussian_shift(500, 500, n_features=3, shift=2.0, random_state=0)
    X = pd.DataFrame(X, columns=["radius", "texture", "area"])
    X["radius"] *= 1e-15
    with pytest.warns(UserWarning, match=r"'radius' vary by less than") as caught:
        DensityRatioEstimator(random_state=0).fit(X, y)
    assert not any("texture" in str(w.message) for w in caught)
    X["radius"] *= 1e5  # an interquartile range of about 1e-10 is scaled: quiet
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        DensityRatioEstimator(random_state=0).fit(X, y)


def test_out_of_fold_weights_average_the_calibrated_models_of_each_fold():
    # Recomputed with scikit-learn alone: each held-out row's log-weight is
    # log(n0/n1) + the logit of the mean calibrated P(target) of the 5 models
    # fitted on the inner folds (StratifiedKFold, shuffled, seeded by
    # random_state) of its fold's training rows, each calibrated by an
    # unpenalised logistic fit (C=1e12: a penalty of 1e-12 / 2 per unit of
    # slope) on its own held-out log-odds with the prior it was trained under
    # replaced by the held-out rows' proportions.
    X, y, _ = make_gaussian_shift(300, 150, n_features=2, random_state=3)
    outer = list(StratifiedKFold(3, shuffle=True, random_state=1).split(X, y))
    ratio = DensityRatioEstimator(random_state=7)
    log_weight = np.log(ratio.fit_predict_weight(X, y, cv=outer))

    def log_prior(rows):
        return np.log(np.sum(y[rows] == 0) / np.sum(y[rows] == 1))

    expected = np.empty(y.shape[0])
    pooled_z, pooled_y = [], []
    for train, test in outer:
        inner = StratifiedKFold(5, shuffle=True, random_state=7)
        p_target, p_source = [], []
        for fit_part, held_part in inner.split(X[train], y[train]):
            fit_rows, held_rows = train[fit_part], train[held_part]
            model = default_classifier().fit(X[fit_rows], y[fit_rows])
            offset = log_prior(fit_rows) - log_prior(held_rows)
            z_held = model.decision_function(X[held_rows]) + offset
            calibration = LogisticRegression(C=1e12, tol=1e-12, max_iter=10_000).fit(
                z_held[:, np.newaxis], y[held_rows]
            )
            z_test = model.decision_function(X[test]) + offset
            calibrated = calibration.decision_function(z_test[:, np.newaxis])
            p_target.append(expit(calibrated))
            p_source.append(expit(-calibrated))
            pooled_z.append(z_held)
            pooled_y.append(y[held_rows])
        expected[test] = (
            np.log(300 / 150)
            + np.log(np.mean(p_target, axis=0))
            - np.log(np.mean(p_source, axis=0))
        )
    np.testing.assert_allclose(log_weight, expected, atol=1e-5)
    # The model fitted on all rows is calibrated on every inner model's
    # held-out log-odds, pooled (each row twice here: 2 of 3 training parts).
    pooled_y = np.concatenate(pooled_y)
    calibration = LogisticRegression(C=1e12, tol=1e-12, max_iter=10_000).fit(
        np.concatenate(pooled_z)[:, np.newaxis], pooled_y
    )
    pooled_log_prior = np.log(np.sum(pooled_y == 0) / np.sum(pooled_y == 1))
    final = default_classifier().fit(X, y)
    z = final.decision_function(X) + np.log(300 / 150) - pooled_log_prior
    np.testing.assert_allclose(
        ratio.predict_log_weight(X),
        pooled_log_prior + calibration.decision_function(z[:, np.newaxis]),
        atol=1e-5,
    )


def test_cross_fitting_needs_folds_that_hold_out_every_row_once():
    X, y, _ = make_gaussian_shift(60, 60, n_features=2, random_state=0)
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    left_out = [(train, test[1:]) for train, test in folds]
    twice = folds + folds[:1]
    for cv, counts in [(left_out, "3 rows .* no fold and 0"), (twice, "0 rows .* 40")]:
        for ratio in (DensityRatioEstimator(), DensityRatioEstimator(calibration=None)):
            with pytest.raises(ValueError, match=f"hold out every row once; {counts}"):
                ratio.fit_predict_weight(X, y, cv=cv)


def test_a_fold_too_small_for_the_inner_calibration_folds_says_so():
    # 3 target rows on 3 folds: a fold's training rows hold 2 of them, enough
    # for 2 inner folds; on 2 folds with 2 target rows, one is left: refused.
    X = np.arange(20.0).reshape(-1, 1)
    y = np.zeros(20)
    y[[3, 10, 17]] = 1
    weights = DensityRatioEstimator(random_state=0).fit_predict_weight(X, y, cv=3)
    assert np.all(np.isfinite(weights)) and np.all(weights > 0)
    y = np.zeros(20)
    y[[3, 17]] = 1
    with pytest.raises(ValueError, match="hold 1 row.*fewer folds"):
        DensityRatioEstimator(random_state=0).fit_predict_weight(X, y, cv=2)
    # Rows of weight 0 do not count: a fold whose training rows hold no
    # weighted target row is refused, not fitted on one domain.
    y = np.zeros(20)
    y[[3, 10, 17]] = 1
    folds = [
        (np.setdiff1d(np.arange(20), part), part)
        for part in (np.arange(0, 7), np.arange(7, 14), np.arange(14, 20))
    ]
    sample_weight = np.where(np.isin(np.arange(20), [10, 17]), 0.0, 1.0)
    with pytest.raises(ValueError, match="hold 0 row.*positive weight"):
        DensityRatioEstimator(random_state=0).fit_predict_weight(
            X, y, sample_weight=sample_weight, cv=folds
        )


def test_rows_of_weight_zero_take_no_part_in_the_calibration_ensemble():
    # A row of weight 0 is a row left out: the other rows' out-of-fold weights
    # are those of the data without it, given the same outer folds.
    X, y, _ = make_gaussian_shift(200, 100, n_features=2, random_state=6)
    rng = np.random.default_rng(0)
    X_extra = np.vstack([X, rng.normal(0.0, 1.0, (30, 2))])
    y_extra = np.r_[y, np.ones(15), np.zeros(15)]
    sample_weight = np.r_[np.ones(300), np.zeros(30)]
    fold = rng.integers(0, 3, y_extra.shape[0])
    folds = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(3)]
    kept = [(train[train < 300], test[test < 300]) for train, test in folds]
    weighted = DensityRatioEstimator(random_state=0).fit_predict_weight(
        X_extra, y_extra, sample_weight=sample_weight, cv=folds
    )
    left_out = DensityRatioEstimator(random_state=0).fit_predict_weight(X, y, cv=kept)
    np.testing.assert_allclose(weighted[:300], left_out, rtol=1e-10)
