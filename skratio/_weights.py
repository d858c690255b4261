"""From a domain classifier to importance weights: one home for each step.

``log w(x) = log gamma + logit c(x)`` (the prior correction), then flattening
``power * log w`` and clipping to ``[log lower, log upper]``; the checks of
collapsed weights. Every ratio estimator goes through these functions.
"""

import sys
import warnings
from numbers import Real

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, SGDClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils.class_weight import compute_class_weight

from ._domains import SOURCE, TARGET
from .exceptions import WeightCollapseWarning
from .metrics import effective_sample_size

# Probabilities are clipped to [_EPS, 1 - _EPS] before taking the logit, so a
# classifier that outputs exactly 0 or 1 (trees, isotonic calibration, separable
# data) gives a large but finite log-odds.  Log-odds read from a decision
# function are clipped to the same range so both routes agree.
_EPS = np.finfo(np.float64).eps
MAX_LOGIT = float(np.log1p(-_EPS) - np.log(_EPS))

# Below this fraction of n, the effective sample size signals collapsed weights.
# 0.1 means the weighted sample is worth fewer than one row in ten: weighted
# estimates then have at least ten times the variance of unweighted ones.
MIN_ESS_FRACTION = 0.1

# Classifiers whose binary ``decision_function`` is exactly the log-odds
# ``log c(x) / (1 - c(x))``.  Reading it directly keeps full precision in the
# tails, where ``predict_proba`` rounds to 0 or 1.
_LOG_ODDS_DECISION = (
    LogisticRegression,
    LogisticRegressionCV,
    HistGradientBoostingClassifier,
    LinearDiscriminantAnalysis,
)


def _decision_is_log_odds(classifier):
    if isinstance(classifier, Pipeline):
        return _decision_is_log_odds(classifier[-1])
    if isinstance(classifier, _LOG_ODDS_DECISION):
        return True
    if isinstance(classifier, (GradientBoostingClassifier, SGDClassifier)):
        return classifier.loss == "log_loss"
    return False


def domain_log_odds(classifier, X):
    """Log-odds ``log c(x) - log(1 - c(x))`` of a fitted 0/1 domain classifier.

    Finite by construction: clipped to ``[-MAX_LOGIT, MAX_LOGIT]``.
    """
    if isinstance(classifier, FrozenEstimator):
        classifier = classifier.estimator
    if _decision_is_log_odds(classifier):
        log_odds = np.asarray(classifier.decision_function(X), dtype=np.float64)
    else:
        proba = np.asarray(classifier.predict_proba(X), dtype=np.float64)[:, 1]
        proba = np.clip(proba, _EPS, 1.0 - _EPS)
        log_odds = np.log(proba) - np.log1p(-proba)
    log_odds = log_odds.reshape(-1)
    # One reduction finds any NaN (a sum with a NaN is NaN) without the
    # boolean array of np.isnan; +inf and -inf together also give NaN.
    if np.isnan(np.sum(log_odds)) and np.isnan(log_odds).any():
        raise ValueError(
            f"The domain classifier {type(classifier).__name__} returned NaN "
            "probabilities; cannot compute density ratios."
        )
    return np.clip(log_odds, -MAX_LOGIT, MAX_LOGIT, out=log_odds)


def check_clip(clip):
    """Return ``(lower, upper)`` weight bounds from a ``clip`` parameter."""
    if isinstance(clip, Real):
        lower, upper = 0.0, float(clip)
    else:
        if len(clip) != 2:
            raise ValueError(
                f"clip must be an upper bound or a (lower, upper) pair; got {clip!r}."
            )
        lower, upper = float(clip[0]), float(clip[1])
    if not (0.0 <= lower < upper) or np.isnan(upper):
        raise ValueError(
            f"clip bounds must satisfy 0 <= lower < upper; got lower={lower}, "
            f"upper={upper}."
        )
    return lower, upper


def postprocess_log_weight(log_weight, power=1.0, clip=None):
    """Flatten (``power * log w``) then clip to ``clip``, in log space, in place."""
    if power != 1.0:
        log_weight *= power
    if clip is not None:
        lower, upper = check_clip(clip)
        with np.errstate(divide="ignore"):
            np.clip(log_weight, np.log(lower), np.log(upper), out=log_weight)
    return log_weight


def _effective_class_weight(classifier):
    """The ``class_weight`` a domain classifier trains with, or None.

    Looks through pipelines (the final step) and wrappers that fit a single
    ``estimator`` on the same labels. A :class:`CalibratedClassifierCV` fits its
    calibrators to the true label frequencies, which undoes any class weights
    of the classifier it calibrates: its probabilities carry the plain prior.
    """
    if isinstance(classifier, CalibratedClassifierCV):
        return None
    if isinstance(classifier, Pipeline):
        return _effective_class_weight(classifier[-1])
    params = classifier.get_params(deep=False) if hasattr(classifier, "get_params") else {}
    if params.get("class_weight") is not None:
        return params["class_weight"]
    inner = params.get("estimator")
    if inner is not None and hasattr(inner, "fit"):
        return _effective_class_weight(inner)
    return None


def check_no_resampling(classifier):
    """Refuse a pipeline that resamples rows before the domain classifier.

    A sampler (``fit_resample``, e.g. imbalanced-learn's under- or
    over-samplers) changes the domain proportions the classifier learns,
    by an amount only the sampler knows, so ``n_0 / n_1`` would silently
    rescale every weight.
    """
    steps = classifier.steps if isinstance(classifier, Pipeline) else []
    for name, step in steps:
        if hasattr(step, "fit_resample"):
            raise ValueError(
                f"The domain classifier's pipeline resamples rows in step {name!r} "
                f"({type(step).__name__}), which changes the domain proportions it "
                "learns and would rescale every weight by an unknown factor. Remove "
                "the sampler, or pass prior_ratio= with the ratio of source to "
                "target rows the classifier was trained on."
            )


def prior_ratio_from_counts(y_encoded, sample_weight, classifier=None):
    """``gamma = n_0 / n_1`` from the (weighted) domain counts the classifier saw.

    A classifier with ``class_weight`` trains on counts multiplied by the class
    weights, which moves its odds by the same factor; using those effective
    counts keeps the weights unchanged. ``"balanced"`` class weights are
    computed with the row weights, as :class:`LogisticRegression` does.
    """
    sample_weight = np.asarray(sample_weight, dtype=np.float64)
    class_weight = None if classifier is None else _effective_class_weight(classifier)
    if class_weight is not None:
        per_class = compute_class_weight(
            class_weight, classes=np.array([SOURCE, TARGET]), y=y_encoded,
            sample_weight=sample_weight,
        )
        sample_weight = sample_weight * per_class[y_encoded]
    n_source = sample_weight[y_encoded == SOURCE].sum()
    n_target = sample_weight[y_encoded == TARGET].sum()
    if n_source <= 0 or n_target <= 0:
        raise ValueError(
            "Each domain class needs a positive total sample weight to estimate the "
            f"prior ratio; got {n_source} (source) and {n_target} (target)."
        )
    return float(n_source / n_target)


def _first_frame_outside_the_libraries():
    """``stacklevel`` of the first caller outside skratio and scikit-learn.

    So that the warning points at the user's line, however many wrappers
    (``_fit_context``, meta-estimators) stand between it and the check.
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] in (
        "skratio",
        "sklearn",
    ):
        frame, level = frame.f_back, level + 1
    return level


def warn_if_weights_collapse(weights, *, min_ess_fraction=MIN_ESS_FRACTION):
    """Warn with :class:`WeightCollapseWarning` when ESS < min_ess_fraction * n.

    Returns the effective sample size.
    """
    ess = effective_sample_size(weights)
    n = len(weights)
    if ess < min_ess_fraction * n:
        warnings.warn(
            f"The importance weights have collapsed: effective sample size {ess:.1f} "
            f"of {n} rows ({ess / n:.1%} < {min_ess_fraction:.0%}). A few rows carry "
            "most of the weight. Calibrate the classifier (skratio.CalibratedRatio), "
            "flatten the weights (power < 1), bound them (clip=...), or use a simpler, "
            "better-regularised classifier.",
            WeightCollapseWarning,
            stacklevel=_first_frame_outside_the_libraries(),
        )
    return ess
