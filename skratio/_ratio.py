"""Density-ratio estimation with a probabilistic domain classifier."""

from numbers import Real

from ._base import BaseRatioEstimator
from ._classifier_params import ClassifierParamsMixin
from ._compat import Interval, StrOptions


class DensityRatioEstimator(ClassifierParamsMixin, BaseRatioEstimator):
    """Density ratio ``w(x) = p_1(x) / p_0(x)`` from a probabilistic classifier.

    A classifier ``c(x) = P(y=1 | x)`` is trained to tell the source domain
    (``y=0``: biased data, or a generative model's samples) from the target
    domain (``y=1``: reference data, or real data).  Bayes' rule turns its odds
    into the density ratio::

        w(x) = gamma * c(x) / (1 - c(x)),   gamma = n_0 / n_1,

    computed in log space, ``log w = log gamma + logit c(x)``, so that
    probabilities of exactly 0 or 1 give finite weights. The classifier's
    log-odds are calibrated on held-out rows by default (``calibration``):
    a classifier's odds are a density ratio only when calibrated.

    Parameters
    ----------
    classifier : estimator with ``fit`` and ``predict_proba``, default=None
        The domain classifier; it may be a :class:`~sklearn.pipeline.Pipeline`.
        ``None`` means :func:`skratio.default_classifier` (a robust scaler,
        features bounded to 5 interquartile ranges, and
        ``LogisticRegression(max_iter=1000)``; see
        ``benchmarks/default_classifier.py`` for why). Its log-odds are
        calibrated on held-out rows (``calibration``; see also
        :class:`CalibratedRatio`). Classes of the fitted classifier are the
        encoded domains ``[0, 1]``. A ``class_weight`` of the classifier (or
        of a pipeline's last step) is accounted for in the prior ratio, so the
        weights do not change with it; a pipeline step that resamples rows
        (``fit_resample``) is refused unless ``prior_ratio`` is given. Use
        :func:`skratio.default_classifier` to tune the default one.
    calibration : {"sigmoid", "temperature"} or None, default="sigmoid"
        Calibration of the classifier's log-odds ``s(x) = logit c(x)``, fitted
        by maximum likelihood on held-out log-odds: ``"sigmoid"`` maps them to
        ``a s + b``, ``"temperature"`` to ``a s`` (``0 <= a <= 3``), ``None``
        uses them as they are. :meth:`fit` calibrates on two folds (the
        classifier is fitted twice on half the rows, then on all rows);
        :meth:`fit_predict_weight` gives each fold's rows the mean calibrated
        probability of five models, one per inner fold of the fold's training
        rows, each calibrated on its own held-out rows (about 3.5 times the
        cost of one model per fold). Averaging models that were fitted and
        calibrated on different rows shrinks the weights where they disagree,
        which a single calibrated model does not do when the classifier is
        misspecified (``benchmarks/covariate_shift.py``: 0.02 to 0.05 lower
        log-ratio RMSE on the nonlinear selections); the classifier fitted on
        all rows is then calibrated on all those models' held-out log-odds.
        The calibration draws its folds with ``random_state``. Unlike
        scikit-learn's sigmoid calibration (Platt's smoothed labels), the plain
        likelihood does not cap the log-odds near ``log n``, so strong shifts
        keep their scale. Each domain needs at least two rows.
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
        domain counts seen in ``fit``, multiplied by the classifier's class
        weights. It states the prior the classifier was trained under: the
        calibration is fitted to the log-odds with that prior removed and the
        held-out rows' own proportions put back, so the prior counts once
        (with ``calibration="sigmoid"``, whose shift is fitted too, the
        weights do not depend on it).
    n_jobs : int, default=None
        Number of folds fitted in parallel by :meth:`fit_predict_weight`.
        ``None`` means 1 unless in a :obj:`joblib.parallel_backend` context.
    random_state : int, RandomState instance or None, default=None
        Seeds the fold shuffling of :meth:`fit_predict_weight` when ``cv`` is
        an int, and the calibration's folds (of :meth:`fit`, and the inner
        folds of :meth:`fit_predict_weight`). Meta-estimators
        (:class:`ReweightedEstimator`, :class:`WeightedGenerativeTrainer`) set
        it from their own ``random_state`` when it is None.
    target_label : int, float, bool or str, default=None
        The label of ``y`` that marks the target rows (the numerator). Needed
        unless the labels are 0/1, -1/1 or False/True, whose larger value is the
        target: other labels are never mapped by their sort order.

    Attributes
    ----------
    classifier_ : estimator
        The domain classifier fitted on all rows.
    classes_ : ndarray of shape (2,)
        The domain labels ``[source, target]``; ``classes_[1]`` is the target
        (numerator).
    prior_ratio_ : float
        The ``gamma = n_0 / n_1`` used in the weights.
    log_odds_scaling_ : tuple of (float, float)
        The calibration ``(a, b)``: the log-weight is ``log gamma + a s(x) +
        b``. Only with ``calibration`` other than None.
    log_odds_bounds_ : tuple of (float, float)
        The log-odds ``s(x)`` used for a probability of exactly 0 or 1 (a
        nearest-neighbour or tree classifier's), before the calibration: about
        ``log 2`` beyond the most extreme held-out log-odds. Only with
        ``calibration`` other than None.
    overlap_ : OverlapDiagnostics
        Held-out diagnostics of the ratio (:func:`skratio.metrics.overlap_diagnostics`):
        domain AUC, mean source weight (1 for a correct ratio) and its standard
        error, effective sample size. From the out-of-fold weights of
        :meth:`fit_predict_weight`, or from the held-out log-odds that
        :meth:`fit` calibrates on (not set by :meth:`fit` with
        ``calibration=None``). Both warn with :class:`~skratio.PoorOverlapWarning`
        when these diagnostics show that the samples barely overlap.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.

    See Also
    --------
    skratio.stack_domains : Build ``(X, y)`` from a source and a target sample.
    CalibratedRatio : The same weights from a recalibrated classifier.

    Notes
    -----
    Input: dense arrays and DataFrames of numbers (integer and boolean columns
    included, passed to the classifier as they are), float32 (the default
    classifier computes in float64) and, when the classifier accepts it, sparse
    CSR/CSC input. NaN is refused unless the classifier accepts missing values;
    infinite values are always refused. The weights are NumPy arrays, like any
    scikit-learn prediction.

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

    Labels other than 0/1 say which one is the target:

    >>> import numpy as np
    >>> labels = np.where(y == 1, "reference", "synthetic")
    >>> ratio = DensityRatioEstimator(target_label="reference").fit(X, labels)
    >>> ratio.classes_.tolist()
    ['synthetic', 'reference']
    """

    _parameter_constraints = {
        **ClassifierParamsMixin._parameter_constraints,
        "calibration": [StrOptions({"sigmoid", "temperature"}), None],
        "prior_ratio": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(
        self,
        classifier=None,
        *,
        calibration="sigmoid",
        cv=5,
        power=1.0,
        clip=None,
        prior_ratio=None,
        n_jobs=None,
        random_state=None,
        target_label=None,
    ):
        super().__init__(
            classifier,
            cv=cv,
            power=power,
            clip=clip,
            n_jobs=n_jobs,
            random_state=random_state,
            target_label=target_label,
        )
        self.calibration = calibration
        self.prior_ratio = prior_ratio

    def _ratio_options(self):
        return {**super()._ratio_options(), "prior_ratio": self.prior_ratio}

    def _calibration_method(self):
        return self.calibration
