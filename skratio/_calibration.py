"""Recalibrated domain classifiers: density ratios whose odds can be trusted."""

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import check_cv
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import (
    UNUSED,
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.validation import check_is_fitted

from ._base import BaseRatioEstimator, index_fit_params
from ._compat import StrOptions, _check_sample_weight, _routing_enabled
from ._domains import SOURCE, TARGET, check_ratio_target
from ._protocol import RATIO_ESTIMATOR
from ._ratio import DensityRatioEstimator
from ._validation import IntegerInterval
from ._weights import check_clip
from .metrics import expected_calibration_error

# The settings of a ratio estimator that act on its log-odds (its own
# calibration, flattening, clipping), at the values that leave them raw.
# CalibratedRatio fits the wrapped estimator with these values and applies its
# power and clip after its own calibration.
RAW_SETTINGS = {"calibration": None, "power": 1.0, "clip": None}

# The folds of fit_predict_weight when the wrapped estimator does not set them
# (DensityRatioEstimator's defaults).
CROSS_FITTING_DEFAULTS = {"cv": 5, "random_state": None, "n_jobs": None}


def _frozen_parts(estimator):
    """The frozen estimators (fitted already, never refitted) inside ``estimator``."""
    return [
        part
        for part in estimator.get_params(deep=True).values()
        if isinstance(part, FrozenEstimator)
    ]


class _LogOddsPredictMixin:
    """``predict`` from a binary ``decision_function`` that is a log-odds."""

    def predict(self, X):
        return self.classes_[(self.decision_function(X) > 0).astype(int)]


class _RatioLogOdds(
    _LogOddsPredictMixin, ClassifierMixin, MetaEstimatorMixin, BaseEstimator
):
    """A ratio estimator seen as a domain classifier whose decision is its log-odds.

    :class:`~sklearn.calibration.CalibratedClassifierCV` calibrates a
    classifier's ``decision_function`` when it has one. This adapter's ``fit``
    is the ratio estimator's ``fit`` (on the 0/1 domain labels, the row weights
    passed on) and its ``decision_function`` the log-odds of the classifier the
    ratio stands for, ``predict_log_weight(X) - log prior_ratio_``: only the
    ratio-estimator protocol is used. The ratio estimator must give raw
    log-weights (no calibration, flattening or clipping of its own), as
    :class:`CalibratedRatio` arranges.
    """

    # The ratio estimator always takes the weights: they set its prior ratio,
    # and it routes them on to its own classifier as that one requested.
    __metadata_request__fit = {"sample_weight": True}

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y, sample_weight=None):
        fit_params = {} if sample_weight is None else {"sample_weight": sample_weight}
        self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)
        self.classes_ = np.asarray(self.estimator_.classes_)
        # Fitted on 0/1 labels, the target must be 1: a ratio estimator that
        # took 0 as its target would give the inverse ratio.
        if self.classes_.tolist() != [SOURCE, TARGET]:
            raise ValueError(
                f"The ratio estimator {type(self.estimator).__name__}, fitted on "
                f"domain labels 0 (source) and 1 (target), has classes_ "
                f"{self.classes_.tolist()!r} (source first, target last): its "
                "weights would be inverted. Make label 1 its target (e.g. leave "
                "its target_label at None)."
            )
        return self

    def decision_function(self, X):
        check_is_fitted(self)
        return self.estimator_.predict_log_weight(X) - np.log(
            self.estimator_.prior_ratio_
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        estimator_tags = get_tags(self.estimator).input_tags
        tags.input_tags.sparse = estimator_tags.sparse
        tags.input_tags.allow_nan = estimator_tags.allow_nan
        return tags


class _LogOddsColumn(_LogOddsPredictMixin, ClassifierMixin, BaseEstimator):
    """A classifier whose input is a column of log-odds, returned unchanged.

    Lets :class:`~sklearn.calibration.CalibratedClassifierCV` fit its
    calibrators to log-odds computed beforehand (out of fold), for the held-out
    calibration error.
    """

    # The weights are for the calibrator; this classifier has nothing to fit.
    __metadata_request__fit = {"sample_weight": UNUSED}

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        return self

    def decision_function(self, X):
        return np.asarray(X)[:, 0]


class CalibratedRatio(BaseRatioEstimator):
    """Density ratio from a recalibrated domain classifier.

    A classifier's odds are a density ratio only if its probabilities are
    calibrated. This estimator recalibrates any ratio estimator (a
    :class:`DensityRatioEstimator`, :class:`TelescopingRatio`, ...) with
    scikit-learn's :class:`~sklearn.calibration.CalibratedClassifierCV`: the
    ratio estimator is seen as a domain classifier whose log-odds are
    ``logit c(x) = log w(x) - log gamma`` (its ``predict_log_weight`` and
    fitted ``prior_ratio_``), refitted on each calibration fold, and the
    weights get the prior correction of the calibration rows::

        log w_cal(x) = log gamma + logit c_cal(x),   gamma = n_0 / n_1,

    post-processed with the wrapped estimator's ``power`` and ``clip``.

    The calibration acts on the **log-odds** ``logit c(x)``, also for
    classifiers without a decision function (naive Bayes, forests, neural
    nets): a sigmoid of log-odds, ``sigmoid(a logit c(x) + b)``, can shrink the
    log-odds of an overconfident classifier, which a sigmoid of probabilities
    cannot. Calibrated probabilities of exactly 0 or 1 (isotonic regression)
    are clipped before the logit, so log-weights stay finite.

    Parameters
    ----------
    estimator : ratio estimator, default=None
        The ratio estimator to calibrate: any object with ``fit``,
        ``predict_log_weight``, ``predict_weight`` and ``fit_predict_weight``
        whose fitted ``classes_`` are ``[source, target]`` and ``prior_ratio_``
        is ``gamma``. ``None`` means ``DensityRatioEstimator()``. It is cloned,
        not modified, and refitted on every calibration fold. Its own settings
        among those that ratio estimators share are used as follows:

        - ``calibration`` (its own held-out calibration, on by default in
          :class:`DensityRatioEstimator`), ``power`` and ``clip`` are switched
          off in the clone (``None``, ``1.0``, ``None``), which must give the
          raw log-weights: calibrating twice would cost two more classifier
          fits per fold for nothing, and flattened or clipped log-odds would be
          undone by the calibration. Its ``power`` and ``clip`` are applied to
          the calibrated weights instead.
        - ``target_label`` says which label is the target, as in the wrapped
          estimator; the clone is fitted on the encoded 0/1 labels (with its
          ``target_label``, at any depth, set to 1).
        - ``cv``, ``random_state`` and ``n_jobs`` give the cross-fitting folds
          of :meth:`fit_predict_weight` (5 unseeded folds if absent).

        Its ``prior_ratio`` is not used: the calibrated probabilities follow
        the domain proportions of the calibration rows, whose count ratio is
        ``gamma``. To calibrate a classifier that is already fitted, on
        held-out rows passed to :meth:`fit`, wrap the classifier in
        :class:`~sklearn.frozen.FrozenEstimator`:
        ``CalibratedRatio(DensityRatioEstimator(FrozenEstimator(clf)))``;
        it must have been fitted on domain labels 0 and 1. A frozen ratio
        estimator is refused (it could not be refitted on the folds).
    method : {"sigmoid", "isotonic", "temperature"}, default="sigmoid"
        Calibration of the log-odds: Platt's sigmoid (``a logit c + b``),
        isotonic regression (any increasing map; needs more data), or
        temperature scaling (``logit c / T``; scikit-learn >= 1.8). The
        sigmoid and temperature assume the classifier's log-odds are an affine
        function of the true log-ratio, as for an overconfident naive Bayes or
        neural net. A random forest's probabilities of exactly 0 or 1 have
        log-odds at the clipping bound (about 36) and break that assumption:
        prefer ``"isotonic"`` for forests (see ``benchmarks/calibration.py``).
        Isotonic regression gives the most extreme rows probabilities of
        exactly 0 or 1, hence finite log-weights at that bound; limit them with
        the wrapped estimator's ``clip``.
    cv : int, cross-validation generator or iterable, default=5
        Calibration folds, as in
        :class:`~sklearn.calibration.CalibratedClassifierCV`: the classifier
        is fitted on the training part of each fold and its calibrator on the
        held-out part. An int is a (non-shuffled)
        :class:`~sklearn.model_selection.StratifiedKFold`.
    ensemble : bool or "auto", default="auto"
        As in :class:`~sklearn.calibration.CalibratedClassifierCV`: ``True``
        averages the calibrated classifiers of the folds; ``False`` fits one
        classifier on all rows and one calibrator on the out-of-fold log-odds.
        ``"auto"`` is ``False`` when the ratio estimator holds a frozen
        classifier (:class:`~sklearn.frozen.FrozenEstimator`), ``True``
        otherwise.
    n_jobs : int, default=None
        Number of calibration folds fitted in parallel.

    Attributes
    ----------
    classifier_ : CalibratedClassifierCV
        The fitted calibrated domain classifier. Each of its
        ``calibrated_classifiers_`` holds, as ``estimator.estimator_``, the
        ratio estimator fitted on that fold's training rows.
    classes_ : ndarray of shape (2,)
        The domain labels; ``classes_[1]`` is the target (numerator).
    prior_ratio_ : float
        The ``gamma = n_0 / n_1`` used in the weights.
    calibration_error_ : dict
        Held-out expected calibration error
        (:func:`skratio.metrics.expected_calibration_error`, 10 uniform bins,
        weighted by ``sample_weight``) of the domain classifier:
        ``"before"`` calibration, from its out-of-fold probabilities over the
        ``cv`` folds, and ``"after"``, from the same out-of-fold log-odds passed
        through a calibrator (of ``method``) fitted on the other folds. Each
        row's figure thus comes from models that did not see it. Measuring it
        fits the classifier once more per fold.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.

    See Also
    --------
    DensityRatioEstimator : The uncalibrated estimator.
    skratio.plotting.RatioCalibrationDisplay : Reliability diagram before and
        after calibration.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skratio import CalibratedRatio, DensityRatioEstimator
    >>> from skratio.datasets import make_gaussian_shift
    >>> X, y, log_ratio = make_gaussian_shift(
    ...     n_source=2000, n_target=2000, n_features=2, random_state=0)
    >>> X = np.repeat(X, 5, axis=1)  # naive Bayes counts each feature 5 times
    >>> # calibration=None: the naive Bayes log-odds as they are
    >>> naive = DensityRatioEstimator(GaussianNB(), calibration=None).fit(X, y)
    >>> calibrated = CalibratedRatio(DensityRatioEstimator(GaussianNB())).fit(X, y)
    >>> def rmse(ratio):
    ...     error = ratio.predict_log_weight(X) - log_ratio
    ...     return float(np.sqrt(np.mean(error**2)))
    >>> bool(rmse(calibrated) < rmse(naive) / 4)
    True
    >>> errors = calibrated.calibration_error_
    >>> bool(errors["after"] < errors["before"])
    True
    """

    _parameter_constraints = {
        "estimator": [RATIO_ESTIMATOR, None],
        "method": [StrOptions({"sigmoid", "isotonic", "temperature"})],
        "cv": ["cv_object"],
        "ensemble": ["boolean", StrOptions({"auto"})],
        "n_jobs": [IntegerInterval(None, None, closed="neither"), None],
    }

    def __init__(
        self, estimator=None, *, method="sigmoid", cv=5, ensemble="auto", n_jobs=None
    ):
        self.estimator = estimator
        self.method = method
        self.cv = cv
        self.ensemble = ensemble
        self.n_jobs = n_jobs

    def _wrapped(self):
        """The ratio estimator to calibrate, as given (``None``: the default)."""
        estimator = (
            DensityRatioEstimator() if self.estimator is None else self.estimator
        )
        if isinstance(estimator, FrozenEstimator):
            raise ValueError(
                "CalibratedRatio refits its ratio estimator on the calibration "
                "folds, so it cannot be frozen. To calibrate a classifier fitted "
                "already, freeze the classifier instead: "
                "CalibratedRatio(DensityRatioEstimator(FrozenEstimator(clf)))."
            )
        return estimator

    def _wrapped_settings(self):
        """The wrapped estimator's settings among the ratio estimators' shared ones.

        Those it lacks take the value that changes nothing (:data:`RAW_SETTINGS`)
        or the default folds of :meth:`fit_predict_weight`.
        """
        params = self._wrapped().get_params(deep=False)
        defaults = {**RAW_SETTINGS, **CROSS_FITTING_DEFAULTS, "target_label": None}
        return {key: params.get(key, default) for key, default in defaults.items()}

    def _raw_estimator(self):
        """A clone of the wrapped estimator that gives raw log-weights on 0/1 labels.

        Its own calibration, power and clip are set to the values that change
        nothing (calibrating twice would cost two more fits per fold; power and
        clip are applied after the calibration), and its ``target_label``, at
        any depth, to 1: it is fitted on the encoded domain labels.
        """
        target_label = self._wrapped_settings()["target_label"]
        raw = check_ratio_target(
            self._wrapped(),
            target_label,
            f"CalibratedRatio, which takes its target ({target_label!r}) from the "
            "estimator's own target_label",
        )
        params = raw.get_params(deep=False)
        return raw.set_params(
            **{key: value for key, value in RAW_SETTINGS.items() if key in params}
        )

    def _domain_classifier(self, sparse_input=False):
        # The wrapped estimator picks its own classifier for sparse input.
        ensemble = self.ensemble
        if ensemble == "auto":
            # A frozen classifier is the same in every fold: one calibrator on
            # all rows beats an average of calibrators fitted on a fold each.
            ensemble = not _frozen_parts(self._wrapped())
        calibrated = CalibratedClassifierCV(
            _RatioLogOdds(self._raw_estimator()),
            method=self.method,
            cv=self.cv,
            n_jobs=self.n_jobs,
            ensemble=ensemble,
        )
        if _routing_enabled():
            # The calibrators always use the weights; the ratio estimator
            # routes them on to its classifier as that one requested.
            calibrated.set_fit_request(sample_weight=True)
        return calibrated

    def _classifier_fit_params(self, sample_weight):
        # CalibratedClassifierCV takes the weights for its calibrators and
        # passes them on to the ratio estimator. (A frozen classifier fitted on
        # other labels is refused by the wrapped estimator's fit.)
        return {} if sample_weight is None else {"sample_weight": sample_weight}

    def _ratio_options(self):
        settings = self._wrapped_settings()
        if settings["clip"] is not None:
            check_clip(settings["clip"])
        # The calibrated classifier's probabilities follow the domain
        # proportions of the calibration rows, so the prior ratio is always
        # their (weighted) count ratio, whatever prior the wrapped classifier
        # was trained under.
        return dict(
            power=settings["power"],
            clip=settings["clip"],
            prior_ratio=None,
            target_label=settings["target_label"],
        )

    def _cross_fitting_options(self):
        settings = self._wrapped_settings()
        return {key: settings[key] for key in CROSS_FITTING_DEFAULTS}

    def _fitted_hook(self, X, y_encoded, sample_weight, weights_given):
        self.calibration_error_ = self._held_out_calibration_error(
            X, y_encoded, sample_weight if weights_given else None
        )

    def _held_out_calibration_error(self, X, y_encoded, sample_weight):
        """Expected calibration error before and after, from out-of-fold models."""
        # The classifier gets the weights as in fit: where it requested them
        # under metadata routing, otherwise when they were given.
        if _routing_enabled():
            fit_params = process_routing(
                self.classifier_, "fit", sample_weight=sample_weight
            ).estimator.fit
        else:
            fit_params = (
                {} if sample_weight is None else {"sample_weight": sample_weight}
            )
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        log_odds_classifier = self.classifier_.estimator
        folds = list(check_cv(self.cv, y_encoded, classifier=True).split(X, y_encoded))
        log_odds = np.empty(X.shape[0])
        for train, test in folds:
            fold_classifier = clone(log_odds_classifier).fit(
                X[train],
                y_encoded[train],
                **index_fit_params(fit_params, train, X.shape[0]),
            )
            log_odds[test] = fold_classifier.decision_function(X[test])
        calibrated = np.empty(X.shape[0])
        column = log_odds.reshape(-1, 1)
        for train, test in folds:
            # One calibrator on all training rows: the identity classifier's
            # out-of-fold log-odds are the log-odds, whatever the inner folds.
            calibrator = CalibratedClassifierCV(
                _LogOddsColumn(), method=self.method, cv=2, ensemble=False
            ).fit(column[train], y_encoded[train], sample_weight=sample_weight[train])
            calibrated[test] = calibrator.predict_proba(column[test])[:, 1]
        return {
            "before": expected_calibration_error(
                y_encoded, expit(log_odds), sample_weight=sample_weight
            ),
            "after": expected_calibration_error(
                y_encoded, calibrated, sample_weight=sample_weight
            ),
        }

    def predict_uncalibrated_proba(self, X):
        """Domain probabilities of the classifier before calibration.

        The mean over the calibrated classifier's fitted classifiers (one per
        fold with ``ensemble=True``, one otherwise), as the calibrated
        probabilities are a mean over the same classifiers. Used by
        :class:`~skratio.plotting.RatioCalibrationDisplay` to show the
        reliability diagram before calibration.

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
        # Each of CalibratedClassifierCV's calibrated_classifiers_ keeps its
        # fitted classifier (here the log-odds wrapper) as ``estimator``.
        target = np.mean(
            [
                expit(pair.estimator.decision_function(X))
                for pair in self.classifier_.calibrated_classifiers_
            ],
            axis=0,
        )
        return np.column_stack([1.0 - target, target])

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        ``sample_weight`` given to ``fit`` and ``fit_predict_weight`` is used
        for the prior ratio and the calibrators, and passed to the ratio
        estimator's ``fit``, which routes it to its classifier's ``fit`` when
        that one requests it.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                estimator=self._wrapped(),
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        )
