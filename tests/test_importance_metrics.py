"""Tests of importance-weighted evaluation: weighted mean, Frechet distance, MMD.

The statistical tests use the analytic pair source ``N(0, I_d)``, target
``N(m, I_d)``, whose ratio is ``w(x) = exp(m . x - |m|^2 / 2)`` with
``E_source[w] = 1``. Moments under the source of functions times powers of
``w`` follow from ``E_source[w(x)^2 g(x)] = exp(|m|^2) E_{N(2m, I)}[g]`` and
``E_source[w(x)^4 g(x)] = exp(6 |m|^2) E_{N(4m, I)}[g]``. Bounds are four
standard errors (two-sided normal tail 6e-5) computed from those moments.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics.pairwise import rbf_kernel

from skratio.metrics import (
    frechet_distance,
    importance_weighted_mean,
    squared_mmd,
)


def shifted_pair(n_source, n_target, shift, seed):
    """Source rows, their exact weights, and target rows."""
    rng = np.random.default_rng(seed)
    shift = np.asarray(shift, dtype=float)
    source = rng.standard_normal((n_source, shift.size))
    target = shift + rng.standard_normal((n_target, shift.size))
    weights = np.exp(source @ shift - 0.5 * shift @ shift)
    return source, weights, target


# importance_weighted_mean -------------------------------------------------


def test_uniform_weights_give_the_plain_mean_and_standard_error():
    values = np.random.default_rng(0).normal(size=(200, 3))
    result = importance_weighted_mean(values, np.full(200, 0.25))
    assert np.allclose(result.mean, values.mean(axis=0))
    assert np.allclose(result.standard_error, values.std(axis=0) / np.sqrt(200))
    assert result.effective_sample_size == pytest.approx(200)
    one_column = importance_weighted_mean(values[:, 0], np.ones(200))
    assert isinstance(one_column.mean, float)
    assert one_column.mean == pytest.approx(values[:, 0].mean())


def test_standard_error_and_ess_follow_their_formulas():
    rng = np.random.default_rng(1)
    values, weights = rng.normal(size=50), rng.exponential(size=50)
    mean = np.sum(weights * values) / np.sum(weights)
    variance = np.sum(weights**2 * (values - mean) ** 2) / np.sum(weights) ** 2
    result = importance_weighted_mean(values, weights)
    assert result.mean == pytest.approx(mean)
    assert result.standard_error == pytest.approx(np.sqrt(variance))
    ess = np.sum(weights) ** 2 / np.sum(weights**2)
    assert result.effective_sample_size == pytest.approx(ess)


def test_recovers_the_target_mean_of_a_shifted_gaussian():
    # f(x) = x, d = 1, shift m = 0.5: the target mean is m. The asymptotic
    # variance of the self-normalised estimate is E_s[w^2 (x - m)^2] / n
    #   = exp(m^2) E_{N(2m,1)}[(x - m)^2] / n = exp(m^2) (1 + m^2) / n,
    # i.e. a standard error of 0.0090 for n = 20000.
    m, n = 0.5, 20000
    source, weights, _ = shifted_pair(n, 1, [m], seed=2)
    result = importance_weighted_mean(source[:, 0], weights)
    analytic_se = np.sqrt(np.exp(m**2) * (1 + m**2) / n)
    assert abs(result.mean - m) < 4 * analytic_se
    # The reported standard error estimates analytic_se. Its square is a mean
    # of n terms w^2 (x - m)^2 of mean V = exp(m^2)(1 + m^2) = 1.61 and second
    # moment exp(6 m^2) E_{N(4m,1)}[(x - m)^4] = exp(1.5)(1.5^4 + 6 * 1.5^2 + 3)
    # = 96.6, so its relative s.d. is sqrt(96.6 - V^2) / (V sqrt(n)) = 0.043,
    # and that of the standard error half of it, 0.021 (the normalising sum of
    # weights adds 0.004): four of them is 0.1.
    assert result.standard_error / analytic_se == pytest.approx(1.0, abs=0.1)


finite_values = st.floats(-1e6, 1e6, allow_nan=False)
# Zero or at least 1e-6: rescaled by 1e-3, no positive weight underflows to 0.
finite_weights = st.one_of(st.just(0.0), st.floats(1e-6, 1e6))


@settings(max_examples=50, deadline=None)
@given(
    values=arrays(np.float64, (12, 2), elements=finite_values),
    weights=arrays(np.float64, 12, elements=finite_weights).filter(
        lambda w: w.max() > 0
    ),
    scale=st.floats(1e-3, 1e3),
)
def test_mean_is_a_scale_free_convex_combination(values, weights, scale):
    result = importance_weighted_mean(values, weights)
    slack = 1e-9 * (1 + np.abs(values).max())
    assert (result.mean >= values.min(axis=0) - slack).all()
    assert (result.mean <= values.max(axis=0) + slack).all()
    rescaled = importance_weighted_mean(values, scale * weights)
    assert np.allclose(rescaled.mean, result.mean, rtol=1e-9, atol=slack)
    assert np.allclose(
        rescaled.standard_error, result.standard_error, rtol=1e-9, atol=slack
    )


@settings(max_examples=50, deadline=None)
@given(
    values=arrays(np.float64, 8, elements=st.floats(-100, 100)),
    counts=arrays(np.int64, 8, elements=st.integers(0, 5)).filter(
        lambda c: c.sum() > 0
    ),
)
def test_integer_weights_average_like_repeated_rows(values, counts):
    result = importance_weighted_mean(values, counts)
    assert result.mean == pytest.approx(np.repeat(values, counts).mean(), abs=1e-9)


@pytest.mark.parametrize(
    "values, weights, message",
    [
        (np.ones(3), [1.0, -1.0, 1.0], "weights must be non-negative"),
        (np.ones(3), [0.0, 0.0, 0.0], "at least one positive weight"),
        (np.ones(3), [1.0, 1.0], "inconsistent numbers of samples"),
        ([1.0, np.nan, 2.0], np.ones(3), "Input values contains NaN"),
        (np.ones(3), [1.0, np.inf, 1.0], "Input weights contains infinity"),
        (np.ones((3, 2, 2)), np.ones(3), "Found array with dim 3"),
    ],
)
def test_importance_weighted_mean_rejects_bad_input(values, weights, message):
    with pytest.raises(ValueError, match=message):
        importance_weighted_mean(values, weights)


# frechet_distance with sample_weight ----------------------------------------


def test_frechet_uniform_weights_equal_no_weights_and_scale_does_not_matter():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(100, 3)), rng.normal(1.0, 2.0, size=(80, 3))
    unweighted = frechet_distance(X, Y)
    assert frechet_distance(X, Y, sample_weight=np.full(100, 7.0)) == pytest.approx(
        unweighted
    )
    weights = rng.exponential(size=100)
    assert frechet_distance(X, Y, sample_weight=weights) == pytest.approx(
        frechet_distance(X, Y, sample_weight=1e-3 * weights)
    )


def test_frechet_zero_weight_rows_are_ignored():
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(60, 2)), rng.normal(size=(70, 2))
    weights = rng.exponential(size=60)
    padded = np.vstack([X, 1e3 + rng.normal(size=(10, 2))])
    padded_weights = np.r_[weights, np.zeros(10)]
    assert frechet_distance(padded, Y, sample_weight=padded_weights) == pytest.approx(
        frechet_distance(X, Y, sample_weight=weights)
    )


def test_frechet_importance_weights_remove_a_mean_shift():
    # Shift |m| = 1 in d = 2, n = 4000 rows per sample.
    # Unweighted: FD = ||mean_X - mean_Y||^2 + (covariance term ~ 1e-3), and
    # ||mean_X - mean_Y||^2 has mean |m|^2 + 2d/n and s.d. about
    # 2 |m| sqrt(2/n) = 0.045: within 0.19 of 1 (four s.d. plus the bias).
    # Weighted: the weighted mean has per-coordinate variance
    # exp(|m|^2)(1 + m_j^2)/n = e * 1.5 / 4000 = 0.0010, plus 1/n from Y, so
    # ||mean_X - mean_Y||^2 is about 0.0013 * chi2_2, below 0.023 with
    # probability 1 - 1e-4; the covariance term is of the same order as the
    # squared s.d. of the weighted covariances, ~ 0.002. Hence FD < 0.05.
    source, weights, target = shifted_pair(4000, 4000, [np.sqrt(0.5)] * 2, seed=5)
    assert frechet_distance(source, target) == pytest.approx(1.0, abs=0.19)
    assert frechet_distance(source, target, sample_weight=weights) < 0.05


@pytest.mark.parametrize(
    "sample_weight, message",
    [
        (-np.ones(20), "sample_weight must be non-negative"),
        (np.ones(19), "inconsistent numbers of samples"),
        (np.zeros(20), "at least one positive weight"),
        (np.r_[1.0, np.zeros(19)], "at least two rows of X"),
        # The second weight is positive but lost in the sum: 0 / 0 again.
        (np.r_[1.0, 1e-300, np.zeros(18)], "at least two rows of X"),
    ],
)
def test_frechet_rejects_bad_weights(sample_weight, message):
    X = np.random.default_rng(6).normal(size=(20, 2))
    with pytest.raises(ValueError, match=message):
        frechet_distance(X, X, sample_weight=sample_weight)


# squared_mmd ------------------------------------------------------------------


def brute_force_squared_mmd(X, Y, weights, gamma):
    """The weighted U-statistic from full kernel matrices, pairs i = j left out."""
    a = weights / weights.sum()
    off_diagonal_pairs = np.outer(a, a) * (1 - np.eye(len(X)))
    xx = (
        np.sum(off_diagonal_pairs * rbf_kernel(X, gamma=gamma))
        / off_diagonal_pairs.sum()
    )
    k_yy, m = rbf_kernel(Y, gamma=gamma), len(Y)
    yy = (k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return xx + yy - 2 * (a @ rbf_kernel(X, Y, gamma=gamma)).mean()


def test_squared_mmd_matches_the_formula():
    # 3000 rows: the kernel sums run in several blocks of rows.
    rng = np.random.default_rng(7)
    X, Y = rng.normal(size=(3000, 2)), rng.normal(0.3, 1.0, size=(1500, 2))
    weights = rng.exponential(size=3000)
    assert squared_mmd(X, Y, sample_weight=weights, gamma=0.4) == pytest.approx(
        brute_force_squared_mmd(X, Y, weights, 0.4)
    )
    unbiased = brute_force_squared_mmd(X, Y, np.ones(3000), 0.4)
    assert squared_mmd(X, Y, gamma=0.4) == pytest.approx(unbiased)
    assert squared_mmd(
        X, Y, sample_weight=np.full(3000, 5.0), gamma=0.4
    ) == pytest.approx(unbiased)


def test_squared_mmd_default_gamma_uses_y_only_and_is_scale_free():
    rng = np.random.default_rng(8)
    X, Y = rng.normal(size=(200, 3)), rng.normal(0.5, 2.0, size=(150, 3))
    gamma = 1.0 / (2.0 * Y.var(axis=0).sum())
    assert squared_mmd(X, Y) == pytest.approx(squared_mmd(X, Y, gamma=gamma))
    weights = rng.exponential(size=200)
    assert squared_mmd(10 * X, 10 * Y, sample_weight=weights) == pytest.approx(
        squared_mmd(X, Y, sample_weight=weights)
    )


def test_squared_mmd_zero_weight_rows_are_ignored():
    rng = np.random.default_rng(9)
    X, Y = rng.normal(size=(50, 2)), rng.normal(size=(40, 2))
    weights = rng.exponential(size=50)
    padded = np.vstack([X, rng.normal(5.0, 1.0, size=(10, 2))])
    assert squared_mmd(
        padded, Y, sample_weight=np.r_[weights, np.zeros(10)]
    ) == pytest.approx(squared_mmd(X, Y, sample_weight=weights))


def population_squared_mmd(shift_norm, d, gamma):
    """MMD^2 of N(a, I_d) and N(b, I_d), |a - b| = shift_norm, Gaussian kernel.

    For z ~ N(mu, 2 I_d): E exp(-gamma |z|^2) = (1 + 4 gamma)^(-d/2)
    exp(-gamma |mu|^2 / (1 + 4 gamma)); x - x' has mu = 0, x - y has mu = a - b.
    """
    scale = (1 + 4 * gamma) ** (-d / 2)
    return 2 * scale * (1 - np.exp(-gamma * shift_norm**2 / (1 + 4 * gamma)))


def test_squared_mmd_is_unbiased_and_weights_remove_a_shift():
    # Replicates of n = 500 source rows (with exact weights) and 500 target
    # rows, shift |m| = 1 in d = 2, gamma = 0.25. The unweighted U-statistic is
    # unbiased for the population MMD^2 (0.118), the weighted one for 0 up to
    # the O(1/n) bias of self-normalisation, about Var(w) / n = (e - 1) / 500
    # times kernel differences below 0.3, i.e. < 0.001, a fraction of the
    # standard error of the replicate mean. Bounds: four standard errors of
    # the replicate mean (t with 29 d.f.: two-sided tail 4e-4).
    gamma, n_replicates = 0.25, 30
    shift = np.array([np.sqrt(0.5)] * 2)
    unweighted, weighted = [], []
    for seed in range(n_replicates):
        source, weights, target = shifted_pair(500, 500, shift, seed=100 + seed)
        unweighted.append(squared_mmd(source, target, gamma=gamma))
        weighted.append(squared_mmd(source, target, sample_weight=weights, gamma=gamma))
    unweighted, weighted = np.array(unweighted), np.array(weighted)

    def standard_error(values):
        return values.std(ddof=1) / np.sqrt(n_replicates)

    expected = population_squared_mmd(1.0, 2, gamma)
    assert abs(unweighted.mean() - expected) < 4 * standard_error(unweighted)
    assert abs(weighted.mean()) < 4 * standard_error(weighted) + 0.001
    assert weighted.mean() < expected / 10


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(sample_weight=np.r_[1.0, np.zeros(19)]), "at least two rows of X"),
        (dict(sample_weight=-np.ones(20)), "sample_weight must be non-negative"),
        (dict(gamma=0.0), "gamma must be a positive finite number"),
        (dict(gamma=np.inf), "gamma must be a positive finite number"),
    ],
)
def test_squared_mmd_rejects_bad_input(kwargs, message):
    X = np.random.default_rng(10).normal(size=(20, 2))
    with pytest.raises(ValueError, match=message):
        squared_mmd(X, X, **kwargs)


def test_squared_mmd_rejects_mismatched_or_constant_data():
    X = np.random.default_rng(11).normal(size=(20, 2))
    with pytest.raises(ValueError, match="same number of features"):
        squared_mmd(X, X[:, :1])
    with pytest.raises(ValueError, match="rows of Y that differ"):
        squared_mmd(X, np.ones((5, 2)))
    with pytest.raises(ValueError, match="minimum of 2 is required"):
        squared_mmd(X, X[:1])


# importance weights through a feature map -----------------------------------


def test_importance_weights_remove_a_shift_seen_through_a_feature_map():
    # The same pair as above, with a third coordinate of pure noise that the
    # feature map drops and a scale of 2 on what it keeps: the features of
    # the source are N(0, 4 I_2), of the target N(2m, 4 I_2). Unweighted,
    # FD = 4 |m|^2 = 4 up to the sampling error of 4 times the one above
    # (four s.d. plus bias: 4 * 0.19). Weighted, the weighted mean difference
    # scales by 2 and FD by 4: below 4 * 0.05.
    source, weights, target = shifted_pair(4000, 4000, [np.sqrt(0.5)] * 2, seed=5)
    rng = np.random.default_rng(7)
    noise = rng.standard_normal((4000, 1))
    source, target = np.hstack([source, noise]), np.hstack([target, 5.0 + noise])

    def features(X):
        return 2.0 * X[:, :2]

    assert frechet_distance(source, target, feature_map=features) == pytest.approx(
        4.0, abs=4 * 0.19
    )
    assert (
        frechet_distance(source, target, sample_weight=weights, feature_map=features)
        < 4 * 0.05
    )
    # Without the map, the noise column's shift of 5 dominates: 25 + 1.
    assert frechet_distance(source, target, sample_weight=weights) > 20
    # Unweighted through the map, the population MMD^2 is
    # 2 (1 + 4 g s^2)^(-1) (1 - exp(-g |2m|^2 / (1 + 4 g s^2))) = 0.118 with
    # s^2 = 4 and the default g = 1 / (2 tr Cov) = 1/16; weighted, near 0.
    unweighted = squared_mmd(source, target, feature_map=features)
    weighted = squared_mmd(source, target, sample_weight=weights, feature_map=features)
    assert unweighted > 0.05
    assert abs(weighted) < unweighted / 5
