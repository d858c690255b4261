"""NCE, the Bayes-optimal NCE of Theorem 1, and the effective sample size."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, KBinsDiscretizer, StandardScaler

from skratio import DensityRatioEstimator
from skratio._sample_distances import auc_confidence_interval
from skratio.datasets import make_biased_split
from skratio.metrics import (
    bayes_optimal_nce,
    classifier_two_sample_test,
    effective_sample_size,
    fairness_discrepancy,
    frechet_distance,
    negative_cross_entropy,
    squared_mmd,
)


def _proportions(n_groups):
    return st.lists(st.floats(0.01, 1.0), min_size=n_groups, max_size=n_groups).map(
        lambda v: np.asarray(v) / np.sum(v)
    )


@st.composite
def theorem_1_settings(draw):
    n_groups = draw(st.integers(2, 6))
    return (
        draw(_proportions(n_groups)),
        draw(_proportions(n_groups)),
        draw(st.floats(0.05, 20.0)),
    )


def _exact_mixture(p_source, p_target):
    """One row per (domain, group), weighted by the group's proportion."""
    n_groups = len(p_source)
    y = np.repeat([0, 1], n_groups)
    group = np.tile(np.arange(n_groups), 2)
    weight = np.concatenate([p_source, p_target])
    return y, group, weight


def _bayes_classifier(p_source, p_target, gamma):
    """c*(z) = 1 / (1 + gamma b(z)), b = p_source / p_target."""
    return 1.0 / (1.0 + gamma * p_source / p_target)


@settings(max_examples=100, deadline=None)
@given(theorem_1_settings())
def test_bayes_classifier_scores_the_bound_on_the_exact_mixture(setting):
    p_source, p_target, gamma = setting
    y, group, weight = _exact_mixture(p_source, p_target)
    c_star = _bayes_classifier(p_source, p_target, gamma)[group]
    nce = negative_cross_entropy(y, c_star, prior_ratio=gamma, sample_weight=weight)
    assert nce == pytest.approx(bayes_optimal_nce(p_source, p_target, gamma), rel=1e-9)


@settings(max_examples=100, deadline=None)
@given(
    theorem_1_settings(),
    st.lists(st.floats(-2.0, 2.0), min_size=6, max_size=6),
)
def test_any_perturbed_classifier_scores_lower(setting, perturbation):
    p_source, p_target, gamma = setting
    delta = np.asarray(perturbation[: len(p_source)])
    assume(np.abs(delta).max() > 0.05)
    y, group, weight = _exact_mixture(p_source, p_target)
    c_star = _bayes_classifier(p_source, p_target, gamma)
    perturbed = 1.0 / (1.0 + np.exp(-(np.log(c_star) - np.log1p(-c_star) + delta)))
    nce = negative_cross_entropy(
        y, perturbed[group], prior_ratio=gamma, sample_weight=weight
    )
    assert nce < bayes_optimal_nce(p_source, p_target, gamma)


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 6).flatmap(_proportions), st.floats(0.05, 20.0))
def test_identical_domains_give_minus_the_prior_entropy(p, gamma):
    prior = np.array([gamma, 1.0]) / (gamma + 1.0)
    assert bayes_optimal_nce(p, p, gamma) == pytest.approx(
        np.sum(prior * np.log(prior))
    )


def test_bayes_optimal_nce_known_value_and_missing_groups():
    # Two groups, gamma = 1: b = (1.8, 0.2); computed by hand.
    expected = 0.5 * (
        0.5 * np.log(1 / 2.8)
        + 0.5 * np.log(1 / 1.2)
        + 0.9 * np.log(1.8 / 2.8)
        + 0.1 * np.log(0.2 / 1.2)
    )
    assert bayes_optimal_nce([0.9, 0.1], [0.5, 0.5]) == pytest.approx(expected)
    # A group present in one domain only is perfectly classified: it adds 0.
    assert bayes_optimal_nce([1.0, 0.0], [0.0, 1.0], 3.0) == 0.0
    with_missing = bayes_optimal_nce([0.5, 0.5, 0.0], [0.25, 0.25, 0.5], 1.0)
    assert np.isfinite(with_missing) and with_missing > bayes_optimal_nce(
        [0.5, 0.5], [0.5, 0.5], 1.0
    )


@pytest.mark.parametrize(
    "p_source, p_target, gamma, match",
    [
        ([0.5, 0.6], [0.5, 0.5], 1.0, "sum"),
        ([1.2, -0.2], [0.5, 0.5], 1.0, "non-negative"),
        ([0.5, 0.5], [0.2, 0.3, 0.5], 1.0, "same groups"),
        ([0.5, 0.5], [0.5, 0.5], 0.0, "prior_ratio"),
        ([0.5, 0.5], [0.5, 0.5], np.inf, "prior_ratio"),
        ([0.5, np.nan], [0.5, 0.5], 1.0, "NaN"),
    ],
)
def test_bayes_optimal_nce_validates_its_inputs(p_source, p_target, gamma, match):
    with pytest.raises(ValueError, match=match):
        bayes_optimal_nce(p_source, p_target, gamma)


def test_fitted_estimator_reaches_the_bound_when_the_theorem_applies():
    # Three groups on disjoint intervals [z, z + 1) with the same uniform
    # conditional in both domains: the assumptions of Theorem 1.
    rng = np.random.default_rng(0)
    n = 30000
    groups = rng.integers(0, 3, n)
    X = (groups + rng.random(n)).reshape(-1, 1)
    p_source, p_target = np.array([0.6, 0.3, 0.1]), np.array([0.2, 0.3, 0.5])
    Xs, y, _ = make_biased_split(
        X,
        groups,
        bias=p_source,
        reference_size=0.5,
        reference_proportions=p_target,
        random_state=0,
    )
    train = rng.random(len(y)) < 0.5
    # One-hot of the interval + a nearly unpenalised logistic regression can
    # represent c*(z) exactly.
    classifier = make_pipeline(
        KBinsDiscretizer(n_bins=3, strategy="uniform"),
        LogisticRegression(C=1e4),
    )
    ratio = DensityRatioEstimator(classifier).fit(Xs[train], y[train])
    held_out = ratio.score(Xs[~train], y[~train])
    bound = bayes_optimal_nce(p_source, p_target, ratio.prior_ratio_)
    # Sampling error of the held-out mean log-likelihood (3 standard errors),
    # plus the excess risk of an MLE with K = 3 free parameters, K / (2 n) in
    # expectation (allowing five times that).
    proba = ratio.predict_proba(Xs[~train])[:, 1]
    log_lik = np.where(y[~train] == 1, np.log(proba), np.log1p(-proba))
    tolerance = 3 * log_lik.std() / np.sqrt(len(log_lik)) + 5 * 3 / (2 * train.sum())
    assert abs(held_out - bound) <= tolerance, (held_out, bound, tolerance)


def test_negative_cross_entropy_is_minus_the_log_loss():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    proba = rng.random(200)
    weight = rng.random(200)
    assert negative_cross_entropy(y, proba) == pytest.approx(-log_loss(y, proba))
    assert negative_cross_entropy(y, proba, sample_weight=weight) == pytest.approx(
        -log_loss(y, proba, sample_weight=weight)
    )
    two_columns = np.column_stack([1 - proba, proba])
    assert negative_cross_entropy(y, two_columns) == pytest.approx(-log_loss(y, proba))


def test_negative_cross_entropy_with_the_empirical_prior_is_the_plain_mean():
    rng = np.random.default_rng(1)
    y = (rng.random(300) < 0.2).astype(int)
    proba = rng.random(300)
    gamma = np.sum(y == 0) / np.sum(y == 1)
    plain_mean = np.mean(np.where(y == 1, np.log(proba), np.log1p(-proba)))
    assert negative_cross_entropy(y, proba, prior_ratio=gamma) == pytest.approx(
        plain_mean
    )
    # Another prior mixes the two domains' mean log-likelihoods (Eq. 6).
    target_term = np.mean(np.log(proba[y == 1]))
    source_term = np.mean(np.log1p(-proba[y == 0]))
    assert negative_cross_entropy(y, proba, prior_ratio=3.0) == pytest.approx(
        (target_term + 3.0 * source_term) / 4.0
    )


def test_negative_cross_entropy_is_finite_for_certain_mistakes():
    nce = negative_cross_entropy([0, 1], [1.0, 0.0])
    assert np.isfinite(nce) and nce < -30


@pytest.mark.parametrize(
    "y, proba, kwargs, match",
    [
        ([0, 2], [0.5, 0.5], {}, "domain labels"),
        ([0, 1], [0.5, 1.5], {}, r"\[0, 1\]"),
        ([0, 1], [0.5], {}, "inconsistent"),
        ([0, 1], [[0.2, 0.3, 0.5]] * 2, {}, "shape"),
        ([0, 0], [0.5, 0.5], {"prior_ratio": 1.0}, "both domains"),
        ([0, 1], [0.5, 0.5], {"prior_ratio": -1.0}, "prior_ratio"),
        ([0, 1], [0.5, 0.5], {"sample_weight": [1.0, -1.0]}, "non-negative"),
        ([0, 1], [0.5, np.nan], {}, "NaN"),
    ],
)
def test_negative_cross_entropy_validates_its_inputs(y, proba, kwargs, match):
    with pytest.raises(ValueError, match=match):
        negative_cross_entropy(y, proba, **kwargs)


@settings(max_examples=50, deadline=None)
@given(
    # Zeros and positive weights far from underflow, so that scaling keeps them.
    st.lists(
        st.one_of(st.just(0.0), st.floats(1e-6, 1e6)), min_size=1, max_size=50
    ).filter(lambda w: max(w) > 0),
    st.floats(1e-3, 1e3),
)
def test_effective_sample_size_bounds_and_scale_invariance(weights, scale):
    ess = effective_sample_size(weights)
    assert 1.0 - 1e-9 <= ess <= len(weights) + 1e-9
    assert effective_sample_size(np.asarray(weights) * scale) == pytest.approx(ess)


def test_effective_sample_size_known_values():
    assert effective_sample_size(np.ones(10)) == pytest.approx(10.0)
    # Two equal weights among zeros: ESS 2.
    assert effective_sample_size([0, 3.0, 0, 3.0, 0]) == pytest.approx(2.0)
    # (1 + 2 + 3)^2 / (1 + 4 + 9) = 36 / 14.
    assert effective_sample_size([1.0, 2.0, 3.0]) == pytest.approx(36 / 14)
    # Huge weights do not overflow.
    assert effective_sample_size([1e200, 1e200]) == pytest.approx(2.0)


@pytest.mark.parametrize(
    "weights, match",
    [
        ([], "0 sample"),
        ([0.0, 0.0], "positive"),
        ([1.0, -1.0], "non-negative"),
        ([1.0, np.inf], "infinity"),
    ],
)
def test_effective_sample_size_validates(weights, match):
    with pytest.raises(ValueError, match=match):
        effective_sample_size(weights)


def test_fairness_discrepancy_keeps_all_classes_and_any_reference():
    reference = np.array([[0.2, 0.3, 0.5]] * 4)
    model = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    expected = np.linalg.norm([0.2 - 0.5, 0.3 - 0.5, 0.5 - 0.0])
    assert fairness_discrepancy(reference, model) == pytest.approx(expected)
    # A 1-D input is the positive-class probability of a binary attribute.
    assert fairness_discrepancy([0.5, 0.5], [0.9, 0.7]) == pytest.approx(
        np.sqrt(2) * 0.3
    )
    with pytest.raises(ValueError, match="same classes"):
        fairness_discrepancy(reference, model[:, :2])


def test_frechet_distance_of_gaussians_and_weights():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20000, 2))
    Y = 2.0 * rng.standard_normal((20000, 2))
    # Equal means, covariances I and 4I: tr(I + 4I - 2 (4I)^(1/2)) = 1 per dimension.
    assert frechet_distance(X, Y) == pytest.approx(2.0, abs=0.1)
    # Weighting rows of X by the density ratio N(1, I)/N(0, I) moves its mean to 1.
    weights = np.exp(X @ np.ones(2) - 1.0)
    shifted = rng.standard_normal((20000, 2)) + 1.0
    assert (
        frechet_distance(X, shifted, sample_weight=weights)
        < 0.1
        < frechet_distance(X, shifted)
    )
    with pytest.raises(ValueError, match="features"):
        frechet_distance(X, Y[:, :1])


def test_negative_cross_entropy_names_the_labels_it_needs():
    with pytest.raises(ValueError, match="domain labels 0"):
        negative_cross_entropy(["ref", "bias"], [0.5, 0.5])


def test_frechet_distance_with_singular_covariances():
    # A constant column (like the blank pixels of digits) makes both
    # covariances singular; the distance must stay finite, real and exact.
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.standard_normal(5000), np.zeros(5000)])
    Y = np.column_stack([2.0 * rng.standard_normal(5000) + 1.0, np.zeros(5000)])
    var_x, var_y = X[:, 0].var(ddof=1), Y[:, 0].var(ddof=1)
    expected = (X[:, 0].mean() - Y[:, 0].mean()) ** 2 + (
        np.sqrt(var_x) - np.sqrt(var_y)
    ) ** 2
    assert frechet_distance(X, Y) == pytest.approx(expected, rel=1e-9)


# ------------------------------------------------ feature maps and two-sample test
def test_a_feature_map_chooses_the_features_compared():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4000, 2))
    Y = rng.standard_normal((4000, 2)) + [3.0, 0.0]
    # The shift of 3 in the first column is seen (3**2 = 9) only when the map
    # keeps that column.
    assert frechet_distance(X, Y, feature_map=lambda Z: Z[:, :1]) == pytest.approx(
        9.0, abs=0.3
    )
    assert frechet_distance(X, Y, feature_map=lambda Z: Z[:, 1:]) < 0.01
    assert squared_mmd(X, Y, feature_map=lambda Z: Z[:, 1:]) < 0.002
    assert squared_mmd(X, Y, feature_map=lambda Z: Z[:, :1]) > 0.1


def test_a_fitted_transformer_is_a_feature_map():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4000, 1))
    Y = 10.0 * rng.standard_normal((4000, 1)) + 30.0
    scaler = StandardScaler(with_mean=False).fit(Y / 10.0)
    # In 1-D the distance is (mean difference)**2 + (sd difference)**2:
    # 30**2 + (1 - 10)**2 = 981 unscaled. The features are X/10 and Y/10
    # (the scaler, fitted on Y/10 of unit variance, divides by about 1):
    # 3**2 + (0.1 - 1)**2 = 9.81.
    pipe = make_pipeline(FunctionTransformer(lambda Z: Z / 10.0), scaler)
    pipe.fit(Y)
    assert frechet_distance(X, Y) == pytest.approx(981.0, rel=0.05)
    assert frechet_distance(X, Y, feature_map=pipe) == pytest.approx(9.81, rel=0.05)


@pytest.mark.parametrize(
    "feature_map, error, match",
    [
        ("pca", TypeError, "feature_map"),
        (lambda Z: Z[:5], ValueError, "one row per input row"),
        (lambda Z: Z[:, 0], ValueError, "2-D"),
        (lambda Z: np.full((len(Z), 1), np.nan), ValueError, "NaN or infinite"),
    ],
)
def test_bad_feature_maps_are_refused(feature_map, error, match):
    X = np.random.default_rng(0).standard_normal((20, 2))
    with pytest.raises(error, match=match):
        frechet_distance(X, X, feature_map=feature_map)
    with pytest.raises(error, match=match):
        squared_mmd(X, X, feature_map=feature_map)


def test_auc_interval_matches_roc_auc_and_covers_the_truth():
    rng = np.random.default_rng(0)
    # Real scores N(1, 1), model scores N(0, 1): AUC = Phi(1 / sqrt(2)).
    truth = norm.cdf(1.0 / np.sqrt(2.0))
    covered = 0
    n_trials = 300
    for _ in range(n_trials):
        real, model = rng.normal(1.0, 1.0, 60), rng.normal(0.0, 1.0, 80)
        auc, low, high = auc_confidence_interval(real, model, 0.95)
        if _ == 0:
            expected = roc_auc_score(
                np.repeat([1, 0], [60, 80]), np.concatenate([real, model])
            )
            assert auc == pytest.approx(expected, rel=1e-12)
        covered += low <= truth <= high
    # 95 % coverage; the share over 300 trials has s.e. sqrt(.95 * .05 / 300)
    # = 0.013, so [0.91, 0.99] is three s.e. each side.
    assert 0.91 <= covered / n_trials <= 0.99


def test_auc_interval_counts_ties_as_one_half():
    auc, low, high = auc_confidence_interval([1.0, 1.0, 2.0], [1.0, 0.0, 0.0])
    # Pairs: 1 beats 0 twice and ties 1 (x2 real ones), 2 beats all three.
    assert auc == pytest.approx((2 * (2 + 0.5) + 3) / 9)
    assert 0.0 <= low <= auc <= high <= 1.0


def test_classifier_two_sample_test_both_ways():
    rng = np.random.default_rng(0)
    real = rng.standard_normal((600, 2))
    same = classifier_two_sample_test(
        real, rng.standard_normal((600, 2)), random_state=0
    )
    assert same.ci_low < 0.5 < same.ci_high
    assert (same.n_real, same.n_model) == (300, 300)
    # A missing mode: the model has one of the data's two modes. A linear
    # classifier cannot see it (same mean); the default trees can.
    two = np.concatenate([real[:300] + 3.0, real[300:] - 3.0])
    one = rng.standard_normal((600, 2))
    found = classifier_two_sample_test(two, one, random_state=0)
    assert found.ci_low > 0.9
    linear = classifier_two_sample_test(
        two, one, classifier=LogisticRegression(), random_state=0
    )
    assert linear.auc < found.ci_low


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"test_size": 1.0}, "test_size"),
        ({"confidence_level": 0.0}, "confidence_level"),
    ],
)
def test_classifier_two_sample_test_validates(kwargs, match):
    X = np.random.default_rng(0).standard_normal((20, 2))
    with pytest.raises(ValueError, match=match):
        classifier_two_sample_test(X, X, **kwargs)
    with pytest.raises(ValueError, match="same number of features"):
        classifier_two_sample_test(X, X[:, :1])
