"""Downstream models trained with out-of-fold importance weights."""

import warnings
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.metrics import check_scoring
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    check_random_state,
    column_or_1d,
    has_fit_parameter,
    validate_data,
)

from ._compat import (
    HasMethods,
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    _safe_indexing,
)
from ._domains import TARGET, check_ratio_target, fold_hint, unlabeled_mask
from ._protocol import RATIO_ESTIMATOR, derive_seed, domain_folds, seed_unseeded
from ._ratio import DensityRatioEstimator
from ._validation import check_weight_values
from ._weights import check_clip, flattened_weights, warn_if_weights_collapse
from .exceptions import WeightCollapseWarning

#: Flattening exponents tried by ``power="auto"``.
AUTO_POWERS = (0.0, 0.25, 0.5, 0.75, 1.0)


def _estimator_has(attribute):
    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attribute)
        return hasattr(self.estimator, attribute)

    return check


class ReweightedEstimator(MetaEstimatorMixin, BaseEstimator):
    """Fit a regressor or classifier on source rows reweighted toward a target.

    Covariate shift: labelled rows come from a source distribution ``p_s(x)``,
    the model will be used on a target distribution ``p_t(x)`` of which only
    unlabelled rows are available, and ``p(y | x)`` is the same in both. The
    target risk is the source risk weighted by ``w(x) = p_t(x) / p_s(x)``
    (Shimodaira, 2000), so one :meth:`fit`

    1. estimates ``w`` on the source rows **out of fold** with
       ``ratio_estimator.fit_predict_weight`` (domain ``1`` = unlabelled
       target rows, ``0`` = labelled source rows): a row's weight never comes
       from a domain classifier that saw it;
    2. flattens and clips the weights (``w ** power``, ``clip``), rescales
       them to mean 1 over the source rows, and
    3. fits ``estimator`` on the labelled rows with those ``sample_weight``.

    **How the target rows come in.** Labelled source rows and unlabelled
    target rows are stacked in one ``X``; ``y`` marks the target rows as
    unlabelled (``NaN`` in a float ``y``, ``-1`` otherwise, scikit-learn's
    semi-supervised convention; see ``unlabeled``). Rows and their marks
    travel together through every splitter, so the estimator works in a
    :class:`~sklearn.pipeline.Pipeline` (transformers see both domains, as
    a shared preprocessing should), :class:`~sklearn.model_selection.GridSearchCV`
    and :func:`~sklearn.model_selection.cross_validate` without metadata
    routing and without changing scikit-learn's global configuration (a
    domain column passed as metadata, as in skada, needs routing switched on
    globally). Score candidates with
    :func:`skratio.model_selection.importance_weighted_scorer` and split with
    :class:`skratio.model_selection.LabeledKFold` (importance-weighted
    cross-validation).

    Parameters
    ----------
    estimator : estimator with ``fit(X, y, sample_weight=...)``
        The downstream regressor or classifier.
    ratio_estimator : ratio estimator, default=None
        Estimates ``w = p_target / p_source`` from domain labels ``0``
        (source) and ``1`` (target): a ratio estimator of skratio, or any
        estimator with their ``fit``, ``fit_predict_weight(..., cv=...)``,
        ``predict_log_weight`` and ``predict_weight``. ``None`` means
        :class:`skratio.DensityRatioEstimator` with its defaults. Its own
        ``power`` and ``clip`` apply first; keep them at their defaults and
        use this estimator's ``power`` and ``clip``, which shape the training
        weights only, so that :meth:`predict_weight` (and hence
        importance-weighted scoring) sees the plain ratio.
    power : float in [0, 1] or "auto", default=1.0
        Flattening exponent of the training weights, ``w ** power``: ``0`` is
        unweighted training, ``1`` the plain ratio, in between trades the bias
        of ignoring the shift for the variance of heavy weights (Shimodaira,
        2000). ``"auto"`` picks it among ``(0, 0.25, 0.5, 0.75, 1)`` by
        importance-weighted cross-validation on the source rows (Sugiyama et
        al., 2007): each candidate is fitted on ``cv`` training folds and
        scored on the held-out source rows with ``scoring`` weighted by the
        out-of-fold ratio; the chosen exponent is ``power_``.
    clip : float or (float, float), default=None
        Bounds for the flattened weights (before rescaling to mean 1): an
        upper bound or a ``(lower, upper)`` pair. ``None`` clips nothing.
    cv : int, cross-validation generator or iterable, default=5
        Folds of the out-of-fold weights (stratified by domain when an int)
        and, with ``power="auto"``, of the selection over source rows.
    scoring : str or callable, default=None
        Scorer used by ``power="auto"`` (higher is better). ``None`` means the
        log-loss (``"neg_log_loss"``) for a classifier with ``predict_proba``
        and the estimator's ``score`` otherwise (R² for a regressor, which
        ranks candidates as the weighted squared error does). A classifier's
        ``score``, its accuracy, changes only where a prediction flips, so it
        cannot see most of what flattening changes in the probabilities.
        Unused for a numeric ``power``.
    unlabeled : "auto" or scalar, default="auto"
        Value of ``y`` marking unlabelled target rows: ``"auto"`` means
        ``NaN`` in a float ``y`` and ``-1`` in an integer or object ``y``.
        Use ``NaN`` for regression targets, another value (e.g. a string) to
        match your labels.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds when ``cv`` is an int.

    Attributes
    ----------
    estimator_ : estimator
        The downstream estimator fitted on the weighted source rows.
    ratio_estimator_ : estimator
        The ratio estimator fitted on all rows (source = 0, target = 1).
    weights_ : ndarray of shape (n_source,)
        The training weights of the source rows (out of fold, flattened,
        clipped, mean 1, times ``sample_weight``), in row order.
    power_ : float
        The flattening exponent used (chosen when ``power="auto"``).
    cv_scores_ : dict
        With ``power="auto"``, the mean importance-weighted score of each
        candidate exponent; empty otherwise.
    classes_ : ndarray
        The class labels, for a classifier.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.

    See Also
    --------
    skratio.model_selection.importance_weighted_scorer : Score by the
        importance-weighted loss on source rows.
    skratio.model_selection.LabeledKFold : Folds of labelled rows, target
        rows always in training.

    References
    ----------
    H. Shimodaira, "Improving predictive inference under covariate shift by
    weighting the log-likelihood function", J. Statist. Plann. Inference, 2000.

    M. Sugiyama, M. Krauledat and K.-R. Müller, "Covariate shift adaptation by
    importance weighted cross validation", JMLR 8, 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from skratio import ReweightedEstimator
    >>> rng = np.random.default_rng(0)
    >>> X_source = rng.normal(0.0, 1.0, size=(400, 1))
    >>> X_target = rng.normal(1.0, 1.0, size=(200, 1))
    >>> y_source = X_source[:, 0] ** 2 + 0.5 * rng.normal(size=400)
    >>> X = np.vstack([X_source, X_target])
    >>> y = np.concatenate([y_source, np.full(200, np.nan)])  # NaN = unlabelled
    >>> model = ReweightedEstimator(LinearRegression(), random_state=0).fit(X, y)
    >>> model.weights_.shape
    (400,)
    >>> truth = X_target[:, 0] ** 2
    >>> plain = LinearRegression().fit(X_source, y_source)
    >>> bool(np.mean((model.predict(X_target) - truth) ** 2)
    ...      < np.mean((plain.predict(X_target) - truth) ** 2))
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"])],
        "ratio_estimator": [RATIO_ESTIMATOR, None],
        "power": [Interval(Real, 0, 1, closed="both"), StrOptions({"auto"})],
        "clip": [Interval(Real, 0, None, closed="neither"), tuple, list, None],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "unlabeled": "no_validation",
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator,
        ratio_estimator=None,
        *,
        power=1.0,
        clip=None,
        cv=5,
        scoring=None,
        unlabeled="auto",
        random_state=None,
    ):
        self.estimator = estimator
        self.ratio_estimator = ratio_estimator
        self.power = power
        self.clip = clip
        self.cv = cv
        self.scoring = scoring
        self.unlabeled = unlabeled
        self.random_state = random_state

    def _get_ratio_estimator(self):
        if self.ratio_estimator is None:
            return DensityRatioEstimator()
        return self.ratio_estimator

    def _check_y(self, X, y):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None: give the labels of the source rows, with the unlabelled "
                "target rows marked (NaN or -1, see 'unlabeled')."
            )
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        is_target = unlabeled_mask(y, self.unlabeled)
        self._check_marks(y, is_target)
        n_target = int(is_target.sum())
        if n_target == 0:
            raise ValueError(
                f"{type(self).__name__} needs unlabelled target rows in X, marked "
                f"in y with unlabeled={self.unlabeled!r} (NaN in a float y, -1 "
                "otherwise), but y has none. "
                + fold_hint("skratio.model_selection.LabeledKFold(5, shuffle=True)")
            )
        if n_target == y.shape[0]:
            raise ValueError(
                f"{type(self).__name__} needs labelled source rows to train "
                "the estimator, but every row of y is marked unlabelled "
                f"(unlabeled={self.unlabeled!r}). "
                + fold_hint("skratio.model_selection.LabeledKFold(5, shuffle=True)")
            )
        return y, is_target

    def _check_marks(self, y, is_target):
        """Refuse marks of unlabelled rows that ``unlabeled`` reads otherwise.

        ``"auto"`` marks ``-1`` in a non-float ``y``: ``NaN`` marks in an object
        ``y`` would be trained on as a label, and a ``y`` whose classes are
        ``-1`` and ``1`` would lose a class to the target rows.
        """
        if not (isinstance(self.unlabeled, str) and self.unlabeled == "auto"):
            return
        if y.dtype.kind == "f":
            return
        labelled = y[~is_target]
        if y.dtype == object and unlabeled_mask(labelled, np.nan).any():
            raise ValueError(
                "y is an object array with NaN values, but with unlabeled='auto' "
                "only -1 marks unlabelled rows of a non-float y, so the NaN rows "
                "would be trained on as labelled rows. If NaN marks the target "
                "rows, pass unlabeled=np.nan (then -1 is an ordinary label)."
            )
        if is_target.any() and labelled.size and np.unique(labelled).shape[0] == 1:
            raise ValueError(
                f"With unlabeled='auto', -1 marks the unlabelled target rows of a "
                f"non-float y, so the {int(is_target.sum())} rows labelled -1 were "
                "taken as target rows and the labelled rows keep one value, "
                f"{labelled[:1].tolist()[0]!r}. If -1 is a class label, mark the "
                "target rows with another value and pass it as unlabeled= (e.g. "
                "NaN in a float or object y with unlabeled=np.nan)."
            )

    def _oof_weights(self, X, domain, sample_weight, rng):
        """Out-of-fold ratio for every row, through public methods only."""
        ratio_estimator = check_ratio_target(
            self._get_ratio_estimator(),
            TARGET,
            f"{type(self).__name__}, which fits it on domain labels 0 (labelled "
            "source rows) and 1 (unlabelled target rows)",
        )
        folds = domain_folds(self.cv, domain, derive_seed(rng))
        ratio_estimator = seed_unseeded(ratio_estimator, rng)
        with warnings.catch_warnings():
            # The ratio estimator warns about the plain ratio; fit warns once
            # about the training weights (after power and clip) instead.
            warnings.simplefilter("ignore", WeightCollapseWarning)
            weights = ratio_estimator.fit_predict_weight(
                X, domain, sample_weight=sample_weight, cv=folds
            )
        fitted_target = getattr(ratio_estimator, "classes_", [TARGET])[-1]
        if fitted_target != TARGET:
            raise ValueError(
                f"The ratio estimator {type(ratio_estimator).__name__} took "
                f"{fitted_target!r} as the target of the domain labels (1 = "
                "unlabelled target rows): its weights would be inverted. Leave "
                "its target_label at None."
            )
        weights = check_weight_values(
            weights,
            f"{type(ratio_estimator).__name__}.fit_predict_weight",
            n_rows=domain.shape[0],
        )
        return ratio_estimator, weights

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Estimate out-of-fold weights and fit the weighted estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Labelled source rows and unlabelled target rows, stacked.
        y : array-like of shape (n_samples,)
            Labels of the source rows; target rows marked as unlabelled
            (``NaN`` in a float ``y``, ``-1`` otherwise; see ``unlabeled``).
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights: passed to the ratio estimator and multiplied into the
            training weights of the source rows.

        Returns
        -------
        self : ReweightedEstimator
            The fitted estimator.
        """
        if self.clip is not None:
            check_clip(self.clip)
        validate_data(self, X, skip_check_array=True)
        y, is_target = self._check_y(X, y)
        if not has_fit_parameter(self.estimator, "sample_weight"):
            raise TypeError(
                f"The estimator {type(self.estimator).__name__} does not accept "
                "sample_weight in fit, so it cannot be trained with importance "
                "weights. For a Pipeline, put the ReweightedEstimator last "
                "(Pipeline([..., ('model', ReweightedEstimator(estimator))]))."
            )
        given = sample_weight is not None
        user_weight = _check_sample_weight(
            sample_weight,
            np.empty((y.shape[0], 0)),
            dtype=np.float64,
            ensure_non_negative=True,
        )
        rng = check_random_state(self.random_state)
        domain = is_target.astype(int)
        self.ratio_estimator_, ratio = self._oof_weights(
            X, domain, user_weight if given else None, rng
        )
        source = np.flatnonzero(~is_target)
        X_source = _safe_indexing(X, source)
        y_source = y[source]
        if y_source.dtype == object and self._is_regression():
            y_source = y_source.astype(np.float64)
        elif y_source.dtype == object and all(isinstance(v, Real) for v in y_source):
            # Numbers in an object y (one that held NaN marks): scikit-learn
            # classifiers take an object array only of strings.
            y_source = np.asarray(y_source.tolist())
        ratio_source = ratio[source]
        self.cv_scores_ = {}
        if self.power == "auto":
            self.power_ = self._select_power(
                X_source, y_source, ratio_source, user_weight[source], rng
            )
        else:
            self.power_ = float(self.power)
        weights = (
            flattened_weights(ratio_source, self.power_, self.clip)
            * user_weight[source]
        )
        if not np.any(weights > 0):
            raise ValueError(
                "Every source row has a zero training weight: check clip and "
                "sample_weight."
            )
        self.weights_ = weights / weights.mean()
        warn_if_weights_collapse(self.weights_)
        self.estimator_ = clone(self.estimator).fit(
            X_source, y_source, sample_weight=self.weights_
        )
        return self

    def _power_scoring(self):
        """``scoring``, or the log-loss for a probabilistic classifier."""
        if self.scoring is None and (
            get_tags(self.estimator).estimator_type == "classifier"
            and hasattr(self.estimator, "predict_proba")
        ):
            return "neg_log_loss"
        return self.scoring

    def _is_regression(self):
        return get_tags(self.estimator).estimator_type == "regressor"

    def _select_power(self, X, y, ratio, user_weight, rng):
        """Importance-weighted CV over source rows (Sugiyama et al., 2007)."""
        splitter = domain_folds(
            self.cv, y, derive_seed(rng), stratify=not self._is_regression()
        )
        scorer = check_scoring(self.estimator, scoring=self._power_scoring())
        folds = list(splitter.split(X, y))
        scores = {power: [] for power in AUTO_POWERS}
        # The validation rows are weighted by the plain ratio (power 1): that
        # weighted loss estimates the target loss whatever the candidate.
        validation_weight = ratio * user_weight
        for train, test in folds:
            for power in AUTO_POWERS:
                weights = (
                    flattened_weights(ratio[train], power, self.clip)
                    * user_weight[train]
                )
                model = clone(self.estimator).fit(
                    _safe_indexing(X, train),
                    y[train],
                    sample_weight=weights / weights.mean(),
                )
                scores[power].append(
                    scorer(
                        model,
                        _safe_indexing(X, test),
                        y[test],
                        sample_weight=validation_weight[test],
                    )
                )
        self.cv_scores_ = {power: float(np.mean(s)) for power, s in scores.items()}
        return max(AUTO_POWERS, key=lambda power: self.cv_scores_[power])

    def predict_weight(self, X):
        """Importance weights ``p_target / p_source`` of rows of ``X``.

        These come from the ratio estimator fitted on all rows, before this
        estimator's ``power`` and ``clip``: the weights importance-weighted
        scoring needs.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows to weigh.

        Returns
        -------
        weights : ndarray of shape (n_samples,)
            ``w(x) = p_target(x) / p_source(x)``.
        """
        check_is_fitted(self)
        validate_data(self, X, skip_check_array=True, reset=False)
        return self.ratio_estimator_.predict_weight(X)

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """Predict with the reweighted estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The estimator's predictions.
        """
        check_is_fitted(self)
        validate_data(self, X, skip_check_array=True, reset=False)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the reweighted classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The classifier's probabilities, columns in ``classes_`` order.
        """
        check_is_fitted(self)
        validate_data(self, X, skip_check_array=True, reset=False)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the reweighted classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            The classifier's log-probabilities.
        """
        check_is_fitted(self)
        validate_data(self, X, skip_check_array=True, reset=False)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the reweighted classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows to evaluate.

        Returns
        -------
        scores : ndarray
            The classifier's decision function.
        """
        check_is_fitted(self)
        validate_data(self, X, skip_check_array=True, reset=False)
        return self.estimator_.decision_function(X)

    @available_if(_estimator_has("score"))
    def score(self, X, y, sample_weight=None):
        """The estimator's plain score on the labelled rows of ``X``.

        Unlabelled rows (marked as in :meth:`fit`) are left out. This is the
        score on the rows given, not an estimate of the target score: for
        model selection under covariate shift use
        :func:`skratio.model_selection.importance_weighted_scorer`.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows to score.
        y : array-like of shape (n_samples,)
            Their labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
            The estimator's ``score`` (R² for regressors, accuracy for
            classifiers) on the labelled rows.
        """
        check_is_fitted(self)
        y = column_or_1d(y)
        labelled = np.flatnonzero(~unlabeled_mask(y, self.unlabeled))
        if labelled.size == 0:
            raise ValueError(
                "score needs labelled rows, but every row is unlabelled. "
                + fold_hint("skratio.model_selection.LabeledKFold(5, shuffle=True)")
            )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, y)[labelled]
        y_labelled = y[labelled]
        if y_labelled.dtype == object and self._is_regression():
            y_labelled = y_labelled.astype(np.float64)
        return self.estimator_.score(
            _safe_indexing(X, labelled), y_labelled, sample_weight=sample_weight
        )

    @property
    def classes_(self):
        """Class labels of the fitted classifier."""
        check_is_fitted(self)
        return self.estimator_.classes_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.target_tags.required = True
        tags.input_tags.sparse = inner.input_tags.sparse
        return tags
