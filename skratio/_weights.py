"""From a domain classifier to importance weights: one home for each step.

``log w(x) = log gamma + logit c(x)`` (the prior correction), then flattening
``power * log w`` and clipping to ``[log lower, log upper]``; the checks of
collapsed weights. Every ratio estimator goes through these functions. With K
sources and one target (a multinomial domain classifier), the log-odds and the
prior ratios have one column per source:
``log w_k(x) = log(n_k / n_target) + log c_target(x) - log c_k(x)``.
"""

import sys
import warnings
from numbers import Real

import numpy as np
from scipy.special import log_softmax
from sklearn.calibration import CalibratedClassifierCV
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, SGDClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils.class_weight import compute_class_weight

from ._domains import SOURCE, TARGET
from ._validation import EPS
from .exceptions import WeightCollapseWarning
from .metrics import effective_sample_size

# Log-odds read from a decision function are clipped to the range that
# probabilities clipped to [EPS, 1 - EPS] give, so both routes agree.
MAX_LOGIT = float(np.log1p(-EPS) - np.log(EPS))

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


def decision_is_log_odds(classifier):
    if isinstance(classifier, Pipeline):
        return decision_is_log_odds(classifier[-1])
    if isinstance(classifier, _LOG_ODDS_DECISION):
        return True
    if isinstance(classifier, (GradientBoostingClassifier, SGDClassifier)):
        return classifier.loss == "log_loss"
    return False


def _final_step(classifier):
    """The estimator that predicts, through a frozen wrapper and pipelines."""
    if isinstance(classifier, FrozenEstimator):
        classifier = classifier.estimator
    while isinstance(classifier, Pipeline):
        classifier = classifier[-1]
    return classifier


def domain_log_odds(classifier, X):
    """Log-odds ``log c(x) - log(1 - c(x))`` of a fitted 0/1 domain classifier.

    Finite by construction: clipped to ``[-MAX_LOGIT, MAX_LOGIT]``.
    """
    if isinstance(classifier, FrozenEstimator):
        classifier = classifier.estimator
    if decision_is_log_odds(classifier):
        log_odds = np.asarray(classifier.decision_function(X), dtype=np.float64)
    else:
        proba = np.asarray(classifier.predict_proba(X), dtype=np.float64)[:, 1]
        proba = np.clip(proba, EPS, 1.0 - EPS)
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


def domain_log_proba(classifier, X):
    """Finite log-probabilities ``log c_j(x)`` of every domain, shape (n, K + 1).

    Classifiers whose ``decision_function`` holds the multinomial logits
    (logistic regression, histogram gradient boosting, LDA) give them at full
    precision through ``log_softmax``; the others' ``predict_proba`` is
    clipped to ``[eps, 1]`` before the log, so probabilities of exactly 0
    give a large but finite log. SGDClassifier's multiclass probabilities are
    normalised one-vs-rest ones, not a softmax of its decision function.
    """
    if decision_is_log_odds(classifier) and not isinstance(
        _final_step(classifier), SGDClassifier
    ):
        decision = np.asarray(classifier.decision_function(X), dtype=np.float64)
        if decision.ndim == 1:
            # Two domains: the decision function is the log-odds of domain 1.
            decision = np.column_stack([np.zeros_like(decision), decision])
        log_proba = log_softmax(decision, axis=1)
    else:
        proba = np.asarray(classifier.predict_proba(X), dtype=np.float64)
        log_proba = np.log(np.clip(proba, EPS, 1.0))
    if np.isnan(log_proba).any():
        raise ValueError(
            f"The domain classifier {type(classifier).__name__} returned NaN "
            "probabilities; cannot compute density ratios."
        )
    return log_proba


def source_log_odds(classifier, X):
    """``log c_target(x) - log c_k(x)`` of every source k, shape (n, K).

    The log-odds of a multinomial domain classifier (target last), clipped to
    ``[-MAX_LOGIT, MAX_LOGIT]`` as :func:`domain_log_odds` clips the binary one.
    """
    log_proba = domain_log_proba(classifier, X)
    log_odds = log_proba[:, -1:] - log_proba[:, :-1]
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
    """Flatten (``power * log w``) then clip to ``clip``, in log space, in place.

    ``power=0`` makes every weight 1 (``w ** 0``), a weight of 0 included,
    where ``0 * log 0`` would be NaN.
    """
    if power == 0:
        log_weight[...] = 0.0
    elif power != 1.0:
        log_weight *= power
    if clip is not None:
        lower, upper = check_clip(clip)
        with np.errstate(divide="ignore"):
            np.clip(log_weight, np.log(lower), np.log(upper), out=log_weight)
    return log_weight


def flattened_weights(weights, power=1.0, clip=None):
    """``weights ** power`` clipped to ``clip``: the ratio estimators' rule.

    :func:`postprocess_log_weight` applied to the logarithms of weights given
    as weights (a consumer's out-of-fold ratio, the command line's).
    """
    with np.errstate(divide="ignore"):
        log_weight = np.log(np.asarray(weights, dtype=np.float64))
    return np.exp(postprocess_log_weight(log_weight, power, clip))


def effective_class_weight(classifier):
    """The ``class_weight`` a domain classifier trains with, or None.

    Looks through pipelines (the final step) and wrappers that fit a single
    ``estimator`` on the same labels. A :class:`CalibratedClassifierCV` fits its
    calibrators to the true label frequencies, which undoes any class weights
    of the classifier it calibrates: its probabilities carry the plain prior.
    """
    if isinstance(classifier, CalibratedClassifierCV):
        return None
    if isinstance(classifier, Pipeline):
        return effective_class_weight(classifier[-1])
    params = (
        classifier.get_params(deep=False) if hasattr(classifier, "get_params") else {}
    )
    if params.get("class_weight") is not None:
        return params["class_weight"]
    inner = params.get("estimator")
    if inner is not None and hasattr(inner, "fit"):
        return effective_class_weight(inner)
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
    class_weight = None if classifier is None else effective_class_weight(classifier)
    if class_weight is not None:
        per_class = compute_class_weight(
            class_weight,
            classes=np.array([SOURCE, TARGET]),
            y=y_encoded,
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


def source_prior_ratios(y_encoded, sample_weight, classifier=None):
    """``n_k / n_target`` of every source k, from the counts the classifier saw.

    ``y_encoded`` holds positions ``0 .. K`` (the target ``K``, the largest).
    A ``class_weight`` of the classifier scales each domain's count as in the
    binary case (:func:`prior_ratio_from_counts`, which this is for K = 1).
    """
    n_classes = int(y_encoded.max()) + 1
    class_weight = None if classifier is None else effective_class_weight(classifier)
    if class_weight is not None:
        per_class = compute_class_weight(
            class_weight,
            classes=np.arange(n_classes),
            y=y_encoded,
            sample_weight=sample_weight,
        )
        sample_weight = sample_weight * per_class[y_encoded]
    target = n_classes - 1
    ratios = []
    for source in range(target):
        rows = (y_encoded == source) | (y_encoded == target)
        is_target = (y_encoded[rows] == target).astype(int)
        ratios.append(prior_ratio_from_counts(is_target, sample_weight[rows]))
    return np.array(ratios)


# Packages whose frames stand between a user's call and a collapse check: the
# fit wrappers of skratio and scikit-learn, and the joblib machinery through
# which scikit-learn's searches call fit (in a worker process or thread, whose
# stack holds no line of the user's, the walk ends past the last of them).
_LIBRARY_PACKAGES = (
    "skratio",
    "sklearn",
    "joblib",
    "threadpoolctl",
    "multiprocessing",
    "concurrent",
    "threading",
)

# Where scikit-learn fits one candidate on one fold of a search.
_CV_FIT_FUNCTIONS = {("sklearn.model_selection._validation", "_fit_and_score")}

# The searches (user line, search call) whose fits have warned of a collapse.
_SEARCHES_WARNED = set()


def _user_frame(frame):
    """``(stacklevel, search)`` of the first caller outside the libraries.

    ``frame`` is the frame of the function that warns (``stacklevel=1``).
    ``stacklevel`` points its warning at the user's line, however many wrappers
    (``_fit_context``, meta-estimators, a grid search and joblib) stand between
    it and the check. ``search`` is None outside the cross-validation fits of a
    scikit-learn search or ``cross_validate``, and a key of the running search
    inside them.
    """
    level, in_search, search_call = 1, False, None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.split(".")[0] not in _LIBRARY_PACKAGES:
            break
        in_search |= (module, frame.f_code.co_name) in _CV_FIT_FUNCTIONS
        search_call = frame
        frame, level = frame.f_back, level + 1
    if not in_search:
        return level, None
    # The user's line and the library call it made (the search's fit), which
    # lives as long as the search: together they name one search.
    where = (
        (None, "", 0)
        if frame is None
        else (
            frame.f_code.co_filename,
            frame.f_globals.get("__name__", ""),
            frame.f_lineno,
        )
    )
    return level, (where, id(search_call))


def _ignored(text, category, module, lineno):
    """Whether the warning filters in force ignore this warning.

    The first matching filter decides, as in :func:`warnings.warn_explicit`.
    """
    for (
        action,
        message,
        filter_category,
        filter_module,
        filter_lineno,
    ) in warnings.filters:
        if (
            (message is None or message.match(text))
            and issubclass(category, filter_category)
            and (filter_module is None or filter_module.match(module))
            and filter_lineno in (0, lineno)
        ):
            return action == "ignore"
    return False


def first_frame_outside_the_libraries():
    """``stacklevel`` that points the caller's warning at the user's line."""
    return _user_frame(sys._getframe(1))[0]


def warn_if_weights_collapse(weights, *, min_ess_fraction=MIN_ESS_FRACTION):
    """Warn with :class:`WeightCollapseWarning` when ESS < min_ess_fraction * n.

    One short warning per fit, attributed to the user's line. Inside the
    cross-validation fits of a search (``GridSearchCV``, ``cross_validate``)
    one warning without the figures of a fold stands for every fold and
    candidate of the search; the search's final refit on all rows warns with
    its own figures.

    Returns the effective sample size.
    """
    ess = effective_sample_size(weights)
    n = len(weights)
    if ess < min_ess_fraction * n:
        stacklevel, search = _user_frame(sys._getframe())
        if search is None:
            what = (
                f"effective sample size {ess:.1f} of {n} rows ({ess / n:.1%} < "
                f"{min_ess_fraction:.0%})"
            )
        else:
            what = (
                "in cross-validation fits: effective sample size below "
                f"{min_ess_fraction:.0%} of the rows (shown once per search)"
            )
        text = (
            f"Importance weights collapsed, {what}. Try skratio.CalibratedRatio, "
            "power < 1, clip=..., or a simpler classifier."
        )
        if search is not None:
            # scikit-learn resets the warning filters (and with them Python's
            # record of the warnings shown) around every fit of a search, so
            # the search's one warning is counted here. A warning the filters
            # ignore (a meta-estimator silencing its ratio estimator's) is not
            # shown, so it does not count.
            (_, module, lineno), _ = search
            if search in _SEARCHES_WARNED or _ignored(
                text, WeightCollapseWarning, module, lineno
            ):
                return ess
            if len(_SEARCHES_WARNED) > 1000:
                _SEARCHES_WARNED.clear()
            _SEARCHES_WARNED.add(search)
        warnings.warn(text, WeightCollapseWarning, stacklevel=stacklevel)
    return ess
