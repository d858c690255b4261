"""Helpers shared by the test files: one home for each, instead of a copy per file.

Pytest puts ``tests/`` on ``sys.path`` (``pythonpath`` in pyproject.toml), so a
test file imports them with ``from _helpers import ...``. Fixtures shared by
the test files are in ``tests/conftest.py``.

- :class:`CategoryRatio`: a stub ratio estimator whose exact weights are known;
- :func:`gaussian_log_ratio`: the exact log-ratio of two Gaussians;
- :func:`quadratic_shift`: labelled source rows, unlabelled target rows, and a
  regression target that a linear model fits differently on each domain;
- :func:`chi_square_pvalue`: Pearson's test of drawn categories;
- the expected failures of scikit-learn's common checks shared by several
  estimators, each with its reason.
"""

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator


class CategoryRatio(BaseEstimator):
    """The exact ratio ``weights[c]`` of a row whose first feature is category ``c``.

    A stub of the whole ratio-estimator protocol (``skratio._protocol``), with
    nothing to fit: the consumers' outputs can then be compared with
    probabilities computed exactly from ``weights``. A weight of 0 (a category
    the target never has) is a log-weight of ``-inf``, on purpose.

    Parameters
    ----------
    weights : sequence of float, default=(1.0,)
        The weight of each category; the first feature of ``X`` holds the
        categories ``0, 1, ..., len(weights) - 1``.

    Examples
    --------
    >>> from skratio._protocol import RATIO_ESTIMATOR
    >>> ratio = CategoryRatio([0.0, 2.0])
    >>> RATIO_ESTIMATOR.is_satisfied_by(ratio)
    True
    >>> ratio.fit_predict_weight([[1], [0], [1]], [1, 0, 0], cv=3)
    array([2., 0., 2.])
    >>> ratio.predict_log_weight([[1], [0]])
    array([0.69314718,       -inf])
    """

    def __init__(self, weights=(1.0,)):
        self.weights = weights

    def fit(self, X, y=None, sample_weight=None):
        """Nothing to learn: the ratio is given."""
        return self

    def __sklearn_is_fitted__(self):
        return True

    def predict_weight(self, X):
        """``weights[c]`` of each row's category ``c``."""
        categories = np.asarray(X)[:, 0].astype(int)
        return np.asarray(self.weights, dtype=float)[categories]

    def predict_log_weight(self, X):
        """The log of :meth:`predict_weight`: ``-inf`` where a weight is 0."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_weight(X))

    def fit_predict_weight(self, X, y=None, sample_weight=None, *, cv=None):
        """The weights of ``X``, as out-of-fold weights would be.

        Nothing is learnt, so every fold would give the same weights: ``cv``
        (a number of folds or a splitter, as the protocol allows) and
        ``sample_weight`` change nothing.
        """
        return self.fit(X, y, sample_weight).predict_weight(X)


def _log_density_terms(mean, cov, n_features):
    """Precision ``P``, ``P m``, ``m' P m`` and ``log det cov`` of N(m, cov)."""
    mean = np.broadcast_to(np.asarray(mean, dtype=float), (n_features,))
    cov = np.asarray(cov, dtype=float)
    if cov.ndim == 0:
        cov = cov * np.eye(n_features)
    precision = np.linalg.inv(cov)
    _, log_det = np.linalg.slogdet(cov)
    return precision, precision @ mean, mean @ precision @ mean, log_det


def gaussian_log_ratio(
    X, numerator_mean, denominator_mean, numerator_cov=1.0, denominator_cov=1.0
):
    """Exact ``log N(x; m1, S1) - log N(x; m0, S0)`` of each row of ``X``.

    Expanded as ``-x' (P1 - P0) x / 2 + x' (P1 m1 - P0 m0) - (m1' P1 m1 -
    m0' P0 m0) / 2 - (log det S1 - log det S0) / 2`` with ``P = S^-1``, so that
    equal covariances leave the linear log-ratio exactly (no difference of
    two large log-densities that nearly cancel).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    numerator_mean, denominator_mean : float or array-like of shape (n_features,)
        ``m1`` and ``m0``; a number is the same in every coordinate.
    numerator_cov, denominator_cov : float or array-like of shape \
            (n_features, n_features), default=1.0
        ``S1`` and ``S0``; a number ``s`` is ``s I``.

    Returns
    -------
    log_ratio : ndarray of shape (n_samples,)
    """
    X = np.asarray(X, dtype=float)
    n_features = X.shape[1]
    p1, p1_m1, m1_p1_m1, log_det1 = _log_density_terms(
        numerator_mean, numerator_cov, n_features
    )
    p0, p0_m0, m0_p0_m0, log_det0 = _log_density_terms(
        denominator_mean, denominator_cov, n_features
    )
    quadratic = np.einsum("ij,jk,ik->i", X, p1 - p0, X)
    return (
        -0.5 * quadratic
        + X @ (p1_m1 - p0_m0)
        - 0.5 * (m1_p1_m1 - m0_p0_m0)
        - 0.5 * (log_det1 - log_det0)
    )


def quadratic_shift(n_source, n_target, seed, shift=1.0, noise=0.5):
    """Source x ~ N(0, 1) labelled ``x^2 + N(0, noise^2)``, target N(shift, 1).

    The true ratio is ``p_t / p_s = exp(shift x - shift^2 / 2)`` (a linear
    log-ratio: the default logistic domain classifier is well specified),
    while a linear model of ``y`` is misspecified, so the shift changes its
    best fit. Target rows come after the source rows and are unlabelled
    (``NaN``): ``X[np.isnan(y)]`` is the target sample.

    Returns
    -------
    X : ndarray of shape (n_source + n_target, 1)
    y : ndarray of shape (n_source + n_target,)
    """
    rng = np.random.default_rng(seed)
    X = np.vstack(
        [rng.normal(0.0, 1.0, (n_source, 1)), rng.normal(shift, 1.0, (n_target, 1))]
    )
    y = np.concatenate(
        [
            X[:n_source, 0] ** 2 + noise * rng.normal(size=n_source),
            np.full(n_target, np.nan),
        ]
    )
    return X, y


def chi_square_pvalue(categories, expected_proba):
    """Pearson chi-square p-value of observed categories against probabilities."""
    observed = np.bincount(
        np.asarray(categories).ravel().astype(int), minlength=len(expected_proba)
    )
    expected = observed.sum() * np.asarray(expected_proba)
    # The chi-square approximation needs expected counts of at least 5.
    assert expected.min() >= 5
    return stats.chisquare(observed, expected).pvalue


# Expected failures of scikit-learn's common checks that several estimators
# share, for ``parametrize_with_checks(expected_failed_checks=...)``. Each must
# be about what the estimator means, not a convention it could follow; the
# failures of one estimator alone stay in its test file.

#: These checks fit domain labels {1, 2} (or "one"/"two"). Such labels do not
#: say which domain is the target, and skratio never guesses it from their sort
#: order (which silently inverts every weight): they need ``target_label``, and
#: without it fit raises a ValueError that names the labels.
#: tests/test_bad_input.py covers the same behaviours (dtypes, list and Series
#: inputs, weights left unchanged, one feature) with 0/1 labels.
LABEL_CHECKS = dict.fromkeys(
    [
        "check_estimators_dtypes",
        "check_sample_weights_pandas_series",
        "check_sample_weights_not_an_array",
        "check_sample_weights_shape",
        "check_sample_weights_not_overwritten",
        "check_classifier_data_not_an_array",
        "check_classifiers_classes",
        "check_fit2d_1feature",
    ],
    "fits labels {1, 2} or strings, which need target_label by design",
)

#: The default classifier's RobustScaler takes no sample_weight: its median and
#: quartiles count rows, not weights (the regression and the prior ratio are
#: weighted), so weighting a row is not repeating it for the scaling.
#: Estimators given another classifier pass these checks.
DEFAULT_CLASSIFIER_CHECKS = dict.fromkeys(
    [
        "check_sample_weight_equivalence_on_dense_data",
        "check_sample_weight_equivalence_on_sparse_data",
    ],
    "the default classifier's RobustScaler computes unweighted quantiles",
)
