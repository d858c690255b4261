"""The ratio-estimator protocol, stated once.

A ratio estimator turns a probabilistic domain classifier into density ratios
``w_k(x) = p_target(x) / p_k(x)`` of a target against K sources (K = 1 for the
two-domain estimators: ``w(x) = p_1(x) / p_0(x)``). :class:`BaseRatioEstimator`
holds every public method (``fit``, ``fit_predict_weight``,
``predict_log_weight``, ``predict_weight``, ``predict_proba``, ``predict``,
``score``); each validates its input once and calls a few small hooks that the
leaves (:class:`~skratio.DensityRatioEstimator`,
:class:`~skratio.CalibratedRatio`, :class:`~skratio.TelescopingRatio`,
:class:`~skratio.MultiSourceRatio`) define:

``_domain_classifier(sparse_input)``
    The unfitted classifier to fit on the encoded domain labels.
``_classifier_fit_params(sample_weight)``
    The keyword arguments of that classifier's ``fit`` (routed weights).
``_ratio_options()``
    ``power``, ``clip``, ``prior_ratio`` and ``target_label``.
``_cross_fitting_options()``
    ``cv``, ``random_state`` and ``n_jobs`` of :meth:`fit_predict_weight`.
``_fitted_hook(X, y_encoded, sample_weight, weights_given)``
    Optional: extra fitted attributes (e.g. calibration diagnostics).
``_encode_labels(y)``
    Optional: ``(classes_, y_encoded)``, the sources first and the target
    last; the two-domain rule by default.
``_log_odds(classifier, X)``
    Optional: the log-odds ``log c_target(x) - log c_k(x)`` of a fitted
    classifier, shape (n,) for one source or (n, K); by default
    :func:`~skratio._weights.domain_log_odds`, bounded by the range of
    floating-point probabilities.
``_calibration_method()``
    Optional: ``"sigmoid"`` or ``"temperature"`` to calibrate the log-odds of
    a two-domain classifier on held-out rows (:mod:`skratio._scaling`),
    ``None`` (the default) not to.

and, for an estimator of several sources, how the K columns are shown (by
default, as the one source of a two-domain estimator):
``_record_prior_ratios(prior_ratios)`` and ``_fitted_prior_ratios()`` (the
fitted attribute of the K prior ratios ``n_k / n_target``),
``_overlap_attribute(diagnostics)`` (``overlap_`` from the K held-out
diagnostics), ``_source_column(source)`` (the column that
:meth:`~BaseRatioEstimator.predict_log_weight` returns),
``_row_log_weight(log_weight, y_encoded)`` (each row's out-of-fold weight) and
``_domain_log_proba(X)`` (the log-likelihoods :meth:`~BaseRatioEstimator.score`
averages).

Every estimator records held-out overlap diagnostics (``overlap_``) in
:meth:`~BaseRatioEstimator.fit_predict_weight` and warns with
:class:`~skratio.PoorOverlapWarning` when they show the samples barely overlap.

The arithmetic of the weights (prior correction, flattening, clipping) lives in
module-level functions of :mod:`skratio._weights`; the folds and the held-out
calibration in :mod:`skratio._crossfit`.
"""

from abc import ABCMeta, abstractmethod
from functools import partial

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import _check_sample_weight, _fit_context
from ._crossfit import (
    CALIBRATION_FOLDS,
    ENSEMBLE_FOLDS,
    as_columns,
    calibrated_log_weight,
    check_fitted_on_domain_labels,
    cross_fitting_folds,
    ensembled_held_out_log_weight,
    fit_calibration,
    held_out_log_odds,
    prior_ratios,
)
from ._dask import is_dask_collection, predict_lazily
from ._diagnostics import warn_if_poor_overlap
from ._domains import check_domain_labels, encode_domain_labels
from ._scaling import IDENTITY, replace_saturated
from ._validation import EPS, check_class_weight_labels, check_no_text_columns
from ._weights import (
    check_no_resampling,
    domain_log_odds,
    postprocess_log_weight,
    prior_ratio_from_counts,
    warn_if_weights_collapse,
)
from .metrics import overlap_diagnostics

# Rows weighed at once by predict_log_weight: the classifier's intermediate
# arrays (a pipeline's scaled copy of X, the probabilities) then take a bounded
# amount of memory however many rows are predicted, and a chunk of 2**16 rows
# of a few dozen features stays in the CPU cache's reach.
PREDICT_CHUNK_ROWS = 2**16


def index_fit_params(params, indices, n_samples):
    """Select ``indices`` of every per-row array in a dict of fit parameters."""
    return {
        key: (
            value[indices]
            if hasattr(value, "shape") and value.shape[:1] == (n_samples,)
            else value
        )
        for key, value in params.items()
    }


def source_position(classes, source):
    """Position of the label ``source`` among the sources ``classes[:-1]``."""
    *sources, target = classes.tolist()
    matches = [i for i, label in enumerate(sources) if label == source]
    if not matches:
        raise ValueError(
            f"source={source!r} is not one of the source labels {sources} (the "
            f"target is {target!r})."
        )
    return matches[0]


def classifier_input_tags(classifier):
    """Input tags of a classifier, seen through CalibratedClassifierCV.

    CalibratedClassifierCV leaves missing values to its estimator but does not
    pass on the estimator's ``allow_nan`` tag; take it from the estimator.
    """
    tags = get_tags(classifier).input_tags
    if (
        isinstance(classifier, CalibratedClassifierCV)
        and classifier.estimator is not None
    ):
        tags.allow_nan = classifier_input_tags(classifier.estimator).allow_nan
    return tags


class BaseRatioEstimator(
    ClassifierMixin, MetaEstimatorMixin, BaseEstimator, metaclass=ABCMeta
):
    """Density ratios ``p_target(x) / p_k(x)`` from a domain classifier.

    Not for direct use: the public methods of every ratio estimator, which
    validate their input once and call the hooks listed in the module
    docstring. Internally the log-odds, prior ratios and log-weights have one
    column per source (one column for a two-domain estimator).
    """

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _domain_classifier(self, sparse_input=False):
        """The unfitted classifier to fit on the encoded domain labels."""

    @abstractmethod
    def _classifier_fit_params(self, sample_weight):
        """``fit`` keyword arguments of the domain classifier; None sends none."""

    @abstractmethod
    def _ratio_options(self):
        """``dict(power=, clip=, prior_ratio=, target_label=)`` of the ratio."""

    @abstractmethod
    def _cross_fitting_options(self):
        """``dict(cv=..., random_state=..., n_jobs=...)`` of the cross-fitting."""

    def _fitted_hook(self, X, y_encoded, sample_weight, weights_given):
        """Extra fitted attributes, computed after the classifier is fitted."""

    def _check_features(self, X):
        """Optional: warn about features the classifier cannot use as given."""

    def _encode_labels(self, y):
        """``(classes_, y_encoded)`` of the domain labels: exactly two domains."""
        return check_domain_labels(
            y, type(self).__name__, self._ratio_options()["target_label"]
        )

    _log_odds = staticmethod(domain_log_odds)

    def _calibration_method(self):
        """``"sigmoid"``, ``"temperature"`` or None: the held-out calibration."""

    def _record_prior_ratios(self, prior_ratios):
        """Set the fitted attribute of the prior ratios: ``prior_ratio_``."""
        self.prior_ratio_ = float(prior_ratios[0])

    def _fitted_prior_ratios(self):
        """The fitted prior ratios ``n_k / n_target``, shape (K,)."""
        return np.array([self.prior_ratio_])

    def _overlap_attribute(self, diagnostics):
        """``overlap_`` from the held-out diagnostics of every source."""
        return diagnostics[0]

    def _source_column(self, source):
        """The column of the log-weights that ``predict_log_weight`` returns.

        A two-domain estimator has one source: ``None`` or its label.
        """
        if source is not None:
            source_position(self.classes_, source)
        return 0

    def _row_log_weight(self, log_weight, y_encoded):
        """Each row's log-weight from the (n, K) ones: the only source's."""
        return log_weight[:, 0]

    def _domain_log_proba(self, X):
        """Log-probabilities of the domains (columns as ``classes_``) for ``score``.

        From the target's probability clipped to ``[eps, 1 - eps]``, as the
        negative cross-entropy (:func:`skratio.metrics.negative_cross_entropy`)
        reads it.
        """
        target = np.clip(self.predict_proba(X)[:, 1], EPS, 1.0 - EPS)
        return np.column_stack([np.log1p(-target), np.log(target)])

    def _log_odds_scaling(self):
        """The fitted ``(scale, shift)`` of the log-odds; the identity if none."""
        return getattr(self, "log_odds_scaling_", IDENTITY)

    def _calibrated_log_odds(self, X):
        """Log-odds (n, K) of the fitted classifier, through the calibration."""
        log_odds = as_columns(self._log_odds(self.classifier_, X))
        if hasattr(self, "log_odds_bounds_"):
            replace_saturated(log_odds, self.log_odds_bounds_)
        scale, shift = self._log_odds_scaling()
        if (scale, shift) != IDENTITY:
            log_odds *= scale
            log_odds += shift
        return log_odds

    # ------------------------------------------------------------ validation
    def _classifier_tags(self):
        """Input tags of the domain classifier; sparse if its sparse variant is."""
        tags = classifier_input_tags(self._domain_classifier(sparse_input=False))
        sparse_variant = self._domain_classifier(sparse_input=True)
        tags.sparse = classifier_input_tags(sparse_variant).sparse
        return tags

    def _input_checks(self):
        """``validate_data`` options that follow the classifier's input tags."""
        tags = self._classifier_tags()
        return dict(
            accept_sparse=["csr", "csc"] if tags.sparse else False,
            dtype=None,
            ensure_all_finite="allow-nan" if tags.allow_nan else True,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        classifier_tags = self._classifier_tags()
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = classifier_tags.allow_nan
        tags.input_tags.sparse = classifier_tags.sparse
        return tags

    def _validate_fit_data(self, X, y, sample_weight):
        """Validate ``(X, y, sample_weight)`` once; set ``classes_``."""
        check_no_text_columns(X, self._domain_classifier(), type(self).__name__)
        X, y = validate_data(self, X, y, **self._input_checks())
        self._check_features(X)
        self.classes_, y_encoded = self._encode_labels(y)
        weights_given = sample_weight is not None
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        classifier = self._domain_classifier(sparse.issparse(X))
        check_class_weight_labels(classifier, self.classes_, type(self).__name__)
        if self._ratio_options()["prior_ratio"] is None:
            check_no_resampling(classifier)
        fit_params = self._classifier_fit_params(
            sample_weight if weights_given else None
        )
        return X, y_encoded, sample_weight, weights_given, classifier, fit_params

    def _validate_X_predict(self, X):
        check_is_fitted(self)
        check_no_text_columns(X, self._domain_classifier(), type(self).__name__)
        return validate_data(self, X, reset=False, **self._input_checks())

    # -------------------------------------------------------------- fitting
    def _held_out_log_odds(
        self, X, y_encoded, sample_weight, classifier, fit_params, folds
    ):
        """``(log prior ratios, log-odds)`` of every row, (n, K) each, from the
        fold that held the row out."""
        return held_out_log_odds(
            classifier,
            X,
            y_encoded,
            sample_weight,
            [index_fit_params(fit_params, train, X.shape[0]) for train, _ in folds],
            folds,
            self._ratio_options()["prior_ratio"],
            self._log_odds,
            self._cross_fitting_options()["n_jobs"],
        )

    def _ensembled_held_out_log_weight(
        self, X, y_encoded, sample_weight, classifier, fit_params, folds, method
    ):
        """Out-of-fold log-weights (n,) of calibrated ensembles, and the
        calibration of the final classifier
        (:func:`~skratio._crossfit.ensembled_held_out_log_weight`).

        The inner folds of each fold's training part: ``ENSEMBLE_FOLDS``, or
        as many as its smaller domain has rows. Rows of weight 0 take no part,
        as rows left out would not: every inner part then holds weighted rows
        of both domains.
        """
        # A domain of zero total weight is refused with the plain message
        # before its rows are left out of the inner folds.
        prior_ratio_from_counts(y_encoded, sample_weight)
        n_domains = int(y_encoded.max()) + 1
        nested = []
        for train, test in folds:
            train = train[sample_weight[train] > 0]
            fewest = int(np.bincount(y_encoded[train], minlength=n_domains).min())
            if fewest < 2:
                raise ValueError(
                    f"{type(self).__name__} cannot calibrate its out-of-fold "
                    f"weights: the training rows of a fold hold {fewest} row(s) "
                    "of positive weight of a domain, and the calibration's inner "
                    "folds need 2. Give more rows of the smaller domain, fewer "
                    "folds (cv=...), or calibration=None."
                )
            # The splitter needs only the rows' count: no copy of X's rows.
            inner = self._cross_fitting_folds(
                train[:, np.newaxis], y_encoded[train], min(ENSEMBLE_FOLDS, fewest)
            )
            nested.append(
                (test, [(train[fit], train[held_out]) for fit, held_out in inner])
            )
        return ensembled_held_out_log_weight(
            classifier,
            X,
            y_encoded,
            sample_weight,
            [
                index_fit_params(fit_params, fit, X.shape[0])
                for _, inner in nested
                for fit, _ in inner
            ],
            nested,
            self._ratio_options()["prior_ratio"],
            self._log_odds,
            method,
            self._cross_fitting_options()["n_jobs"],
        )

    def _cross_fitting_folds(self, X, y_encoded, cv):
        """The folds of ``cv`` (an int: shuffled, stratified, seeded), checked."""
        return cross_fitting_folds(
            X,
            y_encoded,
            cv,
            self._cross_fitting_options()["random_state"],
            type(self).__name__,
        )

    def _record_overlap(self, y_encoded, held_out_log_weight, sample_weight):
        """Set ``overlap_`` from held-out (n, K) log-weights; warn if poor overlap.

        Each source is judged against the target, on the rows of both, by the
        ratio itself (before flattening and clipping).
        """
        target = held_out_log_weight.shape[1]
        diagnostics = []
        for source in range(target):
            rows = (y_encoded == source) | (y_encoded == target)
            diagnostics.append(
                overlap_diagnostics(
                    (y_encoded[rows] == target).astype(int),
                    np.exp(held_out_log_weight[rows, source]),
                    sample_weight=(
                        None if sample_weight is None else sample_weight[rows]
                    ),
                )
            )
            name = type(self).__name__
            if target > 1:
                name = f"{name} (source {self.classes_.tolist()[source]!r})"
            warn_if_poor_overlap(diagnostics[-1], name)
        self.overlap_ = self._overlap_attribute(diagnostics)

    def _fit_classifier(
        self,
        X,
        y_encoded,
        sample_weight,
        weights_given,
        classifier,
        fit_params,
        calibration=None,
    ):
        # Diagnostics of an earlier fit do not describe this one.
        vars(self).pop("overlap_", None)
        method = self._calibration_method()
        if method is not None and calibration is None:
            # Calibrate on held-out log-odds of CALIBRATION_FOLDS folds, which
            # also give the overlap diagnostics at no extra cost. Calibration
            # is of a two-domain classifier: one column.
            folds = self._cross_fitting_folds(X, y_encoded, CALIBRATION_FOLDS)
            log_prior, log_odds = self._held_out_log_odds(
                X, y_encoded, sample_weight, classifier, fit_params, folds
            )
            calibration = fit_calibration(
                log_prior[:, 0], log_odds[:, 0], y_encoded, sample_weight, method
            )
            self._record_overlap(
                y_encoded,
                as_columns(
                    calibrated_log_weight(calibration, log_prior[:, 0], log_odds[:, 0])
                ),
                sample_weight if weights_given else None,
            )
        self.classifier_ = clone(classifier).fit(X, y_encoded, **fit_params)
        check_fitted_on_domain_labels(self.classifier_, y_encoded)
        fitted_prior_ratios = prior_ratios(
            self._ratio_options()["prior_ratio"],
            y_encoded,
            sample_weight,
            self.classifier_,
        )
        self._record_prior_ratios(fitted_prior_ratios)
        if method is not None:
            # predict_log_weight computes log prior_ratio_ + scale * s + shift:
            # the shift that makes it calibrated_log_weight of the final fit.
            scale, shift, self.log_odds_bounds_, log_count_ratio = calibration
            shift += (1.0 - scale) * (log_count_ratio - np.log(fitted_prior_ratios[0]))
            self.log_odds_scaling_ = (scale, float(shift))
        else:
            # A refit without calibration must not keep an earlier one.
            vars(self).pop("log_odds_scaling_", None)
            vars(self).pop("log_odds_bounds_", None)
        self._fitted_hook(X, y_encoded, sample_weight, weights_given)
        return self

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the domain classifier and the prior ratio.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of the source(s) and the target, e.g. from
            :func:`skratio.stack_domains`.
        y : array-like of shape (n_samples,)
            Domain labels: 0/1, -1/1 or False/True (the larger marks the
            target, the numerator of the ratio), or any labels with
            ``target_label`` saying which is the target. Exactly two, unless
            the estimator takes several sources (:class:`MultiSourceRatio`),
            whose every label but the target is a source.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, used for the prior ratio and passed to the classifier.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit_classifier(*self._validate_fit_data(X, y, sample_weight))

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_predict_weight(self, X, y, sample_weight=None, *, cv=None):
        """Out-of-fold weights by cross-fitting, then fit on all rows.

        Each row's weight comes from a classifier that did not see that row,
        which avoids the optimistic (overfitted) weights of in-sample
        prediction. Afterwards the estimator is fitted on all rows as by
        :meth:`fit`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of the source(s) and the target.
        y : array-like of shape (n_samples,)
            Domain labels, as in :meth:`fit`.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, as in :meth:`fit`.
        cv : int, cross-validation generator or iterable, default=None
            The cross-fitting folds for this call; ``None`` uses the
            estimator's own. An int means a shuffled
            :class:`~sklearn.model_selection.StratifiedKFold` (stratified by
            domain) seeded by the estimator's ``random_state``. Meta-estimators
            pass their folds here.

        Returns
        -------
        weights : ndarray of shape (n_samples,)
            Out-of-fold weights ``p_1 / p_0`` of every row, post-processed with
            ``power`` and ``clip``. With several sources
            (:class:`MultiSourceRatio`), a source row's weight is its own
            source's ratio and a target row's is exactly 1.

        Warns
        -----
        WeightCollapseWarning
            When the effective sample size of a source's rows' weights is below
            10% of their number.
        PoorOverlapWarning
            When the held-out diagnostics (``overlap_``) show that the samples
            barely overlap or that the source weights do not average to 1.
        """
        X, y_encoded, sample_weight, weights_given, classifier, fit_params = (
            self._validate_fit_data(X, y, sample_weight)
        )
        cv = self._cross_fitting_options()["cv"] if cv is None else cv
        folds = self._cross_fitting_folds(X, y_encoded, cv)
        method = self._calibration_method()
        if method is not None:
            # Each fold's rows get the calibrated ensemble of ENSEMBLE_FOLDS
            # models of its training part; the final classifier a calibration
            # fitted on all those models' held-out log-odds. Calibration is of
            # a two-domain classifier: one column.
            log_weight_raw, calibration = self._ensembled_held_out_log_weight(
                X, y_encoded, sample_weight, classifier, fit_params, folds, method
            )
            log_weight_raw = as_columns(log_weight_raw)
        else:
            log_prior, log_odds = self._held_out_log_odds(
                X, y_encoded, sample_weight, classifier, fit_params, folds
            )
            log_weight_raw, calibration = log_prior + log_odds, None
        self._fit_classifier(
            X,
            y_encoded,
            sample_weight,
            weights_given,
            classifier,
            fit_params,
            calibration,
        )
        weight_options = self._ratio_options()
        log_weight = postprocess_log_weight(
            log_weight_raw.copy(), weight_options["power"], weight_options["clip"]
        )
        weights = np.exp(self._row_log_weight(log_weight, y_encoded))
        # Only the source rows are reweighted (biased data, model samples), so
        # their effective sample size is the one that matters, per source.
        for source in range(log_weight.shape[1]):
            warn_if_weights_collapse(weights[y_encoded == source])
        self._record_overlap(
            y_encoded, log_weight_raw, sample_weight if weights_given else None
        )
        return weights

    # ----------------------------------------------------------- prediction
    def _predict_lazily(self, method, X, source):
        """``method(X, source=source)`` chunk by chunk on a dask collection."""
        check_is_fitted(self)
        if self._source_column(source) is None:
            raise ValueError(
                "A dask collection is weighed one source at a time: pass "
                f"source= one of {self.classes_[:-1].tolist()}."
            )
        return predict_lazily(partial(method, source=source), X)

    def predict_log_weight(self, X, source=None):
        """Log density ratio ``log p_target(x) - log p_source(x)``, post-processed.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to weigh.
        source : label, default=None
            The source whose ratio to give, one of ``classes_[:-1]``. ``None``:
            the only source of a two-domain estimator; every source's, one
            column each, for :class:`MultiSourceRatio`.

        Returns
        -------
        log_weight : ndarray of shape (n_samples,) or (n_samples, K)
            ``power * (log prior_ratio_ + logit c(x))``, clipped to ``clip``;
            finite (``-inf`` only for a lower ``clip`` bound of 0, which no
            positive weight reaches). Rows are weighed in chunks, so the
            classifier's intermediate arrays stay of bounded size. For a dask
            array or DataFrame, a lazy dask array or Series computed chunk by
            chunk (partition by partition), of one source.
        """
        if is_dask_collection(X):
            return self._predict_lazily(self.predict_log_weight, X, source)
        X = self._validate_X_predict(X)
        column = self._source_column(source)
        options = self._ratio_options()
        log_prior = np.log(self._fitted_prior_ratios())
        log_weight = np.empty((X.shape[0], log_prior.shape[0]))
        for start in range(0, X.shape[0], PREDICT_CHUNK_ROWS):
            rows = slice(start, start + PREDICT_CHUNK_ROWS)
            # X was checked for NaN and infinity above (as the classifier's
            # tags allow): the classifier need not scan every chunk again.
            with config_context(assume_finite=True):
                chunk = self._calibrated_log_odds(X[rows])
            chunk += log_prior
            log_weight[rows] = postprocess_log_weight(
                chunk, options["power"], options["clip"]
            )
        return log_weight if column is None else log_weight[:, column]

    def predict_weight(self, X, source=None):
        """Density ratio ``w(x) = p_target(x) / p_source(x)`` after post-processing.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to weigh.
        source : label, default=None
            The source whose ratio to give, as in :meth:`predict_log_weight`.

        Returns
        -------
        weight : ndarray of shape (n_samples,) or (n_samples, K)
            Positive, finite weights ``exp(predict_log_weight(X, source))``;
            lazy for a dask array or DataFrame, as in
            :meth:`predict_log_weight`.
        """
        if is_dask_collection(X):
            return self._predict_lazily(self.predict_weight, X, source)
        log_weight = self.predict_log_weight(X, source=source)
        return np.exp(log_weight, out=log_weight)

    def predict_proba(self, X):
        """Domain probabilities of the fitted classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_`` (the target last): ``P(source | x)``,
            ``P(target | x)`` for two domains.
        """
        X = self._validate_X_predict(X)
        if self._log_odds_scaling() == IDENTITY:
            return self.classifier_.predict_proba(X)
        log_odds = self._calibrated_log_odds(X)
        return np.column_stack([expit(-log_odds), expit(log_odds)])

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

        The mean log-likelihood of the domain labels (Choi et al. 2020, Eq. 6;
        its multinomial form for several sources), so that
        :class:`~sklearn.model_selection.GridSearchCV` ranks domain
        classifiers by how good a density ratio they give.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Held-out rows of the domains.
        y : array-like of shape (n_samples,)
            Their domain labels, values from ``classes_``.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
            ``mean(log c_{y_i}(x_i))``, at most 0.
        """
        log_proba = self._domain_log_proba(X)
        y = np.asarray(y).reshape(-1)
        # Refuses labels not seen in fit.
        encode_domain_labels(y, self.classes_)
        positions = np.argmax(y[:, np.newaxis] == self.classes_, axis=1)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, y, dtype=np.float64, ensure_non_negative=True
            )
        return float(
            np.average(
                log_proba[np.arange(y.shape[0]), positions], weights=sample_weight
            )
        )
