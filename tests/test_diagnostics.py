"""Diagnostics: expected calibration error, the weight-collapse warning, the NCE
scorer and model selection over domain classifiers."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, logit
from scipy.stats import norm
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_score,
    cross_validate,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KernelDensity
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skratio import (
    CalibratedRatio,
    DensityRatioEstimator,
    MultiSourceRatio,
    PoorOverlapWarning,
    ReweightedEstimator,
    SIRResampler,
    TelescopingRatio,
    WeightCollapseWarning,
    WeightedGenerativeTrainer,
    stack_domains,
)
from skratio.datasets import make_gaussian_shift
from skratio.metrics import (
    effective_sample_size,
    expected_calibration_error,
    nce_scorer,
    overlap_diagnostics,
)

# ---------------------------------------------------------------------------
# expected_calibration_error on cases computed by hand


def test_ece_hand_computed_uniform_bins():
    # Bins of width 0.1: each row alone in its bin, gaps 0.1, 0.3, 0.3, 0.1.
    ece = expected_calibration_error([0, 0, 1, 1], [0.1, 0.3, 0.7, 0.9])
    assert ece == pytest.approx(0.2)


def test_ece_hand_computed_quantile_bins():
    # Median edge 0.2: bin {0.1, 0.2} has y-mean 0 and p-mean 0.15, bin
    # {0.6, 0.9} has y-mean 1 and p-mean 0.75: ECE = (0.15 + 0.25) / 2.
    ece = expected_calibration_error(
        [0, 0, 1, 1], [0.1, 0.2, 0.6, 0.9], n_bins=2, strategy="quantile"
    )
    assert ece == pytest.approx(0.2)


def test_ece_confident_mistakes_and_perfect_frequencies():
    assert expected_calibration_error([0, 0, 0], [0.9, 0.9, 0.9]) == pytest.approx(0.9)
    # 3 of 10 rows are targets, all predicted 0.3: calibrated.
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    assert expected_calibration_error(y, np.full(10, 0.3)) == pytest.approx(0.0)


def test_ece_accepts_predict_proba_columns_and_weights():
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.2, 0.4, 0.8, 0.55, 0.95])
    assert expected_calibration_error(y, np.column_stack([1 - p, p])) == pytest.approx(
        expected_calibration_error(y, p)
    )
    # Weight 0 removes a row.
    weights = np.array([1.0, 1.0, 0.0, 1.0, 1.0])
    keep = weights > 0
    assert expected_calibration_error(y, p, sample_weight=weights) == pytest.approx(
        expected_calibration_error(y[keep], p[keep])
    )


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 1),
            st.floats(0.0, 1.0),
            st.integers(0, 3),
        ),
        min_size=1,
        max_size=30,
    ),
    n_bins=st.integers(1, 8),
    strategy=st.sampled_from(["uniform", "quantile"]),
)
def test_ece_integer_weights_equal_repeated_rows(rows, n_bins, strategy):
    y, p, counts = (np.array(column) for column in zip(*rows))
    if counts.sum() == 0:
        counts[0] = 1
    weighted = expected_calibration_error(
        y, p, n_bins=n_bins, strategy=strategy, sample_weight=counts
    )
    repeated = expected_calibration_error(
        np.repeat(y, counts), np.repeat(p, counts), n_bins=n_bins, strategy=strategy
    )
    assert weighted == pytest.approx(repeated, abs=1e-12)
    assert 0.0 <= weighted <= 1.0


@settings(max_examples=40, deadline=None)
@given(
    y=st.lists(st.integers(0, 1), min_size=2, max_size=40),
    seed=st.integers(0, 2**16),
    strategy=st.sampled_from(["uniform", "quantile"]),
)
def test_ece_invariant_to_row_order_and_one_bin_closed_form(y, seed, strategy):
    rng = np.random.default_rng(seed)
    y = np.array(y)
    p = rng.random(y.shape[0])
    order = rng.permutation(y.shape[0])
    ece = expected_calibration_error(y, p, n_bins=5, strategy=strategy)
    assert expected_calibration_error(
        y[order], p[order], n_bins=5, strategy=strategy
    ) == pytest.approx(ece, abs=1e-12)
    # One bin: the gap between the overall frequency and the mean prediction.
    assert expected_calibration_error(y, p, n_bins=1) == pytest.approx(
        abs(y.mean() - p.mean()), abs=1e-12
    )


def _bin_noise_bound(p, n_bins):
    """Mean + 4 s.e. bound on sum_b (n_b / n) |ybar_b - E ybar_b| for y ~ Bernoulli(p).

    Given p, bin b's label mean has variance v_b = sum p(1-p) / n_b^2, so
    E|ybar_b - E ybar_b| <= sqrt(v_b) (Jensen), and bins are independent:
    the weighted sum has mean at most mu = sum (n_b/n) sqrt(v_b) and variance
    at most s^2 = sum (n_b/n)^2 v_b. mu + 4 s is exceeded with probability
    about 3e-5 under the normal approximation (at most 1/16 by Chebyshev).
    """
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    n = p.shape[0]
    mu = s2 = 0.0
    for b in np.unique(bins):
        in_bin = p[bins == b]
        v = np.sum(in_bin * (1 - in_bin)) / in_bin.shape[0] ** 2
        mu += in_bin.shape[0] / n * np.sqrt(v)
        s2 += (in_bin.shape[0] / n) ** 2 * v
    return mu + 4 * np.sqrt(s2)


def test_ece_of_calibrated_predictions_is_sampling_noise():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.02, 0.98, 20_000)
    y = (rng.random(p.shape[0]) < p).astype(int)
    ece = expected_calibration_error(y, p)
    # The true frequency in every bin equals its mean prediction, so the ECE
    # is only the labels' sampling noise (bound derived in _bin_noise_bound).
    assert ece <= _bin_noise_bound(p, 10)


def test_ece_of_miscalibrated_predictions_matches_the_population_gap():
    rng = np.random.default_rng(1)
    predicted = rng.uniform(0.02, 0.98, 20_000)
    # The truth is twice as confident: P(y=1) = sigmoid(2 logit(predicted)).
    true_proba = expit(2 * logit(predicted))
    y = (rng.random(predicted.shape[0]) < true_proba).astype(int)
    bins = np.minimum((predicted * 10).astype(int), 9)
    population_gap = sum(
        np.mean(bins == b)
        * abs(true_proba[bins == b].mean() - predicted[bins == b].mean())
        for b in range(10)
    )
    # |ECE - population gap| <= sum_b (n_b/n) |ybar_b - mean_b(true_proba)|
    # (triangle inequality), bounded as in _bin_noise_bound.
    ece = expected_calibration_error(y, predicted)
    assert abs(ece - population_gap) <= _bin_noise_bound(true_proba, 10)
    assert population_gap > 0.05  # the case is really miscalibrated


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(y_true=[0, 1], y_proba=[0.2, np.nan]), "NaN"),
        (dict(y_true=[0, 1, 1], y_proba=[0.2, 0.3]), "inconsistent numbers"),
        (dict(y_true=[0, 2], y_proba=[0.2, 0.3]), "domain labels 0"),
        (dict(y_true=["bias", "ref"], y_proba=[0.2, 0.3]), "domain labels 0"),
        (dict(y_true=[0, 1], y_proba=[0.2, 1.3]), r"probabilities in \[0, 1\]"),
        (dict(y_true=[0, 1], y_proba=[0.2, 0.3], n_bins=0), "n_bins"),
        (dict(y_true=[0, 1], y_proba=[0.2, 0.3], strategy="kmeans"), "strategy"),
        (
            dict(y_true=[0, 1], y_proba=[0.2, 0.3], sample_weight=[1, -1]),
            "non-negative",
        ),
        (dict(y_true=[0, 1], y_proba=[0.2, 0.3], sample_weight=[0, 0]), "positive"),
        (dict(y_true=[], y_proba=[]), "0 sample"),
    ],
)
def test_ece_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        expected_calibration_error(**kwargs)


# ---------------------------------------------------------------------------
# The weight-collapse warning


def _shifted(shift, random_state=0):
    X, y, _ = make_gaussian_shift(
        n_source=500, n_target=500, n_features=1, shift=shift, random_state=random_state
    )
    return X, y


# Source N(0, 1), target N(m, 1): w(x) = exp(m x - m^2 / 2) and
# E_source[w^2] / E_source[w]^2 = exp(m^2), so ESS / n tends to exp(-m^2):
# 1.2e-4 for m = 3 (collapsed, far below 10%), 0.91 for m = 0.3 (healthy).
@pytest.mark.parametrize(
    "estimator",
    [
        DensityRatioEstimator(cv=3, random_state=0),
        CalibratedRatio(DensityRatioEstimator(cv=3, random_state=0), cv=3),
    ],
    ids=["DensityRatioEstimator", "CalibratedRatio"],
)
def test_collapse_warning_fires_on_collapsed_weights(estimator):
    X, y = _shifted(3.0)
    with pytest.warns(WeightCollapseWarning, match="effective sample size") as record:
        weights = estimator.fit_predict_weight(X, y)
    assert effective_sample_size(weights[y == 0]) < 0.1 * np.sum(y == 0)
    message = str(record[0].message)
    for remedy in ("CalibratedRatio", "power", "clip", "simpler"):
        assert remedy in message
    # The warning points at the user's call, not at a wrapper inside a library.
    assert record[0].filename == __file__


@pytest.mark.parametrize(
    "estimator",
    [
        DensityRatioEstimator(cv=3, random_state=0),
        CalibratedRatio(DensityRatioEstimator(cv=3, random_state=0), cv=3),
    ],
    ids=["DensityRatioEstimator", "CalibratedRatio"],
)
def test_collapse_warning_silent_on_healthy_weights(estimator):
    X, y = _shifted(0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", WeightCollapseWarning)
        weights = estimator.fit_predict_weight(X, y)
    assert effective_sample_size(weights[y == 0]) > 0.5 * np.sum(y == 0)


def test_flattening_suggested_by_the_warning_removes_the_collapse():
    # w ** a has E[w^(2a)] / E[w^a]^2 = exp(a^2 m^2): ESS / n -> exp(-0.36) = 0.70
    # for a = 0.2 and m = 3.
    X, y = _shifted(3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", WeightCollapseWarning)
        CalibratedRatio(
            DensityRatioEstimator(power=0.2, cv=3, random_state=0), cv=3
        ).fit_predict_weight(X, y)


# ---------------------------------------------------------------------------
# The NCE scorer and model selection over classifiers


def _duplicated_features(n_per_domain=1500, copies=5, random_state=0):
    """Gaussian shift whose 2 features are repeated: naive Bayes counts each
    piece of evidence ``copies`` times, so its log-odds are about ``copies``
    times the true log-ratio, while a logistic regression stays well
    specified (the log-ratio is linear in x)."""
    X, y, log_ratio = make_gaussian_shift(
        n_per_domain, n_per_domain, n_features=2, random_state=random_state
    )
    return np.repeat(X, copies, axis=1), y, log_ratio


def _log_likelihood(y, proba):
    """Per-row log-likelihood of 0/1 labels under probabilities of label 1."""
    return np.where(y == 1, np.log(proba), np.log1p(-proba))


def test_nce_scorer_and_score_are_the_held_out_mean_log_likelihood():
    # The NCE with the fold's own prior is the mean log-likelihood of the
    # labels, computed here from predict_proba alone; the scorer (through
    # cross_val_score) and the default score both give it.
    X, y, _ = _duplicated_features(300)
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    for estimator in (
        DensityRatioEstimator(GaussianNB(), random_state=0),
        CalibratedRatio(cv=3),
    ):
        by_scorer = cross_val_score(estimator, X, y, cv=folds, scoring=nce_scorer)
        for score, (train, test) in zip(by_scorer, folds.split(X, y)):
            fitted = clone(estimator).fit(X[train], y[train])
            proba = fitted.predict_proba(X[test])[:, 1]
            by_hand = np.mean(_log_likelihood(y[test], proba))
            assert score == pytest.approx(by_hand, rel=1e-12)
            assert fitted.score(X[test], y[test]) == pytest.approx(by_hand, rel=1e-12)


def test_nce_scorer_with_other_metrics_in_cross_validate():
    X, y, log_ratio = _duplicated_features(500)
    results = cross_validate(
        DensityRatioEstimator(),
        X,
        y,
        cv=3,
        scoring={"nce": nce_scorer, "roc_auc": "roc_auc"},
        return_estimator=True,
        return_indices=True,
    )
    folds = zip(
        results["estimator"], results["indices"]["train"], results["indices"]["test"]
    )
    for nce, (fitted, train, test) in zip(results["test_nce"], folds):
        fitted_log_lik = _log_likelihood(y[test], fitted.predict_proba(X[test])[:, 1])
        assert nce == pytest.approx(np.mean(fitted_log_lik), rel=1e-12)
        # Against the true posterior on the same rows (equal domain sizes:
        # c(x) = sigmoid(log_ratio)), the best NCE there is: a well-specified
        # fit falls short of it by its excess risk, at most K / (2 n) in
        # expectation for an MLE of K parameters (K = 11 coefficients here,
        # fewer in effect as the copies are collinear; five times that
        # allowed), give or take 4 standard errors of the paired difference.
        gap = fitted_log_lik - _log_likelihood(y[test], expit(log_ratio[test]))
        noise = 4 * gap.std() / np.sqrt(len(test))
        excess = 5 * 11 / (2 * len(train))
        assert -noise - excess <= gap.mean() <= noise, (gap.mean(), noise)
    # Shift of norm 1 between unit Gaussians: AUC = Phi(1 / sqrt(2)) = 0.760;
    # its Hanley-McNeil standard error with 333 rows per domain is 0.019, so
    # 0.06 is 3.2 standard errors.
    assert np.all(np.abs(results["test_roc_auc"] - 0.76) < 0.06)


def test_nce_scorer_rejects_labels_other_than_0_and_1():
    X, y, _ = _duplicated_features(100)
    labels = np.where(y == 1, "reference", "biased")
    ratio = DensityRatioEstimator(target_label="reference").fit(X, labels)
    # negative_cross_entropy cannot tell the target from these labels.
    with pytest.raises(ValueError, match="domain labels 0.*target_label"):
        nce_scorer(ratio, X, labels)


@pytest.mark.parametrize("scoring", [None, nce_scorer], ids=["score", "nce_scorer"])
def test_grid_search_prefers_the_well_specified_classifier(scoring):
    # Overconfident naive Bayes has the same ranking of rows but log-odds
    # about 5 times too large: its expected log-likelihood falls short of the
    # well-specified logistic regression's by the KL divergence between their
    # posteriors, far more than the O(d / n) estimation error. (Raw log-odds:
    # calibrated, naive Bayes's would be about right.)
    X, y, _ = _duplicated_features()
    search = GridSearchCV(
        DensityRatioEstimator(calibration=None),
        {
            "classifier": [
                GaussianNB(),
                make_pipeline(StandardScaler(), LogisticRegression()),
            ]
        },
        cv=3,
        scoring=scoring,
    ).fit(X, y)
    assert isinstance(search.best_params_["classifier"], Pipeline)
    naive, logistic = search.cv_results_["mean_test_score"]
    assert logistic > naive


# ---------------------------------------------------------------------------
# Overlap diagnostics and PoorOverlapWarning


def test_overlap_diagnostics_hand_computed():
    # Source weights 0.5 and 1.5: mean 1, standard error sqrt(0.25 + 0.25) / 2,
    # ESS (2)^2 / (0.25 + 2.25) = 1.6 of 2 rows; every target row outweighs
    # every source row: AUC 1.
    diagnostics = overlap_diagnostics([0, 0, 1, 1], [0.5, 1.5, 2.0, 3.0])
    assert diagnostics.auc == pytest.approx(1.0)
    assert diagnostics.mean_source_weight == pytest.approx(1.0)
    assert diagnostics.mean_source_weight_se == pytest.approx(np.sqrt(0.5) / 2)
    assert diagnostics.ess_fraction == pytest.approx(0.8)
    assert (diagnostics.n_source, diagnostics.n_target) == (2, 2)
    # One misordered pair of four: AUC 3/4. Row weights count as repeated rows.
    assert overlap_diagnostics([0, 0, 1, 1], [0.5, 2.5, 2.0, 3.0]).auc == 0.75
    weighted = overlap_diagnostics(
        [0, 0, 1], [0.5, 1.5, 2.0], sample_weight=[1.0, 3.0, 1.0]
    )
    assert weighted.mean_source_weight == pytest.approx((0.5 + 4.5) / 4)


def test_overlap_diagnostics_of_the_true_ratio():
    # E_source[w] = 1 and AUC = Phi(|m| / sqrt(2)) for a shift |m| between unit
    # Gaussians (the log-ratio is linear, so its ranking is the AUC's).
    shift = 1.0
    _, y, log_ratio = make_gaussian_shift(4000, 2000, shift=shift, random_state=0)
    diagnostics = overlap_diagnostics(y, np.exp(log_ratio))
    mean, se = diagnostics.mean_source_weight, diagnostics.mean_source_weight_se
    assert abs(mean - 1) < 3 * se
    # Hanley-McNeil standard error of the AUC with these sizes: 0.007.
    assert diagnostics.auc == pytest.approx(norm.cdf(shift / np.sqrt(2)), abs=0.025)
    # ESS / n of the true weights: 1 / E[w^2] = exp(-|m|^2).
    assert diagnostics.ess_fraction == pytest.approx(np.exp(-(shift**2)), abs=0.05)


def test_overlap_diagnostics_refuses_other_labels():
    with pytest.raises(ValueError, match="domain labels 0 .source. and 1"):
        overlap_diagnostics([0, 2], [1.0, 1.0])
    with pytest.raises(ValueError, match="both domains"):
        overlap_diagnostics([0, 0], [1.0, 1.0])


def _separable(seed=0):
    """The issue's case: one feature of the target moved by +100 (3-D)."""
    rng = np.random.default_rng(seed)
    source, target = rng.normal(size=(400, 3)), rng.normal(size=(200, 3))
    target[:, 0] += 100.0
    return stack_domains(source, target)


def _breast_cancer_selection(seed):
    """Reference: 142 random rows; biased: the others, keeping 20 % of those
    with mean radius > 15. The true weight is P(kept) / P(kept | x)."""
    X, _ = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(seed)
    order = rng.permutation(X.shape[0])
    reference, rest = order[:142], order[142:]
    large = X[rest, 0] > 15
    biased = rest[~large | (rng.random(rest.shape[0]) < 0.2)]
    return stack_domains(X[biased], X[reference]), X[biased, 0] > 15


def _estimators():
    return [
        DensityRatioEstimator(random_state=0),
        CalibratedRatio(),
        TelescopingRatio(LogisticRegression(), random_state=0),
        MultiSourceRatio(random_state=0),
    ]


@pytest.mark.filterwarnings("ignore::skratio.WeightCollapseWarning")
@pytest.mark.parametrize("estimator", _estimators(), ids=lambda e: type(e).__name__)
def test_separable_samples_warn_and_record_it(estimator):
    X, y = _separable()
    with pytest.warns(PoorOverlapWarning, match="barely overlap.*TelescopingRatio"):
        estimator.fit_predict_weight(X, y)
    overlap = estimator.overlap_
    if isinstance(overlap, dict):
        (overlap,) = overlap.values()
    assert overlap.auc == 1.0
    assert (overlap.n_source, overlap.n_target) == (400, 200)


def test_separable_samples_warn_at_fit_too():
    # fit's held-out calibration folds give the diagnostics as well.
    X, y = _separable()
    with pytest.warns(PoorOverlapWarning, match="AUC is 1.0000"):
        ratio = DensityRatioEstimator(random_state=0).fit(X, y)
    assert ratio.overlap_.auc == 1.0


@pytest.mark.filterwarnings("ignore::skratio.WeightCollapseWarning")
@pytest.mark.parametrize("estimator", _estimators(), ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("shift", [1.0, 2.0])
def test_ordinary_shifts_do_not_warn(estimator, shift):
    X, y, _ = make_gaussian_shift(800, 400, n_features=3, shift=shift, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PoorOverlapWarning)
        estimator.fit_predict_weight(X, y)
    overlap = estimator.overlap_
    if isinstance(overlap, dict):
        (overlap,) = overlap.values()
    # A correct ratio averages to 1 under the source, within its noise (and
    # the estimation error, a few per cent here).
    assert abs(overlap.mean_source_weight - 1) < 3 * overlap.mean_source_weight_se + 0.1


@pytest.mark.parametrize("seed", [0, 2])
def test_the_breast_cancer_case_does_not_warn_and_keeps_its_order(seed):
    # The case (raw features, one outlying row): before, ESS 0.6 % and
    # inverted group means. Truth: large-radius rows weigh 1 / 0.2 = 5 times
    # the small ones.
    (X, y), large = _breast_cancer_selection(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PoorOverlapWarning)
        weights = DensityRatioEstimator(random_state=0).fit_predict_weight(X, y)
    source = weights[y == 0]
    assert effective_sample_size(source) / source.shape[0] >= 0.2
    assert source[large].mean() > 1.3 * source[~large].mean()


def test_poor_overlap_relayed_by_the_meta_estimators():
    X, y = _separable()
    with pytest.warns(PoorOverlapWarning):
        WeightedGenerativeTrainer(KernelDensity(), DensityRatioEstimator()).fit(X, y)
    labels = np.where(y == 1, np.nan, X[:, 1] + X[:, 2])
    with pytest.warns(PoorOverlapWarning):
        ReweightedEstimator(Ridge(), DensityRatioEstimator()).fit(X, labels)
    # SIRResampler takes a fitted ratio estimator: the warning comes with its fit.
    with pytest.warns(PoorOverlapWarning):
        sampler = SIRResampler(DensityRatioEstimator().fit(X, y), k=5, random_state=0)
    sampler.fit_resample(X[y == 0])
