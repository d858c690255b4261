"""Density-ratio estimation with a probabilistic domain classifier."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, SGDClassifier
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    has_fit_parameter,
    validate_data,
)

from ._domains import SOURCE, TARGET, check_domain_labels, encode_domain_labels
from ._weights import warn_if_weights_collapse
from .metrics import negative_cross_entropy

# Probabilities are clipped to [_EPS, 1 - _EPS] before taking the logit, so a
# classifier that outputs exactly 0 or 1 (trees, isotonic calibration, separable
# data) gives a large but finite log-odds.  Log-odds read from a decision
# function are clipped to the same range so both routes agree.
_EPS = np.finfo(np.float64).eps
_MAX_LOGIT = float(np.log1p(-_EPS) - np.log(_EPS))

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

    Finite by construction: clipped to ``[-_MAX_LOGIT, _MAX_LOGIT]``.
    """
    if _decision_is_log_odds(classifier):
        log_odds = np.asarray(classifier.decision_function(X), dtype=np.float64)
    else:
        proba = np.asarray(classifier.predict_proba(X), dtype=np.float64)[:, 1]
        proba = np.clip(proba, _EPS, 1.0 - _EPS)
        log_odds = np.log(proba) - np.log1p(-proba)
    log_odds = log_odds.reshape(-1)
    if np.isnan(log_odds).any():
        raise ValueError(
            f"The domain classifier {type(classifier).__name__} returned NaN "
            "probabilities; cannot compute density ratios."
        )
    return np.clip(log_odds, -_MAX_LOGIT, _MAX_LOGIT)


def _check_clip(clip):
    """Return ``(lower, upper)`` weight bounds from the ``clip`` parameter."""
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


def _prior_ratio(y_encoded, sample_weight):
    """``n_0 / n_1`` from (weighted) domain counts."""
    n_source = sample_weight[y_encoded == SOURCE].sum()
    n_target = sample_weight[y_encoded == TARGET].sum()
    if n_source <= 0 or n_target <= 0:
        raise ValueError(
            "Each domain class needs a positive total sample weight to estimate the "
            f"prior ratio; got {n_source} (source) and {n_target} (target)."
        )
    return float(n_source / n_target)


def _sample_weight_keys(classifier):
    """The ``fit`` keywords that carry sample weights into ``classifier``.

    With metadata routing off, a Pipeline takes them as ``<step>__sample_weight``;
    they go to every step that accepts them (a scaler's weighted moments too),
    so that weighting rows stays equivalent to repeating them. ``None`` when the
    final classifier cannot take them.
    """
    if has_fit_parameter(classifier, "sample_weight"):
        return ["sample_weight"]
    if not isinstance(classifier, Pipeline):
        return None
    keys = []
    for position, (name, step) in enumerate(classifier.steps):
        step_keys = None if step in (None, "passthrough") else _sample_weight_keys(step)
        if step_keys is None and position == len(classifier.steps) - 1:
            return None
        keys.extend(f"{name}__{key}" for key in step_keys or [])
    return keys


def _index_params(params, indices, n_samples):
    """Select ``indices`` of every per-row array in a dict of fit parameters."""
    return {
        key: (
            value[indices]
            if hasattr(value, "shape") and value.shape[:1] == (n_samples,)
            else value
        )
        for key, value in params.items()
    }


def _fit_fold(classifier, X, y_encoded, sample_weight, fit_params, train, test, prior):
    """Fit a clone on ``train`` and return the raw log-weights of ``test``."""
    classifier = clone(classifier)
    classifier.fit(X[train], y_encoded[train], **_index_params(fit_params, train, len(X)))
    if prior is None:
        prior = _prior_ratio(y_encoded[train], sample_weight[train])
    return np.log(prior) + domain_log_odds(classifier, X[test])


def _classifier_input_tags(classifier):
    """Input tags of a classifier, seen through CalibratedClassifierCV.

    CalibratedClassifierCV leaves missing values to its estimator but does not
    pass on the estimator's ``allow_nan`` tag; take it from the estimator.
    """
    tags = get_tags(classifier).input_tags
    if isinstance(classifier, CalibratedClassifierCV) and classifier.estimator is not None:
        tags.allow_nan = _classifier_input_tags(classifier.estimator).allow_nan
    return tags


class _RatioPredictionMixin:
    """Weights, domain probabilities and NCE of a fitted ratio estimator.

    Shared by :class:`DensityRatioEstimator` and :class:`CalibratedRatio`. Uses
    the fitted ``classifier_`` (a 0/1 domain classifier), ``classes_`` and
    ``prior_ratio_``, and the methods ``_get_classifier()`` (the unfitted
    classifier, whose input tags the estimator takes on) and
    ``_postprocess(log_weight)``.
    """

    def _input_checks(self):
        """``validate_data`` options that follow the classifier's input tags."""
        tags = _classifier_input_tags(self._get_classifier())
        return dict(
            accept_sparse=["csr", "csc"] if tags.sparse else False,
            dtype=None,
            ensure_all_finite="allow-nan" if tags.allow_nan else True,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        classifier_tags = _classifier_input_tags(self._get_classifier())
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = classifier_tags.allow_nan
        tags.input_tags.sparse = classifier_tags.sparse
        return tags

    def _validate_X_predict(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, **self._input_checks())

    def predict_log_weight(self, X):
        """Log density ratio ``log p_1(x) - log p_0(x)`` after post-processing.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to weigh.

        Returns
        -------
        log_weight : ndarray of shape (n_samples,)
            ``power * (log prior_ratio_ + logit c(x))``, clipped to ``clip``.
            Finite, except ``-inf`` where ``clip`` has a lower bound of 0 and
            the weight is below it (never, since weights are positive).
        """
        X = self._validate_X_predict(X)
        log_odds = domain_log_odds(self.classifier_, X)
        return self._postprocess(np.log(self.prior_ratio_) + log_odds)

    def predict_weight(self, X):
        """Density ratio ``w(x) = p_1(x) / p_0(x)`` after post-processing.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to weigh.

        Returns
        -------
        weight : ndarray of shape (n_samples,)
            Positive, finite weights ``exp(predict_log_weight(X))``.
        """
        return np.exp(self.predict_log_weight(X))

    def predict_proba(self, X):
        """Domain probabilities of the fitted classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Columns follow ``classes_``: ``P(source | x)``, ``P(target | x)``.
        """
        X = self._validate_X_predict(X)
        return self.classifier_.predict_proba(X)

    def predict(self, X):
        """Most probable domain of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Negative cross-entropy (NCE) of the domain classifier; higher is better.

        The mean log-likelihood of the domain labels (Choi et al. 2020, Eq. 6),
        so that :class:`~sklearn.model_selection.GridSearchCV` ranks domain
        classifiers by how good a density ratio they give.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Held-out rows of both domains.
        y : array-like of shape (n_samples,)
            Their domain labels, values from ``classes_``.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
            ``mean(y log c(x) + (1 - y) log(1 - c(x)))``, at most 0.
        """
        proba = self.predict_proba(X)
        y_encoded = encode_domain_labels(y, self.classes_)
        return negative_cross_entropy(y_encoded, proba, sample_weight=sample_weight)


class DensityRatioEstimator(
    _RatioPredictionMixin, ClassifierMixin, MetaEstimatorMixin, BaseEstimator
):
    """Density ratio ``w(x) = p_1(x) / p_0(x)`` from a probabilistic classifier.

    A classifier ``c(x) = P(y=1 | x)`` is trained to tell the source domain
    (``y=0``: biased data, or a generative model's samples) from the target
    domain (``y=1``: reference data, or real data).  Bayes' rule turns its odds
    into the density ratio::

        w(x) = gamma * c(x) / (1 - c(x)),   gamma = n_0 / n_1,

    computed in log space, ``log w = log gamma + logit c(x)``, so that
    probabilities of exactly 0 or 1 give finite weights.

    Parameters
    ----------
    classifier : estimator with ``fit`` and ``predict_proba``, default=None
        The domain classifier; it may be a :class:`~sklearn.pipeline.Pipeline`.
        ``None`` means ``LogisticRegression(max_iter=1000)``. Its odds must be
        calibrated for the weights to be right (see the user guide). Classes
        of the fitted classifier are the encoded domains ``[0, 1]``. Weigh rows
        with ``sample_weight`` rather than ``class_weight``: the prior
        correction assumes the classifier saw the (weighted) domain frequencies.
    cv : int, cross-validation generator or iterable, default=5
        Folds used by :meth:`fit_predict_weight`. An int means a shuffled
        :class:`~sklearn.model_selection.StratifiedKFold` (stratified by
        domain) seeded by ``random_state``.
    power : float in [0, 1], default=1.0
        Flattening exponent: weights are ``w(x) ** power``. ``0`` gives uniform
        weights, ``1`` the plain ratio.
    clip : float or (float, float), default=None
        Bounds applied to the weights after flattening: an upper bound, or a
        ``(lower, upper)`` pair with ``0 <= lower < upper``. ``None`` clips
        nothing.
    prior_ratio : float > 0, default=None
        Overrides ``gamma = n_0 / n_1``, e.g. ``1.0`` when the classifier was
        trained on balanced batches. ``None`` estimates it from the (weighted)
        domain counts seen in ``fit``.
    n_jobs : int, default=None
        Number of folds fitted in parallel by :meth:`fit_predict_weight`.
        ``None`` means 1 unless in a :obj:`joblib.parallel_backend` context.
    random_state : int, RandomState instance or None, default=None
        Seeds the fold shuffling of :meth:`fit_predict_weight` when ``cv`` is
        an int.

    Attributes
    ----------
    classifier_ : estimator
        The domain classifier fitted on all rows.
    classes_ : ndarray of shape (2,)
        The domain labels; ``classes_[1]`` is the target (numerator).
    prior_ratio_ : float
        The ``gamma = n_0 / n_1`` used in the weights.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.

    See Also
    --------
    skratio.stack_domains : Build ``(X, y)`` from a source and a target sample.

    Examples
    --------
    >>> from skratio import DensityRatioEstimator
    >>> from skratio.datasets import make_gaussian_shift
    >>> X, y, log_ratio = make_gaussian_shift(
    ...     n_source=2000, n_target=500, n_features=2, random_state=0)
    >>> ratio = DensityRatioEstimator().fit(X, y)
    >>> round(ratio.prior_ratio_, 2)
    4.0
    >>> w = ratio.predict_weight(X)
    >>> bool(w.min() > 0)
    True
    """

    _parameter_constraints = {
        "classifier": [HasMethods(["fit", "predict_proba"]), None],
        "cv": ["cv_object"],
        "power": [Interval(Real, 0, 1, closed="both")],
        "clip": [Interval(Real, 0, None, closed="neither"), tuple, list, None],
        "prior_ratio": [Interval(Real, 0, None, closed="neither"), None],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        classifier=None,
        *,
        cv=5,
        power=1.0,
        clip=None,
        prior_ratio=None,
        n_jobs=None,
        random_state=None,
    ):
        self.classifier = classifier
        self.cv = cv
        self.power = power
        self.clip = clip
        self.prior_ratio = prior_ratio
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _get_classifier(self):
        if self.classifier is None:
            return LogisticRegression(max_iter=1000)
        return self.classifier

    def _validate_fit_inputs(self, X, y, sample_weight):
        """Validate parameters and data; return what the classifier is fitted on."""
        self._validate_params()
        if self.clip is not None:
            _check_clip(self.clip)
        X, y = validate_data(self, X, y, **self._input_checks())
        classes, y_encoded = check_domain_labels(y, type(self).__name__)
        given = sample_weight is not None
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        fit_params = self._classifier_fit_params(sample_weight if given else None)
        return X, classes, y_encoded, sample_weight, fit_params

    def _classifier_fit_params(self, sample_weight):
        """The ``fit`` keyword arguments for the classifier.

        With metadata routing enabled, ``sample_weight`` goes where the
        classifier requested it; otherwise it is passed plainly when given.
        ``None`` (no weights given) sends nothing.
        """
        if _routing_enabled():
            return process_routing(self, "fit", sample_weight=sample_weight).classifier.fit
        if sample_weight is None:
            return {}
        classifier = self._get_classifier()
        keys = _sample_weight_keys(classifier)
        if keys is None:
            raise TypeError(
                f"The classifier {type(classifier).__name__} does not accept "
                "sample_weight in fit. Use a classifier that does, or enable "
                "metadata routing (sklearn.set_config(enable_metadata_routing=True)) "
                "and request it with set_fit_request(sample_weight=True)."
            )
        return dict.fromkeys(keys, sample_weight)

    def fit(self, X, y, sample_weight=None):
        """Fit the domain classifier and the prior ratio.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of both domains, e.g. from :func:`skratio.stack_domains`.
        y : array-like of shape (n_samples,)
            Domain labels: exactly two values; the larger one (``1``) marks the
            target (numerator of the ratio).
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, used for the prior ratio and passed to the classifier.

        Returns
        -------
        self : DensityRatioEstimator
            The fitted estimator.
        """
        X, classes, y_encoded, sample_weight, fit_params = self._validate_fit_inputs(
            X, y, sample_weight
        )
        return self._fit_all(X, classes, y_encoded, sample_weight, fit_params)

    def _fit_all(self, X, classes, y_encoded, sample_weight, fit_params):
        self.classes_ = classes
        self.classifier_ = clone(self._get_classifier()).fit(X, y_encoded, **fit_params)
        self.prior_ratio_ = (
            float(self.prior_ratio)
            if self.prior_ratio is not None
            else _prior_ratio(y_encoded, sample_weight)
        )
        return self

    def fit_predict_weight(self, X, y, sample_weight=None):
        """Out-of-fold weights by cross-fitting, then fit on all rows.

        Each row's weight comes from a classifier that did not see that row,
        which avoids the optimistic (overfitted) weights of in-sample
        prediction. The folds follow ``cv``; afterwards the estimator is
        fitted on all rows as by :meth:`fit`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of both domains.
        y : array-like of shape (n_samples,)
            Domain labels (two values; the larger is the target).
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, as in :meth:`fit`.

        Returns
        -------
        weights : ndarray of shape (n_samples,)
            Out-of-fold weights ``p_1 / p_0`` of every row, post-processed with
            ``power`` and ``clip``.

        Warns
        -----
        WeightCollapseWarning
            When the effective sample size of the source rows' weights is below
            10% of their number.
        """
        X, classes, y_encoded, sample_weight, fit_params = self._validate_fit_inputs(
            X, y, sample_weight
        )
        cv = self.cv
        if isinstance(cv, Integral):
            cv = StratifiedKFold(cv, shuffle=True, random_state=self.random_state)
        cv = check_cv(cv, y_encoded, classifier=True)
        folds = list(cv.split(X, y_encoded))
        raw = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_fold)(
                self._get_classifier(),
                X,
                y_encoded,
                sample_weight,
                fit_params,
                train,
                test,
                self.prior_ratio,
            )
            for train, test in folds
        )
        log_weight = np.empty(X.shape[0])
        for (_, test), fold_log_weight in zip(folds, raw):
            log_weight[test] = fold_log_weight
        self._fit_all(X, classes, y_encoded, sample_weight, fit_params)
        weights = np.exp(self._postprocess(log_weight))
        # Only the source rows are reweighted (biased data, model samples), so
        # their effective sample size is the one that matters.
        warn_if_weights_collapse(weights[y_encoded == SOURCE])
        return weights

    def _postprocess(self, log_weight):
        """Apply ``power`` then ``clip`` in log space."""
        log_weight = self.power * log_weight
        if self.clip is not None:
            lower, upper = _check_clip(self.clip)
            with np.errstate(divide="ignore"):
                log_weight = np.clip(log_weight, np.log(lower), np.log(upper))
        return log_weight

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        ``sample_weight`` given to ``fit`` and ``fit_predict_weight`` is used
        for the prior ratio and routed to the classifier's ``fit`` when it
        requests it.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                classifier=self._get_classifier(),
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        )
