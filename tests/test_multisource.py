"""Tests of MultiSourceRatio: K biased sources, one target, one classifier."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import softmax
from scipy.stats import norm
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KernelDensity
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from skratio import (
    CalibratedRatio,
    DensityRatioEstimator,
    MultiSourceRatio,
    PoorOverlapWarning,
    SIRResampler,
    TelescopingRatio,
    WeightedGenerativeTrainer,
)
from skratio._base import BaseRatioEstimator
from skratio._protocol import RATIO_ESTIMATOR_METHODS

from _helpers import DEFAULT_CLASSIFIER_CHECKS, gaussian_log_ratio

# Three sources N(mu_k, I) and a target N(0, I) in two dimensions; unequal
# source sizes so that every prior ratio n_k / n_target differs.
TARGET_MEAN = np.zeros(2)
SOURCE_MEANS = {
    "a": np.array([1.0, 0.0]),
    "b": np.array([-0.5, 1.0]),
    "c": np.array([0.0, -1.5]),
}
SIZES = {"a": 3000, "b": 1500, "c": 600, "t": 1000}


def _sample(sizes, seed, means=None):
    means = {**SOURCE_MEANS, "t": TARGET_MEAN} if means is None else means
    rng = np.random.default_rng(seed)
    X = np.concatenate(
        [
            rng.standard_normal((n, means[label].shape[0])) + means[label]
            for label, n in sizes.items()
        ]
    )
    y = np.repeat(list(sizes), list(sizes.values()))
    return X, y


def _asymptotic_rmse(X_train, y_train, X_eval, source):
    """Expected RMSE of the multinomial MLE's log-ratio to ``source``.

    With the target as reference class, ``log c_k - log c_t = z . beta_k``
    (``z = (1, x)``) and the fitted log-ratio's error is ``-z . (beta_k_hat -
    beta_k)`` (the prior term is exact). The MLE is asymptotically normal with
    covariance the inverse Fisher information ``sum_i (diag(P_i) - P_i P_i^T)
    kron z_i z_i^T`` over the K free classes, at the true class probabilities
    ``P_ij`` (softmax of ``log p_j(x_i) + log n_j``). The mean squared error
    over the evaluation rows is ``tr(M Cov_kk)``, ``M = mean z z^T``.
    """
    sources = sorted(SOURCE_MEANS)
    Z = np.column_stack([np.ones(len(X_train)), X_train])
    # log p_j(x) up to a constant shared by all classes (unit covariances).
    eta = np.column_stack(
        [
            -0.5 * ((X_train - SOURCE_MEANS[s]) ** 2).sum(1)
            + np.log(np.sum(y_train == s))
            for s in sources
        ]
    )
    eta_target = -0.5 * (X_train**2).sum(1) + np.log(np.sum(y_train == "t"))
    P = softmax(np.column_stack([eta, eta_target]), axis=1)[:, :-1]
    A = np.einsum("ia,ab->iab", P, np.eye(len(sources))) - np.einsum("ia,ib->iab", P, P)
    p = Z.shape[1]
    info = np.einsum("iab,ic,id->acbd", A, Z, Z).reshape(len(sources) * p, -1)
    cov = np.linalg.inv(info)
    k = sources.index(source)
    block = cov[k * p : (k + 1) * p, k * p : (k + 1) * p]
    Z_eval = np.column_stack([np.ones(len(X_eval)), X_eval])
    return float(np.sqrt(np.trace(Z_eval.T @ Z_eval / len(X_eval) @ block)))


@pytest.fixture(scope="module")
def gaussians():
    X, y = _sample(SIZES, seed=0)
    X_test, y_test = _sample(SIZES, seed=1)
    # Nearly unpenalised, so that the estimator is the MLE of the bound.
    ratio = MultiSourceRatio(LogisticRegression(C=1e4), target_label="t").fit(X, y)
    return X, y, X_test, y_test, ratio


@pytest.mark.parametrize("source", sorted(SOURCE_MEANS))
def test_log_ratio_error_within_the_asymptotic_bound(gaussians, source):
    X, y, X_test, y_test, ratio = gaussians
    rows = y_test == source
    truth = gaussian_log_ratio(X_test[rows], TARGET_MEAN, SOURCE_MEANS[source])
    error = ratio.predict_log_weight(X_test[rows], source=source) - truth
    rmse = np.sqrt(np.mean(error**2))
    expected = _asymptotic_rmse(X, y, X_test[rows], source)
    # The squared error is a weighted sum of chi-square(1) variables with mean
    # expected**2; even if one term carried all the weight, exceeding 9 times
    # the mean has probability P(chi2_1 > 9) = 0.27%.
    assert rmse <= 3 * expected, (rmse, expected)
    # The bound is informative: far below the spread of the true log-ratio.
    assert expected < 0.1 * np.std(truth)


def test_every_source_at_once_and_the_direction(gaussians):
    X, y, X_test, y_test, ratio = gaussians
    assert ratio.sources_.tolist() == ["a", "b", "c"]
    assert ratio.classes_.tolist() == ["a", "b", "c", "t"]
    matrix = ratio.predict_log_weight(X_test)
    assert matrix.shape == (X_test.shape[0], 3)
    for k, source in enumerate(ratio.sources_):
        np.testing.assert_array_equal(
            matrix[:, k], ratio.predict_log_weight(X_test, source=source)
        )
        # w_k = p_t / p_k, high where the target is dense:
        # E_t[log w_k] = KL(t || k) > 0 > -KL(k || t) = E_k[log w_k].
        truth = gaussian_log_ratio(X_test, TARGET_MEAN, SOURCE_MEANS[source])
        assert np.corrcoef(matrix[:, k], truth)[0, 1] > 0.99
        kl = SOURCE_MEANS[source] @ SOURCE_MEANS[source] / 2
        for rows, expected in ((y_test == "t", kl), (y_test == source, -kl)):
            # The true log-ratio has standard deviation |mu_k| on either domain:
            # 4 standard errors of the mean over the rows, plus the estimation
            # error, whose mean is at most its RMSE (bounded as above).
            tolerance = 4 * np.sqrt(2 * kl / rows.sum()) + 3 * _asymptotic_rmse(
                X, y, X_test[rows], source
            )
            assert np.mean(matrix[rows, k]) == pytest.approx(expected, abs=tolerance)
    np.testing.assert_allclose(
        ratio.predict_weight(X_test[:5], source="b"), np.exp(matrix[:5, 1])
    )


def test_prior_correction_per_source(gaussians):
    X, y, X_test, _, ratio = gaussians
    np.testing.assert_allclose(ratio.prior_ratios_, [3.0, 1.5, 0.6])
    # Gaussian naive Bayes learns each domain's mean and variance and its prior
    # n_j / n: repeating the rows of source "a" doubles its prior and leaves the
    # rest unchanged, so with a right prior correction no weight moves (without
    # it, log w_a would shift by log 2 = 0.69). Row weights of 2 are the same.
    once = MultiSourceRatio(GaussianNB(), target_label="t").fit(X, y)
    a = y == "a"
    twice = MultiSourceRatio(GaussianNB(), target_label="t").fit(
        np.concatenate([X, X[a]]), np.concatenate([y, y[a]])
    )
    np.testing.assert_allclose(twice.prior_ratios_, [6.0, 1.5, 0.6])
    np.testing.assert_allclose(
        twice.predict_log_weight(X_test), once.predict_log_weight(X_test), atol=1e-6
    )
    weighted = MultiSourceRatio(GaussianNB(), target_label="t").fit(
        X, y, sample_weight=np.where(a, 2.0, 1.0)
    )
    np.testing.assert_allclose(
        weighted.predict_log_weight(X_test), once.predict_log_weight(X_test), atol=1e-6
    )
    # Balanced class weights make the classifier's odds of source k move by
    # n_t / n_k, which the prior ratios must take back: a missed correction
    # shifts column k by |log(n_k / n_t)| >= 0.41 on average; a right one
    # leaves only the estimation noise of two fits (asymptotic RMSE <= 0.12).
    balanced = MultiSourceRatio(
        LogisticRegression(C=1e4, class_weight="balanced"), target_label="t"
    ).fit(X, y)
    np.testing.assert_allclose(balanced.prior_ratios_, 1.0)
    difference = balanced.predict_log_weight(X_test) - ratio.predict_log_weight(X_test)
    shift = difference.mean(axis=0)
    assert (np.abs(shift) < np.abs(np.log(ratio.prior_ratios_)) / 2).all(), shift


@pytest.mark.parametrize(
    "leaf",
    [MultiSourceRatio, DensityRatioEstimator, TelescopingRatio, CalibratedRatio],
)
def test_the_leaves_implement_hooks_not_the_public_methods(leaf):
    # Every public method of a ratio estimator lives in BaseRatioEstimator once;
    # a leaf that re-implemented one would miss what the base adds (dask
    # input, overlap diagnostics, chunked prediction).
    public = [*RATIO_ESTIMATOR_METHODS, "predict_proba", "predict", "score"]
    for klass in leaf.__mro__[: leaf.__mro__.index(BaseRatioEstimator)]:
        assert not set(public) & set(vars(klass)), klass


def test_two_labels_agree_with_the_binary_estimator():
    X, y = _sample({"a": 800, "t": 300}, seed=3)
    y01 = (y == "t").astype(int)
    multi = MultiSourceRatio().fit(X, y01)
    # MultiSourceRatio does not calibrate its log-odds: compare the raw ones.
    binary = DensityRatioEstimator(calibration=None).fit(X, y01)
    np.testing.assert_allclose(
        multi.predict_log_weight(X, source=0), binary.predict_log_weight(X), atol=1e-6
    )
    assert multi.prior_ratios_[0] == pytest.approx(binary.prior_ratio_)


class _MemoryClassifier(ClassifierMixin, BaseEstimator):
    """Puts probability 0.9 on the label of a row it was fitted on, uniform otherwise.

    Column 0 of X is a row id, so a weight reveals whether the classifier that
    gave it saw the row.
    """

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.seen_ = dict(zip(X[:, 0].tolist(), y.tolist()))
        return self

    def predict_proba(self, X):
        n = len(self.classes_)
        proba = np.full((len(X), n), 1.0 / n)
        for i, row_id in enumerate(X[:, 0].tolist()):
            if row_id in self.seen_:
                proba[i] = 0.1 / (n - 1)
                proba[i, self.seen_[row_id]] = 0.9
        return proba


@pytest.mark.filterwarnings(
    "ignore::skratio.PoorOverlapWarning", "ignore::skratio.WeightCollapseWarning"
)
def test_fit_predict_weight_is_out_of_fold_and_relative_to_the_own_source():
    sizes = {"a": 400, "b": 200, "t": 100}
    y = np.repeat(list(sizes), list(sizes.values()))
    X = np.column_stack([np.arange(len(y)), np.zeros(len(y))]).astype(float)
    ratio = MultiSourceRatio(
        _MemoryClassifier(), target_label="t", cv=5, random_state=0
    )
    weights = ratio.fit_predict_weight(X, y)
    # A classifier that did not see the row is uniform, so the weight of a row of
    # source k is the prior ratio n_k / n_t of the training folds (sizes divisible
    # by 5: exactly 4 and 2); one that saw it puts 0.9 on the row's own source
    # and 0.05 on the target, 18 times less.
    np.testing.assert_allclose(weights[y == "a"], 4.0)
    np.testing.assert_allclose(weights[y == "b"], 2.0)
    np.testing.assert_array_equal(weights[y == "t"], 1.0)
    # Afterwards fitted on all rows: in-sample weights are the seen ones.
    assert ratio.predict_weight(X[:1], source="a")[0] == pytest.approx(4 * 0.05 / 0.9)


def test_cv_keyword_sets_the_folds():
    sizes = {"a": 40, "b": 20, "t": 20}
    y = np.repeat(list(sizes), list(sizes.values()))
    X = np.column_stack([np.arange(len(y)), np.zeros(len(y))]).astype(float)
    ratio = MultiSourceRatio(_MemoryClassifier(), target_label="t", cv=5)
    # One fold that trains on the even rows and weighs the odd ones: even rows
    # were seen by the all-rows fit only, so only odd rows get out-of-fold weights.
    even, odd = np.arange(0, 80, 2), np.arange(1, 80, 2)
    weights = ratio.fit_predict_weight(X, y, cv=[(even, odd), (odd, even)])
    np.testing.assert_allclose(weights[y == "a"], 2.0)
    np.testing.assert_allclose(weights[y == "b"], 1.0)


def test_score_is_the_mean_log_likelihood(gaussians):
    _, _, X_test, y_test, ratio = gaussians
    proba = ratio.predict_proba(X_test)
    expected = -log_loss(y_test, proba, labels=ratio.classes_.tolist())
    # log_loss sorts the labels; classes_ is sorted too here (target "t" last).
    assert ratio.score(X_test, y_test) == pytest.approx(expected, rel=1e-9)
    prior_only = MultiSourceRatio(DummyClassifier(), target_label="t")
    prior_only.fit(X_test, y_test)
    assert ratio.score(X_test, y_test) > prior_only.score(X_test, y_test) + 0.1
    assert ratio.predict(X_test[:3]).tolist()[0] in ratio.classes_.tolist()


def test_saturated_probabilities_give_finite_weights():
    X, y = _sample(
        {"a": 100, "b": 100, "t": 100},
        seed=2,
        means={"a": np.array([-20.0]), "b": np.array([20.0]), "t": np.array([0.0])},
    )
    ratio = MultiSourceRatio(DecisionTreeClassifier(), target_label="t").fit(X, y)
    log_weight = ratio.predict_log_weight(X)
    assert np.isfinite(log_weight).all()
    assert np.isfinite(ratio.predict_weight(X)).all()
    assert (log_weight[y == "t"] > 30).all() and (log_weight[y == "a", 0] < -30).all()


def test_for_source_view_resamples_toward_the_target():
    means = {"a": np.array([1.0]), "b": np.array([-3.0]), "t": np.array([0.0])}
    X, y = _sample({"a": 2000, "b": 2000, "t": 2000}, seed=4, means=means)
    # Nearly unpenalised: the ratio's error is then only statistical.
    ratio = MultiSourceRatio(LogisticRegression(C=1e4), target_label="t").fit(X, y)
    view = ratio.for_source("a")
    assert view.classes_.tolist() == ["a", "t"]
    assert view.prior_ratio_ == pytest.approx(1.0)
    np.testing.assert_array_equal(
        view.predict_log_weight(X), ratio.predict_log_weight(X, source="a")
    )
    # A clone reads the same fitted estimator (through its FrozenEstimator),
    # so a cloned resampler that holds the view stays fitted.
    cloned = clone(view)
    assert cloned.estimator.estimator is ratio
    np.testing.assert_array_equal(
        cloned.predict_weight(X), ratio.predict_weight(X, source="a")
    )
    for method in (view.fit, view.fit_predict_weight):
        with pytest.raises(TypeError, match="read-only"):
            method(X, y)
    rng = np.random.default_rng(5)
    sir = SIRResampler(view, k=50, random_state=0)
    drawn = sir.sample(lambda n: rng.normal(1.0, 1.0, (n, 1)), 4000)
    # Source "a" is N(1, 1), the target N(0, 1), w = exp(0.5 - x). Bound on the
    # SIR output mean: the bias of k = 50 with the true weights (0.049, from a
    # Monte Carlo of 200 000 blocks of true weights, independent of skratio),
    # plus 4 standard errors of 4000 draws (4 / sqrt(4000) = 0.063), plus the
    # tilt of a slope error of 0.13 in the log-ratio (4 asymptotic standard
    # errors of the logistic slope on 2000 + 2000 rows, about 0.032 each;
    # tilting N(1, 1) by exp(d x) moves its mean by d): 0.24. An inverted ratio
    # gives about 2, source "b"'s ratio exp(3x + 4.5) more than 1.
    assert abs(drawn.mean()) < 0.25
    with pytest.raises(ValueError, match="not one of the source labels"):
        ratio.for_source("t")


def test_overlap_diagnostics_judge_each_source_against_the_target():
    # Target N(0, 1); source "a" N(1, 1) overlaps it, source "b" N(12, 1) does
    # not. For a log-ratio monotone in x, the held-out domain AUC of source k
    # is P(X_t < X_k) = Phi(mu_k / sqrt(2)): 0.760 for "a" (its standard error
    # on 1000 + 1000 rows is about 0.011) and 1 for "b".
    means = {"a": np.array([1.0]), "b": np.array([12.0]), "t": np.array([0.0])}
    X, y = _sample({"a": 1000, "b": 1000, "t": 1000}, seed=8, means=means)
    ratio = MultiSourceRatio(target_label="t", random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        weights = ratio.fit_predict_weight(X, y)
    overlap_warnings = [
        str(w.message) for w in caught if issubclass(w.category, PoorOverlapWarning)
    ]
    assert len(overlap_warnings) == 1, overlap_warnings
    assert "MultiSourceRatio (source 'b')" in overlap_warnings[0]
    assert sorted(ratio.overlap_) == ["a", "b"]
    a, b = ratio.overlap_["a"], ratio.overlap_["b"]
    assert a.auc == pytest.approx(norm.cdf(1 / np.sqrt(2)), abs=0.05)
    assert b.auc == 1.0
    assert (a.n_source, a.n_target, b.n_source, b.n_target) == (1000,) * 4
    # The mean source weight is the mean of the source's own out-of-fold
    # weights (power 1, no clip), and a correct ratio averages 1 under p_a.
    assert a.mean_source_weight == pytest.approx(weights[y == "a"].mean())
    assert abs(a.mean_source_weight - 1) < 3 * a.mean_source_weight_se + 0.1
    # A refit without cross-fitting has no diagnostics of its own.
    assert not hasattr(ratio.fit(X, y), "overlap_")


def test_dask_input_is_weighed_lazily_one_source_at_a_time(gaussians):
    da = pytest.importorskip("dask.array")
    _, _, X_test, _, ratio = gaussians
    X_lazy = da.from_array(X_test[:700], chunks=(250, 2))
    for source in ("a", "c"):
        lazy = ratio.predict_log_weight(X_lazy, source=source)
        assert isinstance(lazy, da.Array)
        np.testing.assert_allclose(
            lazy.compute(),
            ratio.predict_log_weight(X_test[:700], source=source),
            rtol=1e-12,
        )
    view = ratio.for_source("b")
    np.testing.assert_allclose(
        view.predict_weight(X_lazy).compute(),
        ratio.predict_weight(X_test[:700])[:, 1],
        rtol=1e-12,
    )
    with pytest.raises(ValueError, match="one source at a time"):
        ratio.predict_weight(X_lazy)


def _three_source_split(seed):
    means = {"a": np.array([1.0]), "b": np.array([2.0]), "ref": np.array([0.0])}
    return _sample({"a": 1500, "b": 1500, "ref": 500}, seed=seed, means=means)


def test_trainer_weighs_each_source_by_its_own_ratio():
    X, y = _three_source_split(seed=6)
    trainer = WeightedGenerativeTrainer(
        KernelDensity(bandwidth=0.3),
        MultiSourceRatio(target_label="ref"),
        target_label="ref",
        random_state=0,
    ).fit(X, y)
    assert trainer.classes_.tolist() == ["a", "b", "ref"]
    assert trainer.ratio_estimator_.sources_.tolist() == ["a", "b"]
    reference = trainer.weights_[y == "ref"]
    np.testing.assert_allclose(reference, reference[0])
    # Each source's rows, weighed relative to the reference rows' weight 1,
    # average its own ratio p_ref / p_k, whose mean over p_k is 1 (bounded by
    # max_weight_ratio, which cuts a little of the tails).
    for source in ("a", "b"):
        mean_weight = trainer.weights_[y == source].mean() / reference[0]
        assert 0.7 < mean_weight < 1.15, (source, mean_weight)
    # The weighted generator follows the reference N(0, 1); the unweighted one
    # the mixture of all rows, whose mean is (1500 + 3000) / 3500 = 1.29.
    samples = trainer.sample(4000, random_state=0)
    assert abs(samples.mean()) < 0.2
    uniform = WeightedGenerativeTrainer(
        KernelDensity(bandwidth=0.3), strategy="uniform", target_label="ref"
    ).fit(X, y)
    assert uniform.sample(4000, random_state=0).mean() > 1.1


def test_trainer_refuses_a_two_domain_ratio_estimator_for_several_sources():
    X, y = _three_source_split(seed=7)
    trainer = WeightedGenerativeTrainer(
        KernelDensity(), DensityRatioEstimator(), target_label="ref"
    )
    with pytest.raises(ValueError, match="MultiSourceRatio"):
        trainer.fit(X, y)
    mismatched = WeightedGenerativeTrainer(
        KernelDensity(), MultiSourceRatio(target_label="a"), target_label="ref"
    )
    with pytest.raises(ValueError, match="target"):
        mismatched.fit(X, y)
    with pytest.raises(ValueError, match="cannot tell which domain is the target"):
        WeightedGenerativeTrainer(KernelDensity(), MultiSourceRatio()).fit(X, y)


@pytest.mark.parametrize(
    "make, fit_args, match",
    [
        (
            lambda: MultiSourceRatio(),
            (np.zeros((6, 1)), [1, 1, 2, 2, 3, 3]),
            "cannot tell which domain is the target among the 3 labels",
        ),
        (
            lambda: MultiSourceRatio(target_label=4),
            (np.zeros((6, 1)), [1, 1, 2, 2, 3, 3]),
            "target_label=4 is not one of the domain labels",
        ),
        (
            lambda: MultiSourceRatio(target_label=1),
            (np.zeros((4, 1)), [1, 1, 1, 1]),
            "two domains",
        ),
        (
            lambda: MultiSourceRatio(target_label="t"),
            (np.zeros((4, 1)), [0.5, 1.5, 2.5, 3.5]),
            "Unknown label type",
        ),
        (
            lambda: MultiSourceRatio(power=2.0),
            (np.zeros((4, 1)), [0, 0, 1, 1]),
            "power",
        ),
        (
            lambda: MultiSourceRatio(clip=(3.0, 1.0)),
            (np.zeros((4, 1)), [0, 0, 1, 1]),
            "lower < upper",
        ),
        (
            lambda: MultiSourceRatio(target_label=1),
            ([[0.0], [np.inf], [1.0], [2.0], [3.0], [4.0]], [1, 1, 2, 2, 3, 3]),
            "infinity",
        ),
    ],
)
def test_fit_rejects_bad_input(make, fit_args, match):
    with pytest.raises(ValueError, match=match):
        make().fit(*fit_args)


def test_predict_rejects_bad_use(gaussians):
    _, _, X_test, y_test, ratio = gaussians
    with pytest.raises(NotFittedError):
        MultiSourceRatio().predict_log_weight(X_test)
    with pytest.raises(NotFittedError):
        MultiSourceRatio().for_source("a")
    with pytest.raises(ValueError, match="source='t' is not one of the source labels"):
        ratio.predict_weight(X_test, source="t")
    with pytest.raises(ValueError, match="features"):
        ratio.predict_weight(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="not seen in fit"):
        ratio.score(X_test[:2], ["a", "z"])


# Hypothesis draws small samples that may barely overlap; the invariants hold
# either way, and the warning is right there.
@pytest.mark.filterwarnings("ignore::skratio.PoorOverlapWarning")
@settings(max_examples=15, deadline=None)
@given(
    sizes=st.lists(st.integers(5, 30), min_size=3, max_size=4),
    power=st.sampled_from([1.0, 0.5]),
    seed=st.integers(0, 1000),
)
def test_weight_invariants(sizes, power, seed):
    labels = [f"s{i}" for i in range(len(sizes) - 1)] + ["ref"]
    rng = np.random.default_rng(seed)
    y = np.repeat(labels, sizes)
    X = rng.standard_normal((len(y), 2)) + (np.arange(len(y)) % 3)[:, None]
    ratio = MultiSourceRatio(target_label="ref", power=power, cv=2, random_state=seed)
    weights = ratio.fit_predict_weight(X, y)
    assert weights.shape == (len(y),)
    assert np.isfinite(weights).all() and (weights > 0).all()
    np.testing.assert_array_equal(weights[y == "ref"], 1.0)
    counts = np.array(sizes, dtype=float)
    np.testing.assert_allclose(ratio.prior_ratios_, counts[:-1] / counts[-1])
    assert ratio.classes_[-1] == "ref"
    assert sorted(ratio.sources_.tolist()) == ratio.sources_.tolist()


# The common checks fit labels {0, 1, 2}, {0, 1}, {1, 2} or strings. Three
# labels never say which is the target, so the estimators checked name one that
# the integer label sets share: target_label=1.
_EXPECTED_FAILED_CHECKS = {
    "check_classifiers_classes": (
        "fits the string labels 'one'/'two', none of which is target_label=1"
    ),
    # classes_ puts the target last, as every skratio ratio estimator does
    # (classes_[-1] is the numerator of the ratios); with target_label=1 among
    # {0, 1, 2} it is [0, 2, 1], and the check reads the argmax of
    # predict_proba as the label itself, which assumes sorted classes_.
    "check_classifiers_train": "classes_ puts the target label last, not sorted",
    "check_classifiers_train(readonly_memmap=True)": (
        "classes_ puts the target label last, not sorted"
    ),
    "check_classifiers_train(readonly_memmap=True,X_dtype=float32)": (
        "classes_ puts the target label last, not sorted"
    ),
    **DEFAULT_CLASSIFIER_CHECKS,
}


@parametrize_with_checks(
    [
        MultiSourceRatio(target_label=1),
        MultiSourceRatio(target_label=1, power=0.5, clip=50.0, cv=3),
    ],
    expected_failed_checks=lambda estimator: _EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_persistence_round_trip(gaussians, tmp_path):
    pytest.importorskip("skops")
    from skratio.io import dump, load

    _, _, X_test, _, ratio = gaussians
    dump(ratio, tmp_path / "ratio.skops")
    loaded = load(tmp_path / "ratio.skops")
    np.testing.assert_array_equal(
        loaded.predict_log_weight(X_test), ratio.predict_log_weight(X_test)
    )
    assert loaded.classes_.tolist() == ratio.classes_.tolist()
