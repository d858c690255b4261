"""Distances between two samples, and the classifier two-sample test.

The public functions are re-exported by :mod:`skratio.metrics`; the feature
map and the AUC interval are shared with :mod:`skratio._corrected`.
"""

from typing import NamedTuple

import numpy as np
from scipy import linalg, stats
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.model_selection import train_test_split
from sklearn.utils import (
    check_array,
    check_consistent_length,
    check_random_state,
    column_or_1d,
)

from ._protocol import derive_seed
from ._validation import check_weights


def map_features(feature_map, *arrays):
    """Each array mapped by ``feature_map`` (a fitted transformer or a callable)."""
    if feature_map is None:
        return arrays
    if hasattr(feature_map, "transform"):
        transform = feature_map.transform
    elif callable(feature_map):
        transform = feature_map
    else:
        raise TypeError(
            "feature_map must be a fitted transformer (with transform) or a "
            f"callable X -> features; got {type(feature_map).__name__}."
        )
    mapped = []
    for array in arrays:
        features = np.asarray(transform(array), dtype=np.float64)
        if features.ndim != 2 or features.shape[0] != _num_rows(array):
            raise ValueError(
                "feature_map must return a 2-D array with one row per input row; "
                f"got shape {features.shape} for {_num_rows(array)} rows."
            )
        if not np.isfinite(features).all():
            raise ValueError("feature_map returned NaN or infinite features.")
        mapped.append(features)
    return mapped


def _num_rows(array):
    return array.shape[0] if hasattr(array, "shape") else len(array)


def _trace_sqrt_product(A, B):
    """``tr((A B)^(1/2))`` for symmetric positive semi-definite ``A`` and ``B``.

    ``A B`` is similar to ``A^(1/2) B A^(1/2)``, which is symmetric PSD, so the
    trace is the sum of the square roots of its eigenvalues. Unlike a general
    matrix square root of ``A B``, this stays real and accurate when a
    covariance is singular (e.g. constant pixels).
    """
    eigenvalues, eigenvectors = linalg.eigh(A)
    A_half = (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T
    product = linalg.eigvalsh(A_half @ B @ A_half)
    return float(np.sum(np.sqrt(np.clip(product, 0.0, None))))


def frechet_distance(X, Y, *, sample_weight=None, feature_map=None):
    """Frechet distance between Gaussian fits of two feature sets.

    ``||mu_X - mu_Y||^2 + tr(S_X + S_Y - 2 (S_X S_Y)^(1/2))`` (the FID formula
    applied to any features). ``sample_weight`` weighs the rows of ``X``, e.g.
    importance weights of a model's samples, so that a weighted evaluation can
    be compared with an unweighted one.

    Parameters
    ----------
    X : array-like of shape (n_samples_X, n_features)
        Features of the first set (e.g. a model's samples).
    Y : array-like of shape (n_samples_Y, n_features)
        Features of the second set (e.g. held-out real data).
    sample_weight : array-like of shape (n_samples_X,), default=None
        Non-negative weights of the rows of ``X`` for its mean and covariance.
    feature_map : fitted transformer or callable, default=None
        Maps the rows of ``X`` and ``Y`` to the features compared (FID-style:
        e.g. a fitted :class:`~sklearn.pipeline.Pipeline` whose ``transform``
        gives a classifier's hidden layer, or a function ``X -> features``).
        ``None`` compares the rows themselves.

    Returns
    -------
    distance : float
        Non-negative; 0 for identical Gaussian fits.

    Examples
    --------
    >>> import numpy as np
    >>> from skratio.metrics import frechet_distance
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((5000, 2))
    >>> round(frechet_distance(X, X + [3.0, 0.0]), 6)
    9.0
    >>> round(frechet_distance(X, X + [3.0, 0.0], feature_map=lambda Z: Z[:, 1:]), 6)
    0.0
    """
    X, Y = map_features(feature_map, X, Y)
    X = check_array(X, dtype=np.float64, ensure_min_samples=2, input_name="X")
    Y = check_array(Y, dtype=np.float64, ensure_min_samples=2, input_name="Y")
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"X and Y must have the same number of features; got {X.shape[1]} and "
            f"{Y.shape[1]}."
        )
    if sample_weight is not None:
        sample_weight = check_weights(sample_weight, "sample_weight")
        check_consistent_length(X, sample_weight)
        if not sample_weight.any():
            raise ValueError("sample_weight must have at least one positive weight.")
        shares = sample_weight / sample_weight.sum()
        # The unbiased weighted covariance divides by 1 - sum(shares**2),
        # 0 when one row carries all the weight (or all but a few ulps).
        if 1.0 - shares @ shares < 1e-12:
            raise ValueError(
                "frechet_distance needs weights spread over at least two rows of "
                "X; one row carries all the weight (effective sample size 1)."
            )
    mean_x = np.average(X, axis=0, weights=sample_weight)
    mean_y = Y.mean(axis=0)
    cov_x = np.atleast_2d(np.cov(X, rowvar=False, aweights=sample_weight))
    cov_y = np.atleast_2d(np.cov(Y, rowvar=False))
    distance = (
        np.sum((mean_x - mean_y) ** 2)
        + np.trace(cov_x)
        + np.trace(cov_y)
        - 2.0 * _trace_sqrt_product(cov_x, cov_y)
    )
    return float(max(distance, 0.0))


def _weighted_kernel_sum(A, B, a, b, gamma):
    """``a @ K(A, B) @ b`` for the Gaussian kernel, a block of rows at a time."""
    # Blocks of at most 2**22 kernel entries (32 MiB) bound the memory.
    step = max(1, 2**22 // B.shape[0])
    return sum(
        a[start : start + step]
        @ rbf_kernel(A[start : start + step], B, gamma=gamma)
        @ b
        for start in range(0, A.shape[0], step)
    )


def squared_mmd(X, Y, *, sample_weight=None, gamma=None, feature_map=None):
    """Squared maximum mean discrepancy (MMD) with a Gaussian kernel.

    Compares a weighted sample ``X`` (a model's samples with importance
    weights) with a sample ``Y`` (held-out data), with the kernel
    ``k(x, y) = exp(-gamma ||x - y||^2)``::

        MMD^2 = sum_{i != j} a_i a_j k(x_i, x_j) / (1 - sum_i a_i^2)
              - 2 sum_{i, l} a_i k(x_i, y_l) / m
              + sum_{l != l'} k(y_l, y_l') / (m (m - 1))

    with ``a = sample_weight / sum(sample_weight)`` and ``m`` rows in ``Y``.
    Without weights this is the unbiased estimate ``MMD^2_u`` of Gretton et
    al. (2012, "A kernel two-sample test"). Leaving out the pairs ``i = j``
    removes the upward bias of the plug-in estimate, of order ``1 / ESS``,
    which would otherwise make a weighted sample (whose effective sample size
    is smaller) look worse than it is. The estimate can therefore be slightly
    negative when the two distributions are equal.

    Parameters
    ----------
    X : array-like of shape (n_samples_X, n_features)
        The first sample, e.g. a model's samples.
    Y : array-like of shape (n_samples_Y, n_features)
        The second sample, e.g. held-out real data; at least 2 rows.
    sample_weight : array-like of shape (n_samples_X,), default=None
        Non-negative weights of the rows of ``X``, at least two positive.
    gamma : float > 0, default=None
        Kernel width. ``None`` uses ``1 / (2 tr Cov(Y))``, the inverse of the
        mean squared distance between two rows of ``Y``; it depends on ``Y``
        only, so weighted and unweighted evaluations of a model against the
        same ``Y`` use the same kernel.
    feature_map : fitted transformer or callable, default=None
        Maps the rows of ``X`` and ``Y`` to the features the kernel compares
        (see :func:`frechet_distance`); ``gamma=None`` is then computed on the
        features of ``Y``.

    Returns
    -------
    mmd2 : float
        Estimate of the squared MMD; about 0 for equal distributions.

    Examples
    --------
    >>> import numpy as np
    >>> from skratio.metrics import squared_mmd
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 2))
    >>> bool(squared_mmd(X, rng.standard_normal((500, 2))) < 0.01)
    True
    >>> bool(squared_mmd(X, rng.standard_normal((500, 2)) + 1.0) > 0.1)
    True
    """
    X, Y = map_features(feature_map, X, Y)
    X = check_array(X, dtype=np.float64, input_name="X")
    Y = check_array(Y, dtype=np.float64, ensure_min_samples=2, input_name="Y")
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"X and Y must have the same number of features; got {X.shape[1]} and "
            f"{Y.shape[1]}."
        )
    if sample_weight is None:
        sample_weight = np.ones(X.shape[0])
    sample_weight = check_weights(sample_weight, "sample_weight")
    check_consistent_length(X, sample_weight)
    if np.count_nonzero(sample_weight) < 2:
        raise ValueError(
            "squared_mmd needs at least two rows of X with positive weight."
        )
    if gamma is None:
        mean_sq_distance = 2.0 * Y.var(axis=0).sum()
        if mean_sq_distance <= 0:
            raise ValueError("gamma=None needs rows of Y that differ; pass gamma.")
        gamma = 1.0 / mean_sq_distance
    elif not (gamma > 0 and np.isfinite(gamma)):
        raise ValueError(f"gamma must be a positive finite number; got {gamma!r}.")
    a = sample_weight / sample_weight.sum()
    b = np.full(Y.shape[0], 1.0 / Y.shape[0])
    # k(x, x) = 1: the diagonal contributes sum a_i^2 (resp. 1/m) to each sum.
    sum_a2 = a @ a
    xx = (_weighted_kernel_sum(X, X, a, a, gamma) - sum_a2) / (1.0 - sum_a2)
    yy = (_weighted_kernel_sum(Y, Y, b, b, gamma) - b[0]) / (1.0 - b[0])
    xy = _weighted_kernel_sum(X, Y, a, b, gamma)
    return float(xx + yy - 2.0 * xy)


class ClassifierTwoSampleTest(NamedTuple):
    """Result of :func:`classifier_two_sample_test`."""

    auc: float
    ci_low: float
    ci_high: float
    n_real: int
    n_model: int


def auc_confidence_interval(scores_real, scores_model, confidence_level=0.95):
    """AUC of scores that should rank real rows first, with DeLong's interval.

    ``AUC = P(s_real > s_model) + P(s_real = s_model) / 2``; its variance is
    DeLong et al.'s (1988) from the placement values of each row, and the
    interval is the normal one, clipped to ``[0, 1]``.
    """
    scores_real = column_or_1d(scores_real).astype(np.float64)
    scores_model = column_or_1d(scores_model).astype(np.float64)
    m, n = scores_real.size, scores_model.size
    if m < 2 or n < 2:
        raise ValueError(
            f"An AUC interval needs at least 2 scores on each side; got {m} real "
            f"and {n} model scores."
        )
    if not (np.isfinite(scores_real).all() and np.isfinite(scores_model).all()):
        raise ValueError("The scores must be finite.")
    # Average ranks count ties as one half, as the AUC does.
    ranks = stats.rankdata(np.concatenate([scores_real, scores_model]))
    # Placement of each real row: the share of model rows it outranks, and of
    # each model row: the share of real rows that outrank it.
    place_real = (ranks[:m] - stats.rankdata(scores_real)) / n
    place_model = 1.0 - (ranks[m:] - stats.rankdata(scores_model)) / m
    auc = float(place_real.mean())
    standard_error = np.sqrt(place_real.var(ddof=1) / m + place_model.var(ddof=1) / n)
    half_width = stats.norm.ppf(0.5 + confidence_level / 2.0) * standard_error
    return auc, max(0.0, auc - half_width), min(1.0, auc + half_width)


def classifier_two_sample_test(
    X_real,
    X_model,
    *,
    classifier=None,
    feature_map=None,
    test_size=0.5,
    confidence_level=0.95,
    random_state=None,
):
    """Held-out AUC of a classifier telling real rows from a model's samples.

    The classifier two-sample test (Lopez-Paz and Oquab 2017): a classifier is
    trained on part of the real and generated rows and scored on the rest.
    A held-out AUC of 0.5 means the classifier cannot tell the samples apart
    (the model's samples look like the data to this classifier); 1 means they
    are separable. The interval is DeLong's for the held-out AUC.

    Parameters
    ----------
    X_real : array-like of shape (n_real, n_features)
        Real rows (label 1).
    X_model : array-like of shape (n_model, n_features)
        The model's samples (label 0).
    classifier : classifier with ``predict_proba``, default=None
        Cloned and fitted on the training part. ``None`` uses a
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`, which sees
        non-linear differences (a missing mode) that a linear classifier
        cannot.
    feature_map : fitted transformer or callable, default=None
        Maps the rows before the classifier sees them (see
        :func:`frechet_distance`).
    test_size : float in (0, 1), default=0.5
        Share of each sample held out for the AUC.
    confidence_level : float in (0, 1), default=0.95
        Coverage of the interval.
    random_state : int, RandomState instance or None, default=None
        Seeds the split (and the default classifier).

    Returns
    -------
    result : ClassifierTwoSampleTest
        Named tuple ``(auc, ci_low, ci_high, n_real, n_model)``: the held-out
        AUC, its interval and the held-out rows on each side.

    Examples
    --------
    >>> import numpy as np
    >>> from skratio.metrics import classifier_two_sample_test
    >>> rng = np.random.default_rng(0)
    >>> real = rng.standard_normal((400, 2))
    >>> same = classifier_two_sample_test(real, rng.standard_normal((400, 2)),
    ...                                   random_state=0)
    >>> bool(same.ci_low < 0.5 < same.ci_high)
    True
    >>> shifted = classifier_two_sample_test(real, rng.standard_normal((400, 2)) + 2,
    ...                                      random_state=0)
    >>> bool(shifted.ci_low > 0.8)
    True
    """
    if not (0.0 < test_size < 1.0):
        raise ValueError(f"test_size must be in (0, 1); got {test_size!r}.")
    if not (0.0 < confidence_level < 1.0):
        raise ValueError(
            f"confidence_level must be in (0, 1); got {confidence_level!r}."
        )
    X_real, X_model = map_features(feature_map, X_real, X_model)
    X_real = check_array(
        X_real, dtype=np.float64, ensure_min_samples=4, input_name="X_real"
    )
    X_model = check_array(
        X_model, dtype=np.float64, ensure_min_samples=4, input_name="X_model"
    )
    if X_real.shape[1] != X_model.shape[1]:
        raise ValueError(
            "X_real and X_model must have the same number of features; got "
            f"{X_real.shape[1]} and {X_model.shape[1]}."
        )
    rng = check_random_state(random_state)
    if classifier is None:
        classifier = HistGradientBoostingClassifier(random_state=derive_seed(rng))
    X = np.vstack([X_model, X_real])
    y = np.repeat([0, 1], [X_model.shape[0], X_real.shape[0]])
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=derive_seed(rng)
    )
    fitted = clone(classifier).fit(X_train, y_train)
    column = list(fitted.classes_).index(1)
    scores = fitted.predict_proba(X_test)[:, column]
    auc, low, high = auc_confidence_interval(
        scores[y_test == 1], scores[y_test == 0], confidence_level
    )
    return ClassifierTwoSampleTest(
        auc, low, high, int((y_test == 1).sum()), int((y_test == 0).sum())
    )


# --------------------------------------------------------------------------
# Overlap diagnostics of a density ratio (held-out domain AUC, E_source[w] = 1)
