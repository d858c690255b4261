"""The ratio-estimator protocol, stated once.

A ratio estimator turns a probabilistic domain classifier ``c(x) = P(y=1 | x)``
into density ratios ``w(x) = p_1(x) / p_0(x)``. :class:`BaseRatioEstimator`
holds every public method (``fit``, ``fit_predict_weight``,
``predict_log_weight``, ``predict_weight``, ``predict_proba``, ``predict``,
``score``); each validates its input once and calls a few small hooks that the
leaves (:class:`~skratio.DensityRatioEstimator`,
:class:`~skratio.CalibratedRatio`) define:

``_domain_classifier(sparse_input)``
    The unfitted classifier to fit on 0/1 domain labels.
``_classifier_fit_params(sample_weight)``
    The keyword arguments of that classifier's ``fit`` (routed weights).
``_ratio_options()``
    ``power``, ``clip``, ``prior_ratio`` and ``target_label``.
``_cross_fitting_options()``
    ``cv``, ``random_state`` and ``n_jobs`` of :meth:`fit_predict_weight`.
``_fitted_hook(X, y_encoded, sample_weight, weights_given)``
    Optional: extra fitted attributes (e.g. calibration diagnostics).
``_encode_labels(y)``
    Optional: ``(classes_, y_encoded)``; the two-domain rule by default.
``_log_odds(classifier, X)``
    Optional: the log-odds of a fitted classifier; by default
    :func:`~skratio._weights.domain_log_odds`, bounded by the range of
    floating-point probabilities.
``_calibration_method()``
    Optional: ``"sigmoid"`` or ``"temperature"`` to calibrate the log-odds on
    held-out rows (:mod:`skratio._scaling`), ``None`` (the default) not to.

Every estimator records held-out overlap diagnostics (``overlap_``) in
:meth:`~BaseRatioEstimator.fit_predict_weight` and warns with
:class:`~skratio.PoorOverlapWarning` when they show the samples barely overlap.

The arithmetic of the weights (prior correction, flattening, clipping) lives in
module-level functions of :mod:`skratio._weights`.
"""

from abc import ABCMeta, abstractmethod
from numbers import Integral

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import process_routing
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from ._compat import _check_sample_weight, _fit_context, _routing_enabled
from ._dask import is_dask_collection, predict_lazily
from ._diagnostics import warn_if_poor_overlap
from ._domains import SOURCE, TARGET, check_domain_labels, encode_domain_labels
from ._scaling import (
    IDENTITY,
    fit_log_odds_scaling,
    replace_saturated,
    saturation_bounds,
)
from ._validation import check_class_weight_labels, check_no_text_columns
from ._weights import (
    check_no_resampling,
    domain_log_odds,
    postprocess_log_weight,
    prior_ratio_from_counts,
    warn_if_weights_collapse,
)
from .metrics import negative_cross_entropy, overlap_diagnostics

# Rows weighed at once by predict_log_weight: the classifier's intermediate
# arrays (a pipeline's scaled copy of X, the probabilities) then take a bounded
# amount of memory however many rows are predicted, and a chunk of 2**16 rows
# of a few dozen features stays in the CPU cache's reach.
PREDICT_CHUNK_ROWS = 2**16

# Folds of the held-out log-odds that ``fit`` calibrates on. Two folds fit the
# classifier twice on half the rows, about the cost of one more fit on all of
# them, and give every row a held-out log-odds; fit_predict_weight calibrates
# on its own cross-fitting folds instead, at no extra cost.
CALIBRATION_FOLDS = 2


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


def route_sample_weight(router, classifier, sample_weight):
    """The ``fit`` keyword arguments that give ``sample_weight`` to ``classifier``.

    With metadata routing enabled, the weights go where the classifier
    requested them, through ``router`` (an object whose
    ``get_metadata_routing`` names the classifier ``"classifier"``). Otherwise
    they are passed plainly to every step that takes them; a classifier that
    cannot take them is a TypeError. ``None`` sends nothing.
    """
    if _routing_enabled():
        return process_routing(
            router, "fit", sample_weight=sample_weight
        ).classifier.fit
    if sample_weight is None:
        return {}
    keys = _sample_weight_keys(classifier)
    if keys is None:
        raise TypeError(
            f"The classifier {type(classifier).__name__} does not accept "
            "sample_weight in fit. Use a classifier that does, or enable "
            "metadata routing (sklearn.set_config(enable_metadata_routing=True)) "
            "and request it with set_fit_request(sample_weight=True)."
        )
    return dict.fromkeys(keys, sample_weight)


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


def _fold_log_odds(
    classifier,
    X,
    y_encoded,
    sample_weight,
    fit_params,
    train,
    test,
    prior_ratio,
    log_odds,
):
    """Fit a clone on ``train``: ``(log gamma, log-odds of the test rows)``."""
    classifier = clone(classifier)
    classifier.fit(
        X[train], y_encoded[train], **index_fit_params(fit_params, train, X.shape[0])
    )
    if prior_ratio is None:
        prior_ratio = prior_ratio_from_counts(
            y_encoded[train], sample_weight[train], classifier
        )
    return np.log(prior_ratio), log_odds(classifier, X[test])


def fit_calibration(log_prior, log_odds, y_encoded, sample_weight, method):
    """Calibration of held-out log-odds: ``(scale, shift, bounds, log_count_ratio)``.

    The classifier's log-odds carry its class weights and the prior it was
    trained under (hence the per-row ``log_prior``, from the prior ratio of the
    fold that held the row out), while the held-out labels carry the domains'
    actual proportions ``n_0 / n_1``. The calibration is therefore fitted to
    ``s + log_prior - log(n_0 / n_1)``, the log-odds of a classifier trained
    on the proportions as they are, and :func:`calibrated_log_weight` adds
    ``log(n_0 / n_1)`` back: the prior counts once. (Fitting the raw log-odds
    and adding ``log_prior`` afterwards counted a class weight of 10 twice:
    every weight 10 times too large or too small.) Saturated log-odds (a
    probability of exactly 0 or 1) are bounded first
    (:func:`~skratio._scaling.saturation_bounds`).
    """
    bounds = saturation_bounds(log_odds)
    log_count_ratio = np.log(prior_ratio_from_counts(y_encoded, sample_weight))
    scale, shift = fit_log_odds_scaling(
        replace_saturated(log_odds.copy(), bounds) + log_prior - log_count_ratio,
        y_encoded,
        sample_weight,
        method,
    )
    return scale, shift, bounds, log_count_ratio


def calibrated_log_weight(calibration, log_prior, log_odds):
    """Log-weights of held-out ``log_odds`` through a :func:`fit_calibration`."""
    scale, shift, bounds, log_count_ratio = calibration
    log_odds = replace_saturated(log_odds.copy(), bounds)
    return log_count_ratio + scale * (log_odds + log_prior - log_count_ratio) + shift


def _too_few_rows(estimator_name, y_encoded, n_folds, why):
    counts = np.bincount(y_encoded, minlength=2)
    return ValueError(
        f"{estimator_name} cannot cross-fit: {why}. The domains have "
        f"{counts[SOURCE]} source and {counts[TARGET]} target rows; each needs "
        f"rows in the training part of every fold ({n_folds}). Give more rows of the "
        "smaller domain, or fewer folds (cv=...); fit calibrates on 2 folds unless "
        "calibration=None."
    )


def check_folds_hold_both_domains(folds, y_encoded, estimator_name):
    """Refuse cross-fitting folds whose training rows miss a domain."""
    for position, (train, _) in enumerate(folds):
        if np.unique(y_encoded[train]).shape[0] < 2:
            raise _too_few_rows(
                estimator_name,
                y_encoded,
                len(folds),
                f"the training rows of fold {position} hold only one domain",
            )


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
    """Density ratios ``w(x) = p_1(x) / p_0(x)`` from a domain classifier.

    Not for direct use: the public methods of every ratio estimator, which
    validate their input once and call the hooks listed in the module
    docstring.
    """

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _domain_classifier(self, sparse_input=False):
        """The unfitted classifier to fit on 0/1 domain labels."""

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

    def _log_odds_scaling(self):
        """The fitted ``(scale, shift)`` of the log-odds; the identity if none."""
        return getattr(self, "log_odds_scaling_", IDENTITY)

    def _calibrated_log_odds(self, X):
        """Log-odds of the fitted classifier, through the fitted calibration."""
        log_odds = self._log_odds(self.classifier_, X)
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
        """``(log gamma, log-odds)`` of every row from the fold that held it out."""
        prior_ratio = self._ratio_options()["prior_ratio"]
        raw = Parallel(n_jobs=self._cross_fitting_options()["n_jobs"])(
            delayed(_fold_log_odds)(
                classifier,
                X,
                y_encoded,
                sample_weight,
                fit_params,
                train,
                test,
                prior_ratio,
                self._log_odds,
            )
            for train, test in folds
        )
        log_prior, log_odds = np.empty(X.shape[0]), np.empty(X.shape[0])
        for (_, test), (fold_log_prior, fold_log_odds) in zip(folds, raw):
            log_prior[test] = fold_log_prior
            log_odds[test] = fold_log_odds
        return log_prior, log_odds

    def _cross_fitting_folds(self, X, y_encoded, cv):
        """The folds of ``cv`` (an int: shuffled, stratified, seeded), checked."""
        if isinstance(cv, Integral):
            # A domain of one row leaves the training rows of its fold without
            # it (scikit-learn's splitter would stop with a vaguer message).
            if np.bincount(y_encoded, minlength=2).min() < 2:
                raise _too_few_rows(
                    type(self).__name__, y_encoded, cv, "a domain has a single row"
                )
            cv = StratifiedKFold(
                cv,
                shuffle=True,
                random_state=self._cross_fitting_options()["random_state"],
            )
        folds = list(check_cv(cv, y_encoded, classifier=True).split(X, y_encoded))
        check_folds_hold_both_domains(folds, y_encoded, type(self).__name__)
        return folds

    def _record_overlap(self, y_encoded, held_out_log_weight, sample_weight):
        """Set ``overlap_`` from held-out log-weights; warn if they show poor overlap.

        The diagnostics judge the ratio itself, before flattening and clipping.
        """
        self.overlap_ = overlap_diagnostics(
            y_encoded, np.exp(held_out_log_weight), sample_weight=sample_weight
        )
        warn_if_poor_overlap(self.overlap_, type(self).__name__)

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
            # also give the overlap diagnostics at no extra cost.
            folds = self._cross_fitting_folds(X, y_encoded, CALIBRATION_FOLDS)
            log_prior, log_odds = self._held_out_log_odds(
                X, y_encoded, sample_weight, classifier, fit_params, folds
            )
            calibration = fit_calibration(
                log_prior, log_odds, y_encoded, sample_weight, method
            )
            self._record_overlap(
                y_encoded,
                calibrated_log_weight(calibration, log_prior, log_odds),
                sample_weight if weights_given else None,
            )
        self.classifier_ = clone(classifier).fit(X, y_encoded, **fit_params)
        prior_ratio = self._ratio_options()["prior_ratio"]
        self.prior_ratio_ = (
            float(prior_ratio)
            if prior_ratio is not None
            else prior_ratio_from_counts(y_encoded, sample_weight, self.classifier_)
        )
        if method is not None:
            # predict_log_weight computes log prior_ratio_ + scale * s + shift:
            # the shift that makes it calibrated_log_weight of the final fit.
            scale, shift, self.log_odds_bounds_, log_count_ratio = calibration
            shift += (1.0 - scale) * (log_count_ratio - np.log(self.prior_ratio_))
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
            Rows of both domains, e.g. from :func:`skratio.stack_domains`.
        y : array-like of shape (n_samples,)
            Domain labels, exactly two values: 0/1, -1/1 or False/True (the
            larger marks the target, the numerator of the ratio), or any two
            labels with ``target_label`` saying which is the target.
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
            Rows of both domains.
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
            ``power`` and ``clip``.

        Warns
        -----
        WeightCollapseWarning
            When the effective sample size of the source rows' weights is below
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
        log_prior, log_odds = self._held_out_log_odds(
            X, y_encoded, sample_weight, classifier, fit_params, folds
        )
        method = self._calibration_method()
        calibration = None
        if method is not None:
            # Each fold's rows get a calibration fitted on the other folds'
            # held-out log-odds; the final classifier gets one fitted on all.
            log_weight_raw = np.empty(X.shape[0])
            for train, test in folds:
                fold_calibration = fit_calibration(
                    log_prior[train],
                    log_odds[train],
                    y_encoded[train],
                    sample_weight[train],
                    method,
                )
                log_weight_raw[test] = calibrated_log_weight(
                    fold_calibration, log_prior[test], log_odds[test]
                )
            calibration = fit_calibration(
                log_prior, log_odds, y_encoded, sample_weight, method
            )
        else:
            log_weight_raw = log_prior + log_odds
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
        weights = np.exp(
            postprocess_log_weight(
                log_weight_raw.copy(), weight_options["power"], weight_options["clip"]
            )
        )
        # Only the source rows are reweighted (biased data, model samples), so
        # their effective sample size is the one that matters.
        warn_if_weights_collapse(weights[y_encoded == SOURCE])
        self._record_overlap(
            y_encoded, log_weight_raw, sample_weight if weights_given else None
        )
        return weights

    # ----------------------------------------------------------- prediction
    def predict_log_weight(self, X):
        """Log density ratio ``log p_1(x) - log p_0(x)`` after post-processing.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to weigh.

        Returns
        -------
        log_weight : ndarray of shape (n_samples,) or dask collection
            ``power * (log prior_ratio_ + logit c(x))``, clipped to ``clip``;
            finite (``-inf`` only for a lower ``clip`` bound of 0, which no
            positive weight reaches). Rows are weighed in chunks, so the
            classifier's intermediate arrays stay of bounded size. For a dask
            array or DataFrame, a lazy dask array or Series computed chunk by
            chunk (partition by partition).
        """
        if is_dask_collection(X):
            return predict_lazily(self.predict_log_weight, X)
        X = self._validate_X_predict(X)
        options = self._ratio_options()
        log_prior = np.log(self.prior_ratio_)
        log_weight = np.empty(X.shape[0])
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
        return log_weight

    def predict_weight(self, X):
        """Density ratio ``w(x) = p_1(x) / p_0(x)`` after post-processing.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to weigh.

        Returns
        -------
        weight : ndarray of shape (n_samples,) or dask collection
            Positive, finite weights ``exp(predict_log_weight(X))``; lazy for a
            dask array or DataFrame, as in :meth:`predict_log_weight`.
        """
        if is_dask_collection(X):
            return predict_lazily(self.predict_weight, X)
        log_weight = self.predict_log_weight(X)
        return np.exp(log_weight, out=log_weight)

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
