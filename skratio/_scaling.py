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
from scipy.optimize import minimize
from scipy.special import expit, log_expit

# Largest scale ``a`` of the log-odds. When the held-out log-odds separate the
# domains perfectly the likelihood grows without bound in ``a``; the bound
# keeps the map finite (log-odds clipped to +-MAX_LOGIT ~ 36.7 stay within
# +-367 after scaling, so exp() of a log-weight cannot overflow). A classifier
# that needs its log-odds multiplied by more than 10 has learnt little about
# the ratio's scale, and the overlap diagnostics flag such samples.
MAX_SCALE = 10.0

IDENTITY = (1.0, 0.0)


def _negative_log_likelihood(params, log_odds, y, sample_weight, with_shift):
    scale = params[0]
    shift = params[1] if with_shift else 0.0
    z = scale * log_odds + shift
    log_likelihood = np.where(y == 1, log_expit(z), log_expit(-z))
    residual = sample_weight * (y - expit(z))
    gradient = [-(residual @ log_odds)]
    if with_shift:
        gradient.append(-residual.sum())
    return -(sample_weight @ log_likelihood), np.array(gradient)


def fit_log_odds_scaling(log_odds, y, sample_weight=None, method="sigmoid"):
    """``(scale, shift)`` of the calibrated log-odds ``scale * s + shift``.

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
    with_shift = method == "sigmoid"
    start = [1.0, 0.0] if with_shift else [1.0]
    bounds = [(0.0, MAX_SCALE), (None, None)] if with_shift else [(0.0, MAX_SCALE)]
    # The objective is a sum over rows; dividing by the total weight keeps the
    # optimiser's tolerances independent of the number of rows.
    total = sample_weight.sum()
    result = minimize(
        _negative_log_likelihood,
        start,
        args=(log_odds, y, sample_weight / total, with_shift),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
    )
    scale = float(result.x[0])
    shift = float(result.x[1]) if with_shift else 0.0
    return scale, shift
