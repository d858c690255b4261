"""Metrics for density ratios, domain classifiers and importance weights.

Domain labels follow the package convention: ``0`` for the source (biased
data, model samples), ``1`` for the target (reference data, real data).
"""

import numpy as np
from scipy import linalg
from sklearn.utils import check_array, check_consistent_length, column_or_1d

__all__ = [
    "bayes_optimal_nce",
    "effective_sample_size",
    "fairness_discrepancy",
    "frechet_distance",
    "negative_cross_entropy",
]

# Probabilities are clipped away from 0 and 1 so that a confident mistake costs
# a large but finite log-loss.
_EPS = np.finfo(np.float64).eps


def _check_weights(weights, name="weights"):
    weights = column_or_1d(
        check_array(weights, ensure_2d=False, dtype=np.float64, input_name=name)
    )
    if (weights < 0).any():
        raise ValueError(f"{name} must be non-negative.")
    return weights


def _check_target_proba(y_proba):
    """Probability of the target domain, from a (n,) or (n, 2) array."""
    y_proba = check_array(y_proba, ensure_2d=False, dtype=np.float64, input_name="y_proba")
    if y_proba.ndim == 2:
        if y_proba.shape[1] != 2:
            raise ValueError(
                "y_proba must have shape (n_samples,) or (n_samples, 2); got "
                f"{y_proba.shape}."
            )
        y_proba = y_proba[:, 1]
    if ((y_proba < 0) | (y_proba > 1)).any():
        raise ValueError("y_proba must contain probabilities in [0, 1].")
    return y_proba


def negative_cross_entropy(y_true, y_proba, *, prior_ratio=None, sample_weight=None):
    """Negative cross-entropy (NCE) of a domain classifier; higher is better.

    Choi et al. (2020), Eq. 6::

        NCE(c) = 1/(gamma+1) E_target[log c(x)] + gamma/(gamma+1) E_source[log(1-c(x))]

    With ``prior_ratio=None``, ``gamma`` is the (weighted) ratio of source to
    target rows in ``y_true`` and the NCE is the mean log-likelihood of the
    labels (minus the log-loss).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Domain labels, 0 (source) or 1 (target).
    y_proba : array-like of shape (n_samples,) or (n_samples, 2)
        Predicted probability of the target domain, or both columns of
        ``predict_proba``. Clipped to ``[eps, 1 - eps]``.
    prior_ratio : float > 0, default=None
        ``gamma = P(y=0) / P(y=1)`` used to mix the two domain terms. ``None``
        uses the proportions of ``y_true``.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    nce : float
        At most 0.

    Examples
    --------
    >>> from skratio.metrics import negative_cross_entropy
    >>> round(negative_cross_entropy([0, 1], [0.5, 0.5]), 4)
    -0.6931
    """
    y_true = column_or_1d(check_array(y_true, ensure_2d=False, input_name="y_true"))
    y_proba = _check_target_proba(y_proba)
    check_consistent_length(y_true, y_proba)
    if not np.isin(y_true, (0, 1)).all():
        raise ValueError("y_true must contain domain labels 0 (source) and 1 (target).")
    if sample_weight is None:
        sample_weight = np.ones_like(y_proba)
    sample_weight = _check_weights(sample_weight, "sample_weight")
    check_consistent_length(y_true, sample_weight)
    y_proba = np.clip(y_proba, _EPS, 1.0 - _EPS)
    is_target = y_true == 1
    w_target = sample_weight[is_target].sum()
    w_source = sample_weight[~is_target].sum()
    if prior_ratio is None:
        if w_target + w_source <= 0:
            raise ValueError("negative_cross_entropy needs a positive total weight.")
        log_lik = np.where(is_target, np.log(y_proba), np.log1p(-y_proba))
        return float(np.average(log_lik, weights=sample_weight))
    if not prior_ratio > 0 or not np.isfinite(prior_ratio):
        raise ValueError(f"prior_ratio must be a positive finite number; got {prior_ratio}.")
    if w_target <= 0 or w_source <= 0:
        raise ValueError(
            "negative_cross_entropy with a prior_ratio needs rows of both domains."
        )
    target_term = np.average(np.log(y_proba[is_target]), weights=sample_weight[is_target])
    source_term = np.average(
        np.log1p(-y_proba[~is_target]), weights=sample_weight[~is_target]
    )
    return float((target_term + prior_ratio * source_term) / (prior_ratio + 1.0))


def _check_proportions(p, name):
    p = column_or_1d(check_array(p, ensure_2d=False, dtype=np.float64, input_name=name))
    if (p < 0).any() or not np.isclose(p.sum(), 1.0, rtol=0, atol=1e-8):
        raise ValueError(f"{name} must be non-negative group proportions summing to 1.")
    return p


def bayes_optimal_nce(p_source, p_target, prior_ratio=1.0):
    """Best NCE any domain classifier can reach (Choi et al. 2020, Theorem 1).

    Assumes the two domains differ only through a latent group ``z`` whose
    groups have disjoint supports and the same conditional ``p(x | z)`` in both
    domains. With ``b(z) = p_source(z) / p_target(z)``::

        NCE* = 1/(gamma+1) E_target[log 1/(gamma b(z) + 1)]
             + gamma/(gamma+1) E_source[log gamma b(z)/(gamma b(z) + 1)]

    It is reached by ``c*(z) = 1 / (1 + gamma b(z))``. A fitted estimator whose
    held-out NCE is close to it gives trustworthy ratios.

    Parameters
    ----------
    p_source : array-like of shape (n_groups,)
        Group proportions in the source (biased) domain; sum to 1.
    p_target : array-like of shape (n_groups,)
        Group proportions in the target (reference) domain; sum to 1.
    prior_ratio : float > 0, default=1.0
        ``gamma = n_source / n_target``.

    Returns
    -------
    nce : float
        At most 0; equals minus the entropy of the domain prior when the
        proportions are identical.

    Examples
    --------
    >>> from skratio.metrics import bayes_optimal_nce
    >>> round(bayes_optimal_nce([0.9, 0.1], [0.5, 0.5], prior_ratio=1.0), 4)
    -0.5914
    """
    p_source = _check_proportions(p_source, "p_source")
    p_target = _check_proportions(p_target, "p_target")
    if p_source.shape != p_target.shape:
        raise ValueError(
            "p_source and p_target must give proportions of the same groups; got "
            f"{p_source.shape[0]} and {p_target.shape[0]} groups."
        )
    if not prior_ratio > 0 or not np.isfinite(prior_ratio):
        raise ValueError(f"prior_ratio must be a positive finite number; got {prior_ratio}.")
    # Work with log(gamma b(z)) so that groups missing from one domain
    # (b = 0 or inf) contribute their exact limit, 0, instead of nan.
    with np.errstate(divide="ignore"):
        log_gamma_b = np.log(prior_ratio) + np.log(p_source) - np.log(p_target)
    target_mass = p_target > 0
    source_mass = p_source > 0
    target_term = -np.logaddexp(0.0, log_gamma_b[target_mass]) @ p_target[target_mass]
    source_term = -np.logaddexp(0.0, -log_gamma_b[source_mass]) @ p_source[source_mass]
    return float((target_term + prior_ratio * source_term) / (prior_ratio + 1.0))


def effective_sample_size(weights):
    """Effective sample size ``(sum w)^2 / sum w^2`` of importance weights.

    Equals ``n`` for uniform weights and drops toward 1 as a few weights
    dominate: the diagnostic for collapsing weights.

    Parameters
    ----------
    weights : array-like of shape (n_samples,)
        Non-negative, finite weights, not all zero.

    Returns
    -------
    ess : float
        In ``[1, n_samples]``.

    Examples
    --------
    >>> from skratio.metrics import effective_sample_size
    >>> effective_sample_size([1.0, 1.0, 1.0, 1.0])
    4.0
    >>> effective_sample_size([1.0, 0.0, 0.0, 0.0])
    1.0
    """
    weights = _check_weights(weights)
    if weights.size == 0 or not weights.any():
        raise ValueError("effective_sample_size needs at least one positive weight.")
    # Scale by the largest weight so squares of huge weights cannot overflow.
    scaled = weights / weights.max()
    return float(scaled.sum() ** 2 / (scaled**2).sum())


def _check_attribute_proba(proba, name):
    proba = check_array(proba, ensure_2d=False, dtype=np.float64, input_name=name)
    if proba.ndim == 1:
        proba = np.column_stack([1.0 - proba, proba])
    if ((proba < 0) | (proba > 1)).any():
        raise ValueError(f"{name} must contain probabilities in [0, 1].")
    return proba


def fairness_discrepancy(proba_reference, proba_model):
    """Fairness discrepancy of a generative model (Choi et al. 2020, Eq. 2).

    ``|| E_ref[p(u|x)] - E_model[p(u|x)] ||_2`` for an attribute classifier
    ``p(u|x)``: how far the model's attribute distribution is from the
    reference's, whatever the reference proportions are.

    Parameters
    ----------
    proba_reference : array-like of shape (n_reference, n_classes) or (n_reference,)
        Attribute probabilities (all classes kept, soft) of reference rows.
        A 1-D array is the probability of the positive class of a binary
        attribute.
    proba_model : array-like of shape (n_model, n_classes) or (n_model,)
        The same for the model's samples.

    Returns
    -------
    discrepancy : float
        0 when the mean attribute probabilities agree.

    Examples
    --------
    >>> from skratio.metrics import fairness_discrepancy
    >>> round(fairness_discrepancy([[0.5, 0.5]], [[0.9, 0.1], [0.7, 0.3]]), 4)
    0.4243
    """
    proba_reference = _check_attribute_proba(proba_reference, "proba_reference")
    proba_model = _check_attribute_proba(proba_model, "proba_model")
    if proba_reference.shape[1] != proba_model.shape[1]:
        raise ValueError(
            "proba_reference and proba_model must have the same classes; got "
            f"{proba_reference.shape[1]} and {proba_model.shape[1]} columns."
        )
    difference = proba_reference.mean(axis=0) - proba_model.mean(axis=0)
    return float(np.linalg.norm(difference))


def frechet_distance(X, Y, *, sample_weight=None):
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
    """
    X = check_array(X, dtype=np.float64, ensure_min_samples=2, input_name="X")
    Y = check_array(Y, dtype=np.float64, ensure_min_samples=2, input_name="Y")
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"X and Y must have the same number of features; got {X.shape[1]} and "
            f"{Y.shape[1]}."
        )
    if sample_weight is not None:
        sample_weight = _check_weights(sample_weight, "sample_weight")
        check_consistent_length(X, sample_weight)
        if not sample_weight.any():
            raise ValueError("sample_weight must have at least one positive weight.")
    mean_x = np.average(X, axis=0, weights=sample_weight)
    mean_y = Y.mean(axis=0)
    cov_x = np.atleast_2d(np.cov(X, rowvar=False, aweights=sample_weight))
    cov_y = np.atleast_2d(np.cov(Y, rowvar=False))
    # sqrtm of a product of PSD matrices has a real spectrum; round-off leaves a
    # tiny imaginary part, which is dropped.
    cross = linalg.sqrtm(cov_x @ cov_y)
    distance = (
        np.sum((mean_x - mean_y) ** 2)
        + np.trace(cov_x)
        + np.trace(cov_y)
        - 2.0 * np.trace(np.real(cross))
    )
    return float(max(distance, 0.0))
