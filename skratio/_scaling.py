"""Calibration of a domain classifier's log-odds on held-out rows.

A classifier's log-odds ``s(x) = logit c(x)`` are a log density ratio (up to
the prior term) only when its probabilities are calibrated. Two maps of the
log-odds are fitted here by maximum likelihood on held-out rows, without the
label smoothing of Platt's original recipe:

``"sigmoid"``
    ``a * s + b``: rescales an over-confident classifier (``a < 1``: outliers,
    neural nets) or an over-penalised one (``a > 1``: strong shifts), and
    ``b`` corrects a bias of the prior term.
``"temperature"``
    ``a * s`` (``a = 1 / T``): the scale only.

scikit-learn's sigmoid calibration replaces the labels by Platt's targets
``(n_1 + 1) / (n_1 + 2)`` and ``1 / (n_0 + 2)``, which caps the calibrated
log-odds near ``log n`` and flattens a strong shift; the plain likelihood used
here does not.
"""

import numpy as np
from scipy.special import expit, log_expit

from ._weights import MAX_LOGIT

# Largest scale ``a`` of the log-odds. When the held-out log-odds (nearly)
# separate the domains, the likelihood keeps growing with ``a`` and pins it
# down poorly: with a bound of 10 the out-of-fold log-ratio RMSE of two
# Gaussians in 20-D at 20 and 40 nats of KL divergence was 19.5 and 34.0 (the
# raw log-odds: 11.0 and 32.2); with 3, 5.1 and 14.6, and 5.7 instead of 36.9
# for a quadratic shift at 40 nats (benchmarks/default_classifier.py). The
# over-penalised fits that need a > 1 needed about 2. Log-odds clipped to
# +-MAX_LOGIT ~ 36.7 stay within +-110 after scaling, so exp() of a log-weight
# cannot overflow.
MAX_SCALE = 3.0

IDENTITY = (1.0, 0.0)


def saturation_bounds(log_odds):
    """``(low, high)``: the log-odds that stand for a probability of 0 or 1.

    A classifier that outputs probabilities of exactly 0 or 1 (nearest
    neighbours, trees, isotonic calibration) gives log-odds at the float bound
    ``+-MAX_LOGIT`` (about 36.7), which says only "beyond every other row".
    Left there, these rows dominate the likelihood of the scale ``a``, which
    then goes to about 0 and flattens every weight: the out-of-fold weights of
    ``KNeighborsClassifier(10)`` on digits with a 9:1 group bias averaged 0.98
    and 1.19 per group instead of 0.56 and 5. They stand instead for half the
    most extreme probability seen among the other rows: a zero count of k
    neighbours is read as half a neighbour, as add-half (Jeffreys) smoothing
    does, which moves the log-odds by about ``log 2`` past the most extreme
    finite one. The same rows then averaged 0.83 and 2.41.

    Parameters
    ----------
    log_odds : ndarray of shape (n_samples,)
        Held-out log-odds, clipped to ``[-MAX_LOGIT, MAX_LOGIT]``.

    Returns
    -------
    bounds : tuple of (float, float)
        ``(low, high)``; ``(-MAX_LOGIT, MAX_LOGIT)`` on a side where every
        row is saturated or none is.
    """
    log_odds = np.asarray(log_odds, dtype=np.float64)
    inner = log_odds[np.abs(log_odds) < MAX_LOGIT]
    if inner.size == 0:
        return -MAX_LOGIT, MAX_LOGIT
    low = max(float(inner.min()) - np.log(2.0), -MAX_LOGIT)
    high = min(float(inner.max()) + np.log(2.0), MAX_LOGIT)
    return low, high


def replace_saturated(log_odds, bounds):
    """``log_odds`` with its saturated values replaced by ``bounds`` (in place)."""
    low, high = bounds
    log_odds[log_odds <= -MAX_LOGIT] = low
    log_odds[log_odds >= MAX_LOGIT] = high
    return log_odds


def _negative_log_likelihood(params, log_odds, y, sample_weight):
    z = params[0] * log_odds + params[1]
    return -(sample_weight @ np.where(y == 1, log_expit(z), log_expit(-z)))


def fit_log_odds_scaling(
    log_odds, y, sample_weight=None, method="sigmoid", max_iter=100, tol=1e-10
):
    """``(scale, shift)`` of the calibrated log-odds ``scale * s + shift``.

    Maximum likelihood by Newton's method with step halving (two parameters at
    most, so each step costs a few passes over the rows), the scale kept in
    ``[0, MAX_SCALE]``.

    Parameters
    ----------
    log_odds : ndarray of shape (n_samples,)
        Held-out log-odds ``logit c(x)`` (each from a classifier that did not
        see the row).
    y : ndarray of shape (n_samples,)
        Domain labels 0/1.
    sample_weight : ndarray of shape (n_samples,), default=None
        Row weights.
    method : {"sigmoid", "temperature"}, default="sigmoid"
        ``scale * s + shift``, or ``scale * s`` (``shift = 0``).
    max_iter : int, default=100
        Most Newton steps.
    tol : float, default=1e-10
        Stop when a step changes the mean log-likelihood by less.

    Returns
    -------
    scaling : tuple of (float, float)
        ``scale`` in ``[0, MAX_SCALE]`` and ``shift``.
    """
    log_odds = np.asarray(log_odds, dtype=np.float64)
    y = np.asarray(y)
    sample_weight = (
        np.ones(log_odds.shape[0])
        if sample_weight is None
        else np.asarray(sample_weight, dtype=np.float64)
    )
    # The mean log-likelihood, so that tol does not depend on the number of rows.
    sample_weight = sample_weight / sample_weight.sum()
    with_shift = method == "sigmoid"
    features = np.column_stack([log_odds, np.ones_like(log_odds)])
    if not with_shift:
        features = features[:, :1]
    params = np.array([1.0, 0.0])
    loss = _negative_log_likelihood(params, log_odds, y, sample_weight)
    for _ in range(max_iter):
        z = params[0] * log_odds + params[1]
        p = expit(z)
        gradient = -features.T @ (sample_weight * (y - p))
        hessian = (features.T * (sample_weight * p * (1.0 - p))) @ features
        hessian += 1e-12 * np.eye(hessian.shape[0])
        step = np.zeros(2)
        step[: features.shape[1]] = np.linalg.solve(hessian, -gradient)
        for _ in range(40):
            candidate = params + step
            candidate[0] = min(max(candidate[0], 0.0), MAX_SCALE)
            candidate_loss = _negative_log_likelihood(
                candidate, log_odds, y, sample_weight
            )
            if candidate_loss <= loss:
                break
            step /= 2.0
        else:
            break
        improvement = loss - candidate_loss
        params, loss = candidate, candidate_loss
        if improvement < tol:
            break
    return float(params[0]), float(params[1])
