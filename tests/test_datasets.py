"""Synthetic Gaussian shifts and paper-style biased splits."""

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import load_digits

from skratio import stack_domains
from skratio.datasets import make_biased_split, make_gaussian_shift

from _helpers import gaussian_log_ratio


@pytest.mark.parametrize("target_scale", [1.0, 0.5, 2.0])
def test_gaussian_shift_log_ratio_is_the_analytic_one(target_scale):
    X, y, log_ratio = make_gaussian_shift(
        300,
        200,
        n_features=4,
        shift=[1.0, 0.0, -0.5, 2.0],
        target_scale=target_scale,
        random_state=0,
    )
    assert X.shape == (500, 4) and (y == 1).sum() == 200
    target = stats.multivariate_normal(
        [1.0, 0.0, -0.5, 2.0], target_scale**2 * np.eye(4)
    )
    source = stats.multivariate_normal(np.zeros(4), np.eye(4))
    np.testing.assert_allclose(log_ratio, target.logpdf(X) - source.logpdf(X))


def test_the_tests_analytic_log_ratio_is_that_of_scipy():
    # tests/_helpers.py's gaussian_log_ratio, which the ratio estimators'
    # tests take as the truth, on full covariances and on the equal unit
    # covariances of make_gaussian_shift (where it is linear).
    rng = np.random.default_rng(2)
    X = 2.0 * rng.standard_normal((40, 3))
    means = rng.standard_normal(3), rng.standard_normal(3)
    factors = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    covariances = [a @ a.T + 0.5 * np.eye(3) for a in factors]
    expected = stats.multivariate_normal(means[0], covariances[0]).logpdf(
        X
    ) - stats.multivariate_normal(means[1], covariances[1]).logpdf(X)
    np.testing.assert_allclose(
        gaussian_log_ratio(X, *means, *covariances), expected, rtol=1e-10
    )
    X, _, log_ratio = make_gaussian_shift(50, 50, n_features=3, random_state=1)
    np.testing.assert_allclose(
        gaussian_log_ratio(X, 1 / np.sqrt(3), 0.0), log_ratio, rtol=1e-12
    )


def test_gaussian_shift_samples_follow_their_domains():
    X, y, _ = make_gaussian_shift(5000, 5000, n_features=2, shift=2.0, random_state=1)
    # Each coordinate of the target mean is 2 / sqrt(2); the sample mean of
    # 5000 unit-variance draws is within 4 / sqrt(5000) = 0.057 of it.
    np.testing.assert_allclose(
        X[y == 1].mean(axis=0), np.sqrt(2), atol=4 / np.sqrt(5000)
    )
    np.testing.assert_allclose(X[y == 0].mean(axis=0), 0.0, atol=4 / np.sqrt(5000))
    # Reproducible.
    X2, _, _ = make_gaussian_shift(5000, 5000, n_features=2, shift=2.0, random_state=1)
    np.testing.assert_array_equal(X, X2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_source": 0}, "n_source"),
        ({"n_features": 2.5}, "n_features"),
        ({"target_scale": 0.0}, "target_scale"),
        ({"shift": [1.0, 2.0, 3.0]}, "shift"),
    ],
)
def test_gaussian_shift_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_gaussian_shift(**kwargs)


def test_biased_split_of_digits_has_the_requested_proportions():
    digits = load_digits()
    groups = digits.target >= 5
    X, y, g, indices = make_biased_split(
        digits.data,
        groups,
        bias=0.9,
        reference_size=0.25,
        random_state=0,
        return_indices=True,
    )
    n_biased, n_reference = np.sum(y == 0), np.sum(y == 1)
    assert n_reference == pytest.approx(0.25 * n_biased, abs=1)
    assert np.mean(~g[y == 0]) == pytest.approx(0.9, abs=1 / n_biased)
    assert np.mean(g[y == 1]) == pytest.approx(0.5, abs=1 / n_reference)
    # Disjoint rows, taken from X, with their groups.
    assert len(np.unique(indices)) == len(indices)
    np.testing.assert_array_equal(X, digits.data[indices])
    np.testing.assert_array_equal(g, groups[indices])
    # The largest split the groups allow: one group is (nearly) used up.
    used = np.bincount(groups[indices].astype(int), minlength=2)
    available = np.bincount(groups.astype(int))
    assert np.min(available - used) <= 2


def test_biased_split_several_groups_and_given_sizes():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 4, 4000)
    X = rng.standard_normal((4000, 3))
    bias = [0.4, 0.3, 0.2, 0.1]
    reference = [0.1, 0.2, 0.3, 0.4]
    Xs, y, g = make_biased_split(
        X,
        groups,
        bias=bias,
        reference_size=0.5,
        reference_proportions=reference,
        n_biased=1000,
        random_state=1,
    )
    np.testing.assert_array_equal(np.bincount(g[y == 0]), [400, 300, 200, 100])
    np.testing.assert_array_equal(np.bincount(g[y == 1]), [50, 100, 150, 200])
    again = make_biased_split(
        X,
        groups,
        bias=bias,
        reference_size=0.5,
        reference_proportions=reference,
        n_biased=1000,
        random_state=1,
    )
    np.testing.assert_array_equal(Xs, again[0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"bias": 0.9, "reference_size": 0.25, "n_biased": 10**6}, "available"),
        ({"bias": 1.2, "reference_size": 0.25}, "bias"),
        ({"bias": [0.5, 0.6], "reference_size": 0.25}, "summing to 1"),
        ({"bias": 0.9, "reference_size": 0.0}, "reference_size"),
        (
            {"bias": 0.9, "reference_size": 0.25, "reference_proportions": [1.0]},
            "one proportion",
        ),
    ],
)
def test_biased_split_validates(kwargs, match):
    X = np.zeros((100, 2))
    groups = np.repeat([0, 1], 50)
    with pytest.raises(ValueError, match=match):
        make_biased_split(X, groups, **kwargs)


def test_biased_split_needs_two_groups_and_matching_lengths():
    with pytest.raises(ValueError, match="two groups"):
        make_biased_split(np.zeros((10, 1)), np.zeros(10), bias=0.5, reference_size=1.0)
    with pytest.raises(ValueError, match="rows"):
        make_biased_split(np.zeros((10, 1)), np.zeros(9), bias=0.5, reference_size=1.0)
    with pytest.raises(ValueError, match="exactly two groups"):
        make_biased_split(
            np.zeros((9, 1)), np.arange(9) % 3, bias=0.5, reference_size=1.0
        )


def test_stack_domains():
    X, y = stack_domains([[1, 2], [3, 4]], [[5, 6]])
    np.testing.assert_array_equal(X, [[1, 2], [5, 6], [3, 4]])
    np.testing.assert_array_equal(y, [0, 1, 0])
    with pytest.raises(ValueError, match="same number of features"):
        stack_domains(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="0 sample"):
        stack_domains(np.zeros((0, 2)), np.zeros((2, 2)))
