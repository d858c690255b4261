"""The parameters every classifier-based ratio estimator shares, stated once.

:class:`RatioParamsMixin` holds the shared parameters (``classifier``, ``cv``,
``power``, ``clip``, ``n_jobs``, ``random_state``, ``target_label``), their
constraints and the hooks of :class:`~skratio._base.BaseRatioEstimator` that
read them; :class:`ClassifierParamsMixin` adds the hooks of an estimator that
fits its ``classifier`` itself (``None``: :func:`default_classifier`), with row
weights routed to it. :class:`~skratio.DensityRatioEstimator`,
:class:`~skratio.MultiSourceRatio` and :class:`~skratio.TelescopingRatio` mix
them into the base. :func:`route_sample_weight` gives row weights to a
classifier, with or without metadata routing.
"""

import warnings
from numbers import Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import RobustScaler
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from ._compat import HasMethods, Interval, _routing_enabled
from ._validation import IntegerInterval
from ._weights import check_clip, first_frame_outside_the_libraries


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


class ClipFeatures(TransformerMixin, BaseEstimator):
    """Bound every feature to ``[-bound, bound]`` (a step of the default classifier).

    After :class:`~sklearn.preprocessing.RobustScaler`, a value ``bound``
    interquartile ranges from the median is an outlier (about 6.7 standard
    deviations for a Gaussian column, which reaches it with probability 2e-11);
    bounding it keeps one extreme value from giving its row an extreme weight.
    Stateless; sparse input keeps its zeros.

    Parameters
    ----------
    bound : float > 0, default=5.0
        The largest absolute value of a feature.
    """

    _parameter_constraints = {"bound": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, bound=5.0):
        self.bound = bound

    def fit(self, X, y=None):
        """Nothing to learn; checks the input.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows.
        y : None
            Ignored.

        Returns
        -------
        self : ClipFeatures
            This transformer.
        """
        validate_data(
            self, X, accept_sparse=["csr", "csc"], ensure_all_finite="allow-nan"
        )
        return self

    def transform(self, X):
        """``X`` with every value bounded to ``[-bound, bound]``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows.

        Returns
        -------
        X_bounded : {ndarray, sparse matrix} of shape (n_samples, n_features)
            A bounded copy.
        """
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            ensure_all_finite="allow-nan",
            reset=False,
            copy=True,
        )
        values = X.data if sparse.issparse(X) else X
        np.clip(values, -self.bound, self.bound, out=values)
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = True
        tags.requires_fit = False
        return tags


def default_classifier(sparse_input=False):
    """The domain classifier used when none is given, as a new unfitted pipeline.

    ``make_pipeline(RobustScaler(), ClipFeatures(5.0),
    LogisticRegression(max_iter=1000))``. Pass
    it explicitly to tune it: a grid search over its parameters needs it as the
    estimator's ``classifier`` (``None`` has no parameters to set), e.g.
    ``GridSearchCV(DensityRatioEstimator(default_classifier()),
    {"classifier__logisticregression__C": [0.1, 1, 10]})``. Its log-odds are
    calibrated on held-out rows by the ratio estimator (``calibration``), which
    undoes both the over-confidence it shows on outliers and the flattening of
    a strong shift by its penalty (``benchmarks/default_classifier.py``). The
    logistic model is the right one whenever the log-ratio is linear in the
    features (exponential families with shared sufficient statistics, e.g.
    Gaussians with equal covariances), and its ``decision_function`` is the
    log-odds at full precision. Scaling makes L-BFGS converge quickly at the
    features' raw scale: on scikit-learn's breast cancer, digits, diabetes and
    wine data a bare ``LogisticRegression(max_iter=1000)`` warns in 20 of 40
    runs and is up to 25x slower (``benchmarks/default_classifier.py``).

    Why the robust scaler (median and interquartile range): a column that is
    almost constant (a pixel non-zero in 4 of 1797 digits) has a tiny standard
    deviation, and standardising turns its few non-zero values into features of
    size 35 that the classifier overfits. With ``StandardScaler``, two
    *identical* samples of digits get collapsed weights (effective sample size
    0.1% of the rows, where the truth is 100%); with ``RobustScaler``, whose
    interquartile range of such a column is 0 and so leaves it unscaled, 75-80%.
    Why ``C=1``: a ten times stronger penalty was more accurate on the mild
    shifts of those datasets but triples the log-ratio error of a strong shift
    and overstates its effective sample size, hiding the collapse that
    :class:`~skratio.WeightCollapseWarning` reports. The scaler's statistics
    are unweighted (``RobustScaler.fit`` takes no ``sample_weight``); row
    weights reach the logistic regression and the prior ratio. Sparse input is
    scaled without centring, which would densify it.

    Why the bound on the scaled features (5 interquartile ranges from the
    median): a single extreme value (a breast-cancer row 15 interquartile ranges
    out on one column, a rare pixel of digits) otherwise gets a log-odds out of
    all proportion and its row most of the weight, which no calibration of the
    log-odds as a whole can undo; on digits' covariate shifts the bound lowers
    the log-ratio RMSE from 1.72 to 0.65 (linear selection) and 0.70 to 0.54
    (quadratic), and changes nothing on diabetes, wine and mnist1d, whose
    scaled values stay within it (``benchmarks/default_classifier.py``).

    Parameters
    ----------
    sparse_input : bool, default=False
        Whether the classifier will meet sparse input (scaled without centring).

    Returns
    -------
    classifier : Pipeline
        Steps ``robustscaler``, ``clipfeatures`` and ``logisticregression``.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skratio import DensityRatioEstimator, default_classifier
    >>> from skratio.datasets import make_gaussian_shift
    >>> X, y, _ = make_gaussian_shift(n_source=300, n_target=300, random_state=0)
    >>> search = GridSearchCV(
    ...     DensityRatioEstimator(default_classifier()),
    ...     {"classifier__logisticregression__C": [0.1, 1.0]},
    ... ).fit(X, y)
    >>> sorted(search.best_params_)
    ['classifier__logisticregression__C']
    """
    return make_pipeline(
        RobustScaler(with_centering=not sparse_input),
        ClipFeatures(),
        LogisticRegression(max_iter=1000),
    )


# scikit-learn's scalers leave a column unscaled when its spread is below
# 10 machine epsilons (sklearn.preprocessing._data._handle_zeros_in_scale),
# whatever the column's own magnitude.
SCALING_FLOOR = 10 * np.finfo(np.float64).eps


def warn_if_below_scaling_floor(X, feature_names=None):
    """Warn, naming them, about columns that vary by less than the scaler sees.

    The robust scaler of :func:`default_classifier` treats an interquartile
    range below ``SCALING_FLOOR`` as zero and leaves the column unscaled, so a
    feature measured in tiny units (say multiplied by 1e-15) loses its effect
    on the weights, which it would keep in other units.
    """
    spread = np.ptp(X, axis=0).astype(np.float64, copy=False)
    suspects = np.flatnonzero((spread > 0) & (spread < 1e6 * SCALING_FLOOR))
    if suspects.size == 0:
        return
    low, high = np.nanpercentile(X[:, suspects].astype(np.float64), [25, 75], axis=0)
    tiny = suspects[(high - low > 0) & (high - low < SCALING_FLOOR)]
    if tiny.size == 0:
        return
    names = [
        repr(feature_names[j]) if feature_names is not None else f"column {j}"
        for j in tiny
    ]
    warnings.warn(
        f"The features {', '.join(names)} vary by less than {SCALING_FLOOR:.1e} "
        "(interquartile range): the default classifier's RobustScaler treats them "
        "as constant and leaves them unscaled, so they barely affect the weights. "
        "Rescale them (e.g. multiply by a power of ten), or pass a classifier of "
        "your own.",
        UserWarning,
        stacklevel=first_frame_outside_the_libraries(),
    )


class RatioParamsMixin:
    """The parameters shared by the classifier-based ratio estimators.

    ``classifier``, ``cv``, ``power``, ``clip``, ``n_jobs``, ``random_state``
    and ``target_label``, their constraints, and the hooks of
    :class:`~skratio._base.BaseRatioEstimator` that read them. A leaf with
    more parameters spells its own ``__init__`` (scikit-learn reads the
    parameters from its signature) and extends ``_parameter_constraints``.
    """

    _parameter_constraints = {
        "classifier": [HasMethods(["fit", "predict_proba"]), None],
        "cv": ["cv_object"],
        "power": [Interval(Real, 0, 1, closed="both")],
        "clip": [Interval(Real, 0, None, closed="neither"), tuple, list, None],
        "n_jobs": [IntegerInterval(None, None, closed="neither"), None],
        "random_state": ["random_state"],
        "target_label": [Real, str, None],
    }

    def __init__(
        self,
        classifier=None,
        *,
        cv=5,
        power=1.0,
        clip=None,
        n_jobs=None,
        random_state=None,
        target_label=None,
    ):
        self.classifier = classifier
        self.cv = cv
        self.power = power
        self.clip = clip
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.target_label = target_label

    def _ratio_options(self):
        if self.clip is not None:
            check_clip(self.clip)
        return dict(
            power=self.power,
            clip=self.clip,
            prior_ratio=None,
            target_label=self.target_label,
        )

    def _cross_fitting_options(self):
        return dict(cv=self.cv, random_state=self.random_state, n_jobs=self.n_jobs)


class ClassifierParamsMixin(RatioParamsMixin):
    """Hooks of the ratio estimators that fit their ``classifier`` themselves.

    ``classifier=None`` means :func:`default_classifier`; row weights reach the
    classifier as it requests them (:func:`route_sample_weight`).
    Shared by :class:`~skratio.DensityRatioEstimator` and
    :class:`~skratio.MultiSourceRatio`.
    """

    def _domain_classifier(self, sparse_input=False):
        if self.classifier is None:
            return default_classifier(sparse_input)
        return self.classifier

    def _classifier_fit_params(self, sample_weight):
        return route_sample_weight(self, self._domain_classifier(), sample_weight)

    def _check_features(self, X):
        # Object columns are the classifier's to convert (or refuse).
        if self.classifier is None and not sparse.issparse(X) and X.dtype.kind in "fiu":
            warn_if_below_scaling_floor(X, getattr(self, "feature_names_in_", None))

    def set_params(self, **params):
        """Set the parameters of this estimator (see scikit-learn's ``set_params``).

        A parameter of the classifier (``classifier__...``) needs a classifier:
        with ``classifier=None`` (the default), pass
        ``classifier=skratio.default_classifier()`` to tune the default one.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
            Estimator instance.
        """
        nested = sorted(key for key in params if key.startswith("classifier__"))
        if nested and params.get("classifier", self.classifier) is None:
            raise ValueError(
                f"Cannot set {', '.join(nested)}: {type(self).__name__} has "
                "classifier=None, which means a new skratio.default_classifier() at "
                "every fit. To tune the default classifier, pass it explicitly: "
                f"{type(self).__name__}(skratio.default_classifier()), then "
                "e.g. GridSearchCV(estimator, "
                "{'classifier__logisticregression__C': [0.1, 1, 10]})."
            )
        return super().set_params(**params)

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
