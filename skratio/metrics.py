"""Metrics for density ratios, domain classifiers and importance weights.

Domain labels follow the package convention: ``0`` for the source (biased
data, model samples), ``1`` for the target (reference data, real data).
"""

from typing import NamedTuple

import numpy as np
from sklearn.metrics import make_scorer, roc_auc_score
from sklearn.utils import (
    check_array,
    check_consistent_length,
    column_or_1d,
)

from ._sample_distances import (
    classifier_two_sample_test,
    frechet_distance,
    squared_mmd,
)
from ._validation import EPS, check_domain_predictions, check_weights

__all__ = [
    "OverlapDiagnostics",
    "bayes_optimal_nce",
    "classifier_two_sample_test",
    "effective_sample_size",
    "expected_calibration_error",
    "fairness_discrepancy",
    "frechet_distance",
    "importance_weighted_mean",
    "nce_scorer",
    "negative_cross_entropy",
    "overlap_diagnostics",
    "squared_mmd",
]


def negative_cross_entropy(
    y_true, y_proba, *, prior_ratio=None, sample_weight=None, target_label=None
):
    """Negative cross-entropy (NCE) of a domain classifier; higher is better.

    Choi et al. (2020), Eq. 6::

        NCE(c) = 1/(gamma+1) E_target[log c(x)] + gamma/(gamma+1) E_source[log(1-c(x))]

    With ``prior_ratio=None``, ``gamma`` is the (weighted) ratio of source to
    target rows in ``y_true`` and the NCE is the mean log-likelihood of the
    labels (minus the log-loss).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Domain labels: 0 (source) or 1 (target), or -1/1, or False/True;
        other labels need ``target_label``.
    y_proba : array-like of shape (n_samples,) or (n_samples, 2)
        Predicted probability of the target domain, or both columns of
        ``predict_proba``. Clipped to ``[eps, 1 - eps]``.
    prior_ratio : float > 0, default=None
        ``gamma = P(y=0) / P(y=1)`` used to mix the two domain terms. ``None``
        uses the proportions of ``y_true``.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.
    target_label : int, float, bool or str, default=None
        The label of ``y_true`` that marks target rows; every other label is
        the source. Needed for labels other than 0/1, -1/1 and False/True.

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
    y_true, y_proba, sample_weight = check_domain_predictions(
        y_true, y_proba, sample_weight, target_label
    )
    y_proba = np.clip(y_proba, EPS, 1.0 - EPS)
    is_target = y_true == 1
    w_target = sample_weight[is_target].sum()
    w_source = sample_weight[~is_target].sum()
    if prior_ratio is None:
        if w_target + w_source <= 0:
            raise ValueError("negative_cross_entropy needs a positive total weight.")
        log_lik = np.where(is_target, np.log(y_proba), np.log1p(-y_proba))
        return float(np.average(log_lik, weights=sample_weight))
    if not prior_ratio > 0 or not np.isfinite(prior_ratio):
        raise ValueError(
            f"prior_ratio must be a positive finite number; got {prior_ratio}."
        )
    if w_target <= 0 or w_source <= 0:
        raise ValueError(
            "negative_cross_entropy with a prior_ratio needs rows of both domains."
        )
    target_term = np.average(
        np.log(y_proba[is_target]), weights=sample_weight[is_target]
    )
    source_term = np.average(
        np.log1p(-y_proba[~is_target]), weights=sample_weight[~is_target]
    )
    return float((target_term + prior_ratio * source_term) / (prior_ratio + 1.0))


#: Scorer of the negative cross-entropy of a fitted ratio estimator's domain
#: classifier, for ``scoring=`` in :class:`~sklearn.model_selection.GridSearchCV`,
#: :func:`~sklearn.model_selection.cross_val_score` and, with other metrics,
#: :func:`~sklearn.model_selection.cross_validate`. It equals the estimators'
#: default ``score`` for domain labels 0 and 1 (the labels it accepts).
nce_scorer = make_scorer(negative_cross_entropy, response_method="predict_proba")


def _weighted_quantiles(values, weights, levels):
    """Smallest ``values`` whose cumulative weight reaches each level (inverted CDF).

    With integer weights this equals the quantiles of the rows repeated.
    """
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    positions = np.searchsorted(cumulative, levels * cumulative[-1], side="left")
    return values[order][positions]


def calibration_bins(
    y_true,
    y_proba,
    *,
    n_bins=10,
    strategy="uniform",
    sample_weight=None,
    target_label=None,
):
    """Reliability-diagram bins of a domain classifier's probabilities.

    Returns ``(prob_true, prob_pred, bin_weight)`` of the non-empty bins: the
    weighted fraction of target rows, the weighted mean predicted probability
    and the total weight of each bin.
    """
    y_true, y_proba, sample_weight = check_domain_predictions(
        y_true, y_proba, sample_weight, target_label
    )
    y_true = y_true.astype(np.float64)
    if not sample_weight.any():
        raise ValueError("sample_weight must have at least one positive weight.")
    is_integer = isinstance(n_bins, (int, np.integer)) and not isinstance(n_bins, bool)
    if not is_integer or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer; got {n_bins!r}.")
    # Interior bin edges; a probability equal to an edge falls in the lower bin,
    # as in sklearn.calibration.calibration_curve.
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    elif strategy == "quantile":
        levels = np.arange(1, n_bins) / n_bins
        edges = _weighted_quantiles(y_proba, sample_weight, levels)
    else:
        raise ValueError(f"strategy must be 'uniform' or 'quantile'; got {strategy!r}.")
    bin_index = np.searchsorted(edges, y_proba, side="left")

    def bin_sums(values):
        return np.bincount(bin_index, weights=values, minlength=n_bins)

    bin_weight = bin_sums(sample_weight)
    bin_target = bin_sums(sample_weight * y_true)
    bin_proba = bin_sums(sample_weight * y_proba)
    nonempty = bin_weight > 0
    return (
        bin_target[nonempty] / bin_weight[nonempty],
        bin_proba[nonempty] / bin_weight[nonempty],
        bin_weight[nonempty],
    )


def expected_calibration_error(
    y_true,
    y_proba,
    *,
    n_bins=10,
    strategy="uniform",
    sample_weight=None,
    target_label=None,
):
    """Expected calibration error (ECE) of a domain classifier.

    Rows are binned by predicted probability of the target domain; the ECE is
    the weighted mean, over bins, of the gap between the fraction of target
    rows and the mean predicted probability::

        ECE = sum_b (W_b / W) |mean_b(y) - mean_b(c(x))|

    with ``W_b`` the total weight of bin ``b``. It is 0 for a classifier whose
    probabilities match the frequencies in every bin, the condition for its
    odds to be a density ratio.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Domain labels: 0 (source) or 1 (target), or -1/1, or False/True;
        other labels need ``target_label``.
    y_proba : array-like of shape (n_samples,) or (n_samples, 2)
        Predicted probability of the target domain, or both columns of
        ``predict_proba``.
    n_bins : int, default=10
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        ``"uniform"``: bins of equal width on ``[0, 1]``. ``"quantile"``: bin
        edges at the weighted quantiles of ``y_proba``, so that the bins hold
        (about) equal weight.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights; integer weights give the ECE of the rows repeated.
    target_label : int, float, bool or str, default=None
        The label of ``y_true`` that marks target rows, as in
        :func:`negative_cross_entropy`.

    Returns
    -------
    ece : float
        In ``[0, 1]``.

    See Also
    --------
    skratio.plotting.RatioCalibrationDisplay : The reliability diagram of the
        same bins.

    Examples
    --------
    >>> from skratio.metrics import expected_calibration_error
    >>> round(expected_calibration_error([0, 0, 1, 1], [0.1, 0.3, 0.7, 0.9]), 4)
    0.2
    >>> round(expected_calibration_error([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]), 4)
    0.0
    """
    prob_true, prob_pred, bin_weight = calibration_bins(
        y_true,
        y_proba,
        n_bins=n_bins,
        strategy=strategy,
        sample_weight=sample_weight,
        target_label=target_label,
    )
    return float(np.average(np.abs(prob_true - prob_pred), weights=bin_weight))


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
        raise ValueError(
            f"prior_ratio must be a positive finite number; got {prior_ratio}."
        )
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
    weights = check_weights(weights)
    if weights.size == 0 or not weights.any():
        raise ValueError("effective_sample_size needs at least one positive weight.")
    # Scale by the largest weight so squares of huge weights cannot overflow.
    scaled = weights / weights.max()
    return float(scaled.sum() ** 2 / (scaled**2).sum())


class ImportanceWeightedMean(NamedTuple):
    """Result of :func:`importance_weighted_mean`."""

    mean: float | np.ndarray
    standard_error: float | np.ndarray
    effective_sample_size: float


def importance_weighted_mean(values, weights):
    """Self-normalised importance-sampling mean, its standard error and ESS.

    Estimates the target mean ``E_target[f(x)]`` from rows drawn from the
    source, with importance weights ``w = p_target / p_source`` known up to a
    constant (Grover et al. 2019)::

        mean = sum_i w_i f_i / sum_i w_i
        standard_error**2 = sum_i w_i**2 (f_i - mean)**2 / (sum_i w_i)**2

    The standard error is the delta-method estimate for a ratio of means
    (Owen, *Monte Carlo theory, methods and examples*, 2013, ch. 9).
    The effective sample size ``(sum w)**2 / sum w**2`` tells how many
    unweighted rows the estimate is worth; when it is a small fraction of
    ``n`` the estimate rests on a few rows and its standard error is itself
    unreliable.

    Parameters
    ----------
    values : array-like of shape (n_samples,) or (n_samples, n_outputs)
        ``f(x_i)`` for each source row, finite.
    weights : array-like of shape (n_samples,)
        Non-negative, finite importance weights, at least one positive.

    Returns
    -------
    result : ImportanceWeightedMean
        Named tuple ``(mean, standard_error, effective_sample_size)``;
        ``mean`` and ``standard_error`` are floats for 1-D ``values`` and
        arrays of shape ``(n_outputs,)`` otherwise.

    See Also
    --------
    effective_sample_size : The ESS alone.
    skratio.SIRResampler : Resample by the weights instead of averaging.

    Examples
    --------
    >>> from skratio.metrics import importance_weighted_mean
    >>> result = importance_weighted_mean([1.0, 2.0, 3.0], [1.0, 1.0, 2.0])
    >>> result.mean
    2.25
    >>> round(result.effective_sample_size, 4)
    2.6667
    """
    values = check_array(values, ensure_2d=False, dtype=np.float64, input_name="values")
    weights = check_weights(weights)
    check_consistent_length(values, weights)
    ess = effective_sample_size(weights)
    # Relative to the largest weight, so that no square overflows; the
    # estimates do not depend on the scale of the weights.
    scaled = weights / weights.max()
    total = scaled.sum()
    mean = scaled @ values / total
    standard_error = np.sqrt(scaled**2 @ (values - mean) ** 2) / total
    if values.ndim == 1:
        mean, standard_error = float(mean), float(standard_error)
    return ImportanceWeightedMean(mean, standard_error, ess)


def _check_attribute_proba(proba, name):
    proba = check_array(proba, ensure_2d=False, dtype=np.float64, input_name=name)
    if proba.ndim == 1:
        proba = np.column_stack([1.0 - proba, proba])
    if ((proba < 0) | (proba > 1)).any():
        raise ValueError(f"{name} must contain probabilities in [0, 1].")
    # Rows that do not sum to 1 mean a class column was dropped (or scores were
    # passed instead of probabilities): the discrepancy would miss that class.
    if not np.allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-6):
        raise ValueError(
            f"Each row of {name} must hold the probabilities of all attribute "
            "classes, summing to 1 (e.g. predict_proba's output)."
        )
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


class OverlapDiagnostics(NamedTuple):
    """Held-out diagnostics of a density ratio, from out-of-fold weights.

    Returned by :func:`overlap_diagnostics` and stored as ``overlap_`` by the
    ratio estimators' ``fit_predict_weight``.

    Attributes
    ----------
    auc : float
        Area under the ROC curve of the weights as a score of the domain
        (target = positive): 0.5 when the samples are indistinguishable, 1 when
        every target row outweighs every source row (no overlap).
    mean_source_weight : float
        Mean weight of the source rows; 1 for a correct ratio, since
        ``E_source[p_target / p_source] = 1``.
    mean_source_weight_se : float
        Its standard error (the spread of the source weights over the square
        root of their number).
    ess_fraction : float
        Effective sample size of the source rows' weights, as a fraction of
        that of the source rows themselves.
    n_source : int
        Number of source rows.
    n_target : int
        Number of target rows.
    """

    auc: float
    mean_source_weight: float
    mean_source_weight_se: float
    ess_fraction: float
    n_source: int
    n_target: int


def overlap_diagnostics(y, weights, *, sample_weight=None):
    """Whether the domains overlap and the ratio averages to one under the source.

    Computed on **out-of-fold** weights (e.g. from ``fit_predict_weight``):
    in-sample weights of a flexible classifier look better than they are.
    A held-out AUC near 1 says the samples barely overlap; a mean source weight
    far from 1 (beyond its standard error) says the ratio is wrong, usually
    flattened where the samples are far apart.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Domain labels: 0 or False for source rows, 1 or True for target rows.
    weights : array-like of shape (n_samples,)
        Estimated ratios ``p_target / p_source`` of every row (the target
        rows' weights are used for the AUC only), non-negative and finite.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    diagnostics : OverlapDiagnostics
        ``(auc, mean_source_weight, mean_source_weight_se, ess_fraction,
        n_source, n_target)``.

    Examples
    --------
    >>> from skratio import DensityRatioEstimator
    >>> from skratio.datasets import make_gaussian_shift
    >>> from skratio.metrics import overlap_diagnostics
    >>> X, y, log_ratio = make_gaussian_shift(
    ...     n_source=2000, n_target=2000, n_features=2, random_state=0)
    >>> weights = np.exp(log_ratio)  # the true ratio
    >>> diagnostics = overlap_diagnostics(y, weights)
    >>> # AUC = Phi(1 / sqrt(2)) = 0.760 for a shift of 1; its standard error
    >>> # with 2000 rows per domain is 0.007
    >>> bool(abs(diagnostics.auc - 0.760) < 0.03)
    True
    >>> bool(abs(diagnostics.mean_source_weight - 1) < 0.1)
    True
    """
    weights = check_weights(weights)
    y = column_or_1d(check_array(y, ensure_2d=False, dtype=None, input_name="y"))
    check_consistent_length(y, weights)
    if not np.isin(y, [0, 1]).all():
        raise ValueError(
            "y must hold the domain labels 0 (source) and 1 (target); got "
            f"{np.unique(y).tolist()!r}."
        )
    y = y.astype(np.int64)
    n_source, n_target = int((y == 0).sum()), int((y == 1).sum())
    if n_source == 0 or n_target == 0:
        raise ValueError(
            "overlap_diagnostics needs rows of both domains; got "
            f"{n_source} source and {n_target} target rows."
        )
    if sample_weight is None:
        sample_weight = np.ones(y.shape[0])
    sample_weight = check_weights(sample_weight, "sample_weight")
    check_consistent_length(y, sample_weight)
    source = y == 0
    row_weight, source_weight = sample_weight[source], weights[source]
    total = row_weight.sum()
    if total <= 0:
        raise ValueError("The source rows need a positive total sample_weight.")
    mean = float(row_weight @ source_weight / total)
    # Standard error of a weighted mean: sqrt(sum v_i^2 (w_i - mean)^2) / sum v_i,
    # which is sd / sqrt(n) for equal row weights.
    se = float(np.sqrt(np.sum((row_weight * (source_weight - mean)) ** 2)) / total)
    combined = row_weight * source_weight
    ess_fraction = (
        effective_sample_size(combined) / effective_sample_size(row_weight)
        if combined.any()
        else 0.0
    )
    auc = float(roc_auc_score(y, weights, sample_weight=sample_weight))
    return OverlapDiagnostics(auc, mean, se, float(ess_fraction), n_source, n_target)
