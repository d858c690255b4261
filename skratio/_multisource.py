"""Density ratios of one target against several sources, from one classifier."""

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.frozen import FrozenEstimator
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from ._base import BaseRatioEstimator, source_position
from ._classifier_params import ClassifierParamsMixin
from ._domains import check_source_target_labels
from ._weights import domain_log_proba, source_log_odds


class MultiSourceRatio(ClassifierParamsMixin, BaseRatioEstimator):
    """Density ratios ``p_target / p_k`` of one target against K sources.

    One multinomial classifier learns ``c_j(x) = P(domain j | x)`` on the rows
    of K biased sources and of one target (reference) sample. Bayes' rule gives
    every source's ratio at once::

        log w_k(x) = log(n_k / n_target) + log c_target(x) - log c_k(x),

    computed in log space, so that probabilities of exactly 0 or 1 give
    finite weights. With one source it is :class:`DensityRatioEstimator`.

    The public methods are those of every ratio estimator of skratio.
    ``predict_log_weight(X, source=None)`` and ``predict_weight`` give every
    source's ratio, one column each, or one source's with ``source=``;
    ``fit_predict_weight`` gives each source row its own source's out-of-fold
    ratio and each target row 1; ``score`` is the multinomial negative
    cross-entropy. A dask array or DataFrame is weighed lazily, chunk by chunk,
    one source at a time (``source=``).

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

    # ------------------------------------------------------------------ hooks
    _log_odds = staticmethod(source_log_odds)

    def _encode_labels(self, y):
        return check_source_target_labels(y, type(self).__name__, self.target_label)

    def _record_prior_ratios(self, prior_ratios):
        self.prior_ratios_ = prior_ratios

    def _fitted_prior_ratios(self):
        return self.prior_ratios_

    def _fitted_hook(self, X, y_encoded, sample_weight, weights_given):
        self.sources_ = self.classes_[:-1]

    def _overlap_attribute(self, diagnostics):
        return dict(zip(self.classes_[:-1].tolist(), diagnostics))

    def _source_column(self, source):
        return None if source is None else source_position(self.classes_, source)

    def _row_log_weight(self, log_weight, y_encoded):
        # A source row's own source's ratio; a target row's ratio to itself, 1.
        own = np.zeros(log_weight.shape[0])
        is_source = np.flatnonzero(y_encoded < log_weight.shape[1])
        own[is_source] = log_weight[is_source, y_encoded[is_source]]
        return own

    def _domain_log_proba(self, X):
        return domain_log_proba(self.classifier_, self._validate_X_predict(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags

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
            Reads this estimator, held in a
            :class:`~sklearn.frozen.FrozenEstimator` (refitting this estimator
            changes the view's weights); its ``fit`` and ``fit_predict_weight``
            raise, and a clone of it (e.g. inside a clone of a resampler that
            holds it) reads the same fitted estimator.
        """
        check_is_fitted(self)
        source_position(self.classes_, source)
        return SourceRatio(FrozenEstimator(self), source)


class SourceRatio(BaseEstimator):
    """One source's ratio ``p_target / p_source`` of a fitted MultiSourceRatio.

    Returned by :meth:`MultiSourceRatio.for_source`; read-only. Cloning goes
    through scikit-learn's :class:`~sklearn.frozen.FrozenEstimator`, which a
    clone keeps as it is: the clone of a view reads the same fitted estimator.
    The view is not itself a FrozenEstimator, whose ``fit`` does nothing and
    which hands every other attribute to the estimator it wraps: this view's
    ``predict_log_weight`` takes no ``source``, its ``classes_`` are two, and
    fitting it is an error rather than a silent no-op.

    Parameters
    ----------
    estimator : FrozenEstimator
        A fitted :class:`MultiSourceRatio`, frozen.
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
        return classes[[source_position(classes, self.source), -1]]

    @property
    def prior_ratio_(self):
        position = source_position(self.estimator.classes_, self.source)
        return float(self.estimator.prior_ratios_[position])

    @property
    def n_features_in_(self):
        return self.estimator.n_features_in_

    def _read_only(self):
        return TypeError(
            "SourceRatio is a read-only view of a fitted MultiSourceRatio; fit the "
            "MultiSourceRatio and call its for_source(source) again."
        )

    def fit(self, X, y=None, sample_weight=None):
        """Not available: fit the :class:`MultiSourceRatio` itself.

        Raises
        ------
        TypeError
            Always; the view only reads a fitted estimator.
        """
        raise self._read_only()

    def fit_predict_weight(self, X, y=None, sample_weight=None, *, cv=None):
        """Not available: use the :class:`MultiSourceRatio`'s own.

        Raises
        ------
        TypeError
            Always; the view only reads a fitted estimator.
        """
        raise self._read_only()

    def predict_log_weight(self, X):
        """``log p_target(x) - log p_source(x)``, as the estimator post-processes it.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to weigh.

        Returns
        -------
        log_weight : ndarray of shape (n_samples,) or dask collection
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
        weight : ndarray of shape (n_samples,) or dask collection
            ``estimator.predict_weight(X, source=source)``.
        """
        return self.estimator.predict_weight(X, source=self.source)
