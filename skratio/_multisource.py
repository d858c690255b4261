"""Density ratios of one target against several sources, from one classifier."""

from numbers import Integral, Real

import numpy as np
from scipy.special import log_softmax
from sklearn.base import BaseEstimator, clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted

from ._base import PREDICT_CHUNK_ROWS, BaseRatioEstimator, index_fit_params
from ._compat import HasMethods, Interval, _fit_context
from ._diagnostics import warn_if_poor_overlap
from ._domains import check_source_target_labels
from ._ratio import ClassifierParamsMixin
from ._validation import IntegerInterval
from ._weights import (
    EPS,
    MAX_LOGIT,
    check_clip,
    decision_is_log_odds,
    effective_class_weight,
    postprocess_log_weight,
    prior_ratio_from_counts,
    warn_if_weights_collapse,
)
from .metrics import overlap_diagnostics


def _final_step(classifier):
    if isinstance(classifier, FrozenEstimator):
        classifier = classifier.estimator
    while isinstance(classifier, Pipeline):
        classifier = classifier[-1]
    return classifier


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


def _source_position(classes, source):
    """Position of the label ``source`` among the sources ``classes[:-1]``."""
    sources = classes[:-1].tolist()
    matches = [i for i, label in enumerate(sources) if label == source]
    if not matches:
        raise ValueError(
            f"source={source!r} is not one of the source labels {sources} (the "
            f"target is {classes[-1]!r})."
        )
    return matches[0]


def _log_ratios(classifier, X, log_priors):
    """``log n_k/n_t + log c_t(x) - log c_k(x)`` of every source k, shape (n, K)."""
    log_proba = domain_log_proba(classifier, X)
    log_odds = log_proba[:, -1:] - log_proba[:, :-1]
    np.clip(log_odds, -MAX_LOGIT, MAX_LOGIT, out=log_odds)
    return log_odds + log_priors


def _source_prior_ratios(y_encoded, sample_weight, classifier):
    """``n_k / n_target`` of every source k, from the counts the classifier saw.

    A ``class_weight`` of the classifier scales each domain's count as in the
    binary case (:func:`~skratio._weights.prior_ratio_from_counts`).
    """
    n_classes = int(y_encoded.max()) + 1
    class_weight = effective_class_weight(classifier)
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


def _fold_log_ratios(classifier, X, y_encoded, sample_weight, fit_params, train, test):
    """Fit a clone on ``train``; the raw log-ratios of ``test`` to every source."""
    classifier = clone(classifier)
    fit_params = index_fit_params(fit_params, train, X.shape[0])
    classifier.fit(X[train], y_encoded[train], **fit_params)
    log_priors = np.log(
        _source_prior_ratios(y_encoded[train], sample_weight[train], classifier)
    )
    return _log_ratios(classifier, X[test], log_priors)


class MultiSourceRatio(ClassifierParamsMixin, BaseRatioEstimator):
    """Density ratios ``p_target / p_k`` of one target against K sources.

    One multinomial classifier learns ``c_j(x) = P(domain j | x)`` on the rows
    of K biased sources and of one target (reference) sample. Bayes' rule gives
    every source's ratio at once::

        log w_k(x) = log(n_k / n_target) + log c_target(x) - log c_k(x),

    computed in log space, so that probabilities of exactly 0 or 1 give
    finite weights. With one source it is :class:`DensityRatioEstimator`.

    Parameters
    ----------
    classifier : estimator with ``fit`` and ``predict_proba``, default=None
        The multinomial domain classifier; it may be a
        :class:`~sklearn.pipeline.Pipeline`. ``None`` means
        :func:`skratio.default_classifier`,
        a multinomial logistic regression, right whenever every log-ratio is
        linear in the features (e.g. Gaussians of equal covariances). It is
        fitted on the positions of the labels in ``classes_`` (sources
        ``0 .. K-1``, target ``K``), which a ``class_weight`` dict must use;
        class weights are accounted for in the prior ratios.
    target_label : int, float, bool or str, default=None
        The label of ``y`` that marks the target rows (the numerator of every
        ratio); every other label is a source. Needed with three or more
        labels, which never say which is the target; two labels 0/1, -1/1 or
        False/True make the larger the target.
    cv : int, cross-validation generator or iterable, default=5
        Folds of :meth:`fit_predict_weight`. An int means a shuffled
        :class:`~sklearn.model_selection.StratifiedKFold` (stratified by
        domain) seeded by ``random_state``.
    power : float in [0, 1], default=1.0
        Flattening exponent: weights are ``w_k(x) ** power``.
    clip : float or (float, float), default=None
        Bounds of the weights after flattening: an upper bound, or a
        ``(lower, upper)`` pair with ``0 <= lower < upper``.
    n_jobs : int, default=None
        Number of folds fitted in parallel by :meth:`fit_predict_weight`.
    random_state : int, RandomState instance or None, default=None
        Seeds the fold shuffling of :meth:`fit_predict_weight`.

    Attributes
    ----------
    classifier_ : estimator
        The domain classifier fitted on all rows.
    classes_ : ndarray of shape (K + 1,)
        The source labels in sorted order, then the target label last.
    sources_ : ndarray of shape (K,)
        The source labels, ``classes_[:-1]``: the columns of
        ``predict_log_weight(X)``.
    prior_ratios_ : ndarray of shape (K,)
        ``n_k / n_target`` of every source, from the (weighted) counts.
    overlap_ : dict
        Source label -> :class:`~skratio.metrics.OverlapDiagnostics` of that
        source against the target, from the out-of-fold log-ratios of the last
        :meth:`fit_predict_weight` (held-out domain AUC, mean source weight and
        its standard error, effective sample size). Only after
        :meth:`fit_predict_weight`.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.

    See Also
    --------
    DensityRatioEstimator : One source and one target.
    SIRResampler : Resample one source's rows, through :meth:`for_source`.

    Notes
    -----
    One classifier for all sources shares its features across the ratios and
    keeps them consistent: ``w_j(x) / w_k(x) = p_k(x) / p_j(x)`` exactly
    (up to the prior ratios), which K separate binary classifiers do not
    guarantee.

    Examples
    --------
    >>> import numpy as np
    >>> from skratio import MultiSourceRatio
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(m, 1.0, (400, 1)) for m in (-1, 1, 0)])
    >>> y = np.repeat(["web", "books", "reference"], 400)
    >>> ratio = MultiSourceRatio(target_label="reference").fit(X, y)
    >>> ratio.sources_.tolist()
    ['books', 'web']
    >>> ratio.predict_weight([[0.5]]).shape
    (1, 2)
    >>> bool(ratio.predict_weight([[-1.0]], source="web")[0] < 1.0)
    True
    >>> web = ratio.for_source("web")  # a binary view, e.g. for SIRResampler
    >>> web.classes_.tolist()
    ['web', 'reference']
    """

    _parameter_constraints = {
        "classifier": [HasMethods(["fit", "predict_proba"]), None],
        "target_label": [Real, str, None],
        "cv": ["cv_object"],
        "power": [Interval(Real, 0, 1, closed="both")],
        "clip": [Interval(Real, 0, None, closed="neither"), tuple, list, None],
        "n_jobs": [IntegerInterval(None, None, closed="neither"), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        classifier=None,
        *,
        target_label=None,
        cv=5,
        power=1.0,
        clip=None,
        n_jobs=None,
        random_state=None,
    ):
        self.classifier = classifier
        self.target_label = target_label
        self.cv = cv
        self.power = power
        self.clip = clip
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ------------------------------------------------------------------ hooks
    def _ratio_options(self):
        if self.clip is not None:
            check_clip(self.clip)
        return dict(
            power=self.power,
            clip=self.clip,
            prior_ratio=None,
            target_label=self.target_label,
        )

    def _encode_labels(self, y):
        return check_source_target_labels(y, type(self).__name__, self.target_label)

    def _fit_classifier(
        self, X, y_encoded, sample_weight, weights_given, classifier, fit_params
    ):
        self.classifier_ = clone(classifier).fit(X, y_encoded, **fit_params)
        self.prior_ratios_ = _source_prior_ratios(
            y_encoded, sample_weight, self.classifier_
        )
        self.sources_ = self.classes_[:-1]
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags

    # -------------------------------------------------------------- fitting
    def fit(self, X, y, sample_weight=None):
        """Fit the multinomial domain classifier and the prior ratios.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of every source and of the target.
        y : array-like of shape (n_samples,)
            Domain labels: ``target_label`` marks the target rows, every other
            label a source. Two labels 0/1, -1/1 or False/True need no
            ``target_label`` (the larger is the target).
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, used for the prior ratios and passed to the
            classifier.

        Returns
        -------
        self : MultiSourceRatio
            The fitted estimator.
        """
        return super().fit(X, y, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_predict_weight(self, X, y, sample_weight=None, *, cv=None):
        """Out-of-fold weight of every row toward the target, then fit on all rows.

        Each row's weight comes from a classifier that did not see that row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of every source and of the target.
        y : array-like of shape (n_samples,)
            Domain labels, as in :meth:`fit`.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, as in :meth:`fit`.
        cv : int, cross-validation generator or iterable, default=None
            The folds of this call; ``None`` uses the estimator's ``cv``.

        Returns
        -------
        weights : ndarray of shape (n_samples,)
            For a row of source k, its out-of-fold ``p_target / p_k`` (its own
            source's ratio), post-processed with ``power`` and ``clip``; for a
            target row, exactly 1 (the ratio of the target to itself).

        Warns
        -----
        WeightCollapseWarning
            When the effective sample size of a source's weights is below 10%
            of its number of rows.
        PoorOverlapWarning
            When a source's held-out diagnostics (``overlap_``) show that it
            barely overlaps the target, or that its weights do not average to 1.
        """
        X, y_encoded, sample_weight, weights_given, classifier, fit_params = (
            self._validate_fit_data(X, y, sample_weight)
        )
        cv = self.cv if cv is None else cv
        if isinstance(cv, Integral):
            cv = StratifiedKFold(cv, shuffle=True, random_state=self.random_state)
        folds = list(check_cv(cv, y_encoded, classifier=True).split(X, y_encoded))
        raw = Parallel(n_jobs=self.n_jobs)(
            delayed(_fold_log_ratios)(
                classifier, X, y_encoded, sample_weight, fit_params, train, test
            )
            for train, test in folds
        )
        target = self.classes_.shape[0] - 1
        log_weight = np.zeros(X.shape[0])
        # Every row's out-of-fold log-ratio to every source, for the diagnostics.
        all_log_ratios = np.empty((X.shape[0], target))
        for (_, test), fold_log_ratios in zip(folds, raw):
            own = y_encoded[test]
            is_source = own < target
            log_weight[test[is_source]] = fold_log_ratios[is_source, own[is_source]]
            all_log_ratios[test] = fold_log_ratios
        self._fit_classifier(
            X, y_encoded, sample_weight, weights_given, classifier, fit_params
        )
        is_source = y_encoded < target
        log_weight[is_source] = postprocess_log_weight(
            log_weight[is_source], self.power, self.clip
        )
        weights = np.exp(log_weight)
        self.overlap_ = {}
        for source in range(target):
            # Each source against the target, as the binary estimators do.
            rows = (y_encoded == source) | (y_encoded == target)
            self.overlap_[self.classes_[source]] = overlap_diagnostics(
                (y_encoded[rows] == target).astype(int),
                np.exp(all_log_ratios[rows, source]),
                sample_weight=sample_weight[rows] if weights_given else None,
            )
        for source in range(target):
            warn_if_weights_collapse(weights[y_encoded == source])
            warn_if_poor_overlap(
                self.overlap_[self.classes_[source]],
                f"{type(self).__name__} (source {self.classes_[source]!r})",
            )
        return weights

    # ----------------------------------------------------------- prediction
    def predict_log_weight(self, X, source=None):
        """Log density ratios ``log p_target(x) - log p_k(x)`` after post-processing.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to weigh.
        source : label or None, default=None
            A source label from ``sources_``: that source's ratio. ``None``:
            every source's.

        Returns
        -------
        log_weight : ndarray of shape (n_samples,) or (n_samples, K)
            ``power * (log n_k/n_target + log c_target(x) - log c_k(x))``,
            clipped to ``clip``; finite. With ``source=None``, column ``k``
            is the ratio to ``sources_[k]``.
        """
        check_is_fitted(self)
        column = None if source is None else _source_position(self.classes_, source)
        X = self._validate_X_predict(X)
        log_priors = np.log(self.prior_ratios_)
        log_weight = np.empty((X.shape[0], self.sources_.shape[0]))
        for start in range(0, X.shape[0], PREDICT_CHUNK_ROWS):
            rows = slice(start, start + PREDICT_CHUNK_ROWS)
            log_weight[rows] = postprocess_log_weight(
                _log_ratios(self.classifier_, X[rows], log_priors),
                self.power,
                self.clip,
            )
        return log_weight if column is None else log_weight[:, column]

    def predict_weight(self, X, source=None):
        """Density ratios ``w_k(x) = p_target(x) / p_k(x)`` after post-processing.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to weigh.
        source : label or None, default=None
            A source label from ``sources_``; ``None``: every source's.

        Returns
        -------
        weight : ndarray of shape (n_samples,) or (n_samples, K)
            Positive, finite ``exp(predict_log_weight(X, source))``.
        """
        return np.exp(self.predict_log_weight(X, source=source))

    def predict_proba(self, X):
        """Domain probabilities of the fitted classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, K + 1)
            Columns follow ``classes_`` (the target last).
        """
        return super().predict_proba(X)

    def score(self, X, y, sample_weight=None):
        """Multinomial negative cross-entropy: mean log-likelihood of the domains.

        Higher is better; the multi-domain form of the NCE of
        :class:`DensityRatioEstimator`, so grid searches rank classifiers by
        how good ratios they give.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Held-out rows.
        y : array-like of shape (n_samples,)
            Their domain labels, values from ``classes_``.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
            ``mean(log c_{y_i}(x_i))``, at most 0.
        """
        X = self._validate_X_predict(X)
        y = np.asarray(y).reshape(-1)
        positions = {label: i for i, label in enumerate(self.classes_.tolist())}
        unknown = [label for label in np.unique(y).tolist() if label not in positions]
        if unknown:
            raise ValueError(
                f"y contains labels {unknown!r} not seen in fit; the domain labels "
                f"are {self.classes_.tolist()!r}."
            )
        y_encoded = np.array([positions[label] for label in y.tolist()], dtype=int)
        log_proba = domain_log_proba(self.classifier_, X)
        log_likelihood = log_proba[np.arange(y_encoded.shape[0]), y_encoded]
        return float(np.average(log_likelihood, weights=sample_weight))

    def for_source(self, source):
        """A fitted, read-only two-domain view: ``p_target / p_source``.

        The view has ``predict_log_weight(X)`` and ``predict_weight(X)``
        without a ``source`` argument, as :class:`SIRResampler` and other
        consumers of a binary ratio estimator expect.

        Parameters
        ----------
        source : label
            A source label from ``sources_``.

        Returns
        -------
        view : SourceRatio
            Reads this estimator's fitted classifier (refitting this estimator
            changes the view's weights); its ``fit`` raises, and cloning it
            returns it unchanged, so that a clone of a resampler that holds it
            stays fitted.
        """
        check_is_fitted(self)
        _source_position(self.classes_, source)
        return SourceRatio(self, source)

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        ``sample_weight`` given to ``fit`` and ``fit_predict_weight`` is used
        for the prior ratios and routed to the classifier's ``fit`` when it
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
                classifier=self._domain_classifier(),
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        )


class SourceRatio(BaseEstimator):
    """One source's ratio ``p_target / p_source`` of a fitted MultiSourceRatio.

    Returned by :meth:`MultiSourceRatio.for_source`; read-only.

    Parameters
    ----------
    estimator : MultiSourceRatio
        A fitted multi-source estimator.
    source : label
        One of its ``sources_``.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``[source, target]``: the target (numerator) last.
    prior_ratio_ : float
        ``n_source / n_target`` of the fitted estimator.
    n_features_in_ : int
        Number of features of the fitted estimator.
    """

    def __init__(self, estimator, source):
        self.estimator = estimator
        self.source = source

    def __sklearn_clone__(self):
        return self

    def __sklearn_is_fitted__(self):
        check_is_fitted(self.estimator)
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags = get_tags(self.estimator).input_tags
        return tags

    @property
    def classes_(self):
        classes = self.estimator.classes_
        return classes[[_source_position(classes, self.source), -1]]

    @property
    def prior_ratio_(self):
        position = _source_position(self.estimator.classes_, self.source)
        return float(self.estimator.prior_ratios_[position])

    @property
    def n_features_in_(self):
        return self.estimator.n_features_in_

    def fit(self, X, y=None, sample_weight=None):
        """Not available: fit the :class:`MultiSourceRatio` itself.

        Raises
        ------
        TypeError
            Always; the view only reads a fitted estimator.
        """
        raise TypeError(
            "SourceRatio is a read-only view of a fitted MultiSourceRatio; fit the "
            "MultiSourceRatio and call its for_source(source) again."
        )

    def predict_log_weight(self, X):
        """``log p_target(x) - log p_source(x)``, as the estimator post-processes it.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to weigh.

        Returns
        -------
        log_weight : ndarray of shape (n_samples,)
            ``estimator.predict_log_weight(X, source=source)``.
        """
        return self.estimator.predict_log_weight(X, source=self.source)

    def predict_weight(self, X):
        """``p_target(x) / p_source(x)``, as the estimator post-processes it.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to weigh.

        Returns
        -------
        weight : ndarray of shape (n_samples,)
            ``estimator.predict_weight(X, source=source)``.
        """
        return self.estimator.predict_weight(X, source=self.source)
