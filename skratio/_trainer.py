"""Weighted training of a generative model on biased plus reference data."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin, MetaEstimatorMixin, clone
from sklearn.utils import ClassifierTags, check_random_state, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from ._compat import (
    HasMethods,
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
)
from ._domains import TARGET, check_ratio_target, check_source_target_labels
from ._generators import can_be_seeded, draw_rows
from ._multisource import MultiSourceRatio
from ._protocol import RATIO_ESTIMATOR, derive_seed, domain_folds, seed_unseeded
from ._ratio import DensityRatioEstimator
from ._validation import check_positive_int, check_weight_values
from ._weights import warn_if_weights_collapse
from .exceptions import WeightCollapseWarning
from .metrics import effective_sample_size

# Default bound on the weight of a biased row relative to a reference row (whose
# weight is 1), applied to the out-of-fold weights of any ratio estimator: a
# biased row weighs at most as much as 20 reference rows, so a handful of rows
# with saturated classifier probabilities (c(x) = 1 - eps gives weights of order
# 1e15) cannot take over the fit. It leaves untouched the ratios p_ref / p_bias
# of the group imbalances it is meant to correct (at most 5 in the paper's
# splits); groups under-represented by more than 20x are only partly
# corrected. In the replication benchmark (benchmarks/fair_generation.py, 240
# fits on digits) a bound of 20 gives the lowest mean fairness discrepancy of the
# bounds tried (0.050, against 0.052 for 10, 0.066 for 5, 0.059 for 50 with 25
# collapsed fits, 0.196 unbounded with 72 collapsed), and flattening (power 0.5)
# doubles it (0.104) by under-correcting.
DEFAULT_MAX_WEIGHT_RATIO = 20.0


def _generator_has(attribute):
    """``available_if`` check: the (fitted) generator has ``attribute``."""

    def check(self):
        generator = getattr(self, "generator_", self.generator)
        getattr(generator, attribute)
        return True

    return check


class WeightedGenerativeTrainer(MetaEstimatorMixin, DensityMixin, BaseEstimator):
    """Train a generative model on biased and reference data with importance weights.

    Algorithm 1 of Choi et al. (2020), "Fair generative modeling via weak
    supervision": given a large biased dataset (``y=0``) and a small reference
    dataset (``y=1``), fit a generative model on both, weighting each biased
    row by the estimated density ratio ``w(x) = p_ref(x) / p_bias(x)`` and each
    reference row by 1. The model then learns the reference distribution while
    using all the data.

    - Phase 1 (``strategy="importance"``): the ratio estimator gives
      **out-of-fold** weights of the biased rows by cross-fitting
      (:meth:`DensityRatioEstimator.fit_predict_weight`), so that no row's
      weight comes from a classifier that saw it.
    - Phase 2: a clone of ``generator`` is fitted with those weights as
      ``sample_weight``, normalised to mean 1 over the rows it is fitted on.

    Parameters
    ----------
    generator : estimator with ``fit`` and ``sample``
        The generative model. Its ``fit(X, sample_weight=...)`` takes the
        weights (e.g. :class:`~sklearn.neighbors.KernelDensity`); its
        ``sample(n_samples, random_state=...)`` draws rows. ``sample`` may
        return a tuple whose first item is the rows (as
        :class:`~sklearn.mixture.GaussianMixture` does). A generator whose
        ``fit`` takes no ``sample_weight`` needs ``fallback="resample"`` for
        non-uniform weights.
    ratio_estimator : ratio estimator, default=None
        Estimates ``p_ref / p_bias`` (e.g. :class:`DensityRatioEstimator` or
        :class:`CalibratedRatio`, or any estimator with their ``fit``,
        ``fit_predict_weight``, ``predict_log_weight`` and ``predict_weight``;
        phase 1 calls ``fit_predict_weight(..., cv=...)``); its ``power`` and
        ``clip`` post-process the
        weights, before ``max_weight_ratio``. ``None`` means
        ``DensityRatioEstimator(calibration=None)``: the classifier's raw odds,
        bounded by ``max_weight_ratio``, as in Choi et al.'s Algorithm 1. A
        calibration fitted on held-out log-odds (the default of
        :class:`DensityRatioEstimator`) makes each row's probability right on
        average, but shrinks noisy log-odds as a whole, and with them the
        difference between the groups that the generator must rebalance: on
        ``benchmarks/fair_generation.py`` the calibrated ratio removes far
        less of the fairness discrepancy. ``None`` means
        ``MultiSourceRatio(target_label=...)``
        with the trainer's ``target_label`` when ``y`` holds several biased
        sources. With two domains it is fitted on 0/1 domain labels (the
        trainer's ``target_label`` decides which rows are the reference); with
        several sources it must be a multi-source estimator (multi-class
        classifier tags, e.g. :class:`MultiSourceRatio`), is fitted on the
        labels of ``y`` as they are, and must name the same target label (its
        ``classes_[-1]``). Only used by ``strategy="importance"``.
    strategy : {"importance", "uniform", "reference"}, default="importance"
        ``"importance"``: Algorithm 1. ``"uniform"``: all rows of both datasets
        with equal weights (the paper's equi-weight baseline).
        ``"reference"``: the reference rows only. One grid search over this
        parameter runs the paper's comparison.
    max_weight_ratio : float > 0 or None, default=20.0
        Upper bound on the weight of a biased row relative to a reference row
        (weight 1), applied to the out-of-fold weights of any ratio estimator:
        no biased row weighs more than ``max_weight_ratio`` reference rows, so a
        few rows with saturated classifier probabilities cannot dominate the
        fit. Groups under-represented in the biased data by more than this
        factor are only partly corrected; raise it for those, at the cost of
        effective sample size. ``None`` disables the bound.
        ``benchmarks/fair_generation.py`` compares this default with other
        bounds and with flattening.
    cv : int, cross-validation generator, iterable or None, default=5
        Folds of the cross-fitting in phase 1, passed to the ratio estimator's
        ``fit_predict_weight(..., cv=...)``. An int means a shuffled
        :class:`~sklearn.model_selection.StratifiedKFold` (stratified by
        domain) seeded from ``random_state``; ``None`` leaves the ratio
        estimator its own ``cv``.
    fallback : {"resample"} or None, default=None
        What to do when the generator's ``fit`` takes no ``sample_weight`` and
        the weights are not uniform. ``None`` raises a ``TypeError``.
        ``"resample"`` fits the generator on a weighted bootstrap of the rows
        (as many draws as rows, with replacement, probability proportional to
        the weight): an approximation of weighted training that adds the
        bootstrap's sampling noise. Ignored for generators that take weights.
    random_state : int, RandomState instance or None, default=None
        Seeds the cross-fitting folds (when ``cv`` is an int) and the bootstrap
        of ``fallback="resample"``.
    target_label : int, float, bool or str, default=None
        The label of ``y`` that marks the reference rows. Needed unless the
        labels are 0/1, -1/1 or False/True, whose larger value is the reference;
        always needed with three or more labels (several biased sources).

    Attributes
    ----------
    generator_ : estimator
        The generator fitted in phase 2.
    ratio_estimator_ : estimator or None
        The ratio estimator fitted in phase 1 (on all rows, after the
        cross-fitting); ``None`` for the ``"uniform"`` and ``"reference"``
        strategies, which need no ratio.
    weights_ : ndarray of shape (n_samples,)
        The training weight of every row passed to :meth:`fit`: normalised to
        mean 1 over the rows with a positive weight, which are the rows the
        generator is fitted on; 0 for rows left out (biased rows with
        ``strategy="reference"``, rows with a zero ``sample_weight``).
    effective_sample_size_ : float
        ``(sum w)^2 / sum w^2`` of ``weights_``: how many equally weighted rows
        the weighted fit is worth.
    classes_ : ndarray of shape (n_domains,)
        The domain labels: the biased sources' in sorted order, then the
        reference label last (``classes_[-1]``).
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit`, when ``X`` has string column
        names.

    See Also
    --------
    DensityRatioEstimator : The ratio estimator of phase 1.
    skratio.datasets.make_biased_split : Paper-style biased/reference splits.
    skratio.metrics.fairness_discrepancy : Evaluate the samples' attributes.

    Notes
    -----
    Warns with :class:`~skratio.WeightCollapseWarning` when the effective
    sample size of the biased rows' training weights (after
    ``max_weight_ratio``) falls below 10% of their number.

    Examples
    --------
    Two groups; the biased dataset has 90% of the first, the reference dataset
    is balanced and a fifth of its size:

    >>> import numpy as np
    >>> from sklearn.neighbors import KernelDensity
    >>> from skratio import WeightedGenerativeTrainer
    >>> from skratio.datasets import make_biased_split
    >>> rng = np.random.default_rng(0)
    >>> groups = np.repeat([0, 1], 1000)
    >>> X = (8.0 * groups + rng.standard_normal(2000)).reshape(-1, 1)
    >>> X_split, y, _ = make_biased_split(
    ...     X, groups, bias=0.9, reference_size=0.2, random_state=0)
    >>> trainer = WeightedGenerativeTrainer(
    ...     KernelDensity(bandwidth=0.5), random_state=0).fit(X_split, y)
    >>> samples = trainer.sample(4000, random_state=0)
    >>> round(float(np.mean(samples > 4)), 1)  # share of the second group
    0.5
    >>> uniform = WeightedGenerativeTrainer(
    ...     KernelDensity(bandwidth=0.5), strategy="uniform").fit(X_split, y)
    >>> round(float(np.mean(uniform.sample(4000, random_state=0) > 4)), 2)
    0.17
    """

    _parameter_constraints = {
        "generator": [HasMethods(["fit", "sample"])],
        "ratio_estimator": [RATIO_ESTIMATOR, None],
        "strategy": [StrOptions({"importance", "uniform", "reference"})],
        "max_weight_ratio": [Interval(Real, 0, None, closed="neither"), None],
        "cv": ["cv_object"],
        "fallback": [StrOptions({"resample"}), None],
        "random_state": ["random_state"],
        "target_label": [Real, str, None],
    }

    def __init__(
        self,
        generator,
        ratio_estimator=None,
        *,
        strategy="importance",
        max_weight_ratio=DEFAULT_MAX_WEIGHT_RATIO,
        cv=5,
        fallback=None,
        random_state=None,
        target_label=None,
    ):
        self.generator = generator
        self.ratio_estimator = ratio_estimator
        self.strategy = strategy
        self.max_weight_ratio = max_weight_ratio
        self.cv = cv
        self.fallback = fallback
        self.random_state = random_state
        self.target_label = target_label

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the ratio estimator (phase 1) and the weighted generator (phase 2).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of both datasets, e.g. from :func:`skratio.stack_domains`.
        y : array-like of shape (n_samples,)
            Domain labels: two values 0/1, -1/1 or False/True (the larger marks
            the reference rows, the other the biased rows), or any labels with
            ``target_label`` naming the reference; every other label is a
            biased source, and with several sources each biased row weighs its
            own source's ratio ``p_ref / p_k``.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights. They are passed to the ratio estimator and multiply
            the importance weights of phase 2.

        Returns
        -------
        self : WeightedGenerativeTrainer
            The fitted trainer.
        """
        X, y = validate_data(self, X, y)
        self.classes_, y_encoded = check_source_target_labels(
            y, type(self).__name__, self.target_label
        )
        user_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        is_reference = y_encoded == self.classes_.shape[0] - 1
        takes_weights = has_fit_parameter(self.generator, "sample_weight")
        if not takes_weights and self.fallback is None:
            # Fail before the (costly) phase 1 when phase 2 cannot take the weights.
            self._check_weights_uniform(is_reference, user_weight)
        rng = check_random_state(self.random_state)
        if self.strategy == "importance":
            # Two domains: the ratio estimator sees 0/1 labels. Several
            # sources: the labels themselves, whose target it must name too.
            labels = y if self.classes_.shape[0] > 2 else y_encoded
            base_weight = self._importance_weight(
                X, labels, sample_weight, is_reference, rng
            )
        else:
            self.ratio_estimator_ = None
            base_weight = self._baseline_weight(is_reference)
        weights = base_weight * user_weight
        kept = weights > 0
        if not kept.any():
            raise ValueError(
                f"No row has a positive weight with strategy={self.strategy!r}: "
                "check sample_weight."
            )
        # Mean 1 over the fitted rows keeps a weighted loss on the scale of an
        # unweighted one (same learning rates for deep generators).
        weights /= weights[kept].mean()
        self.weights_ = weights
        self.effective_sample_size_ = effective_sample_size(weights)
        self.generator_ = self._fit_generator(
            X[kept], weights[kept], takes_weights, rng
        )
        return self

    def _baseline_weight(self, is_reference):
        """Weights of the baselines: every row, or the reference rows only."""
        if self.strategy == "uniform":
            return np.ones(is_reference.shape[0])
        return is_reference.astype(np.float64)

    def _check_weights_uniform(self, is_reference, user_weight):
        """Raise a TypeError unless the generator's rows all get the same weight."""
        if self.strategy != "importance":
            weights = self._baseline_weight(is_reference) * user_weight
            if _is_constant(weights[weights > 0]):
                return
        raise TypeError(
            f"The generator {type(self.generator).__name__} does not accept "
            "sample_weight in fit, so it cannot be trained with non-uniform "
            "weights. Use a generator whose fit takes sample_weight, or pass "
            "fallback='resample' to fit it on a weighted bootstrap of the rows "
            "(an approximation)."
        )

    def _ratio_estimator(self):
        """An unfitted clone of the ratio estimator that suits the domains."""
        several_sources = self.classes_.shape[0] > 2
        if self.ratio_estimator is None:
            if several_sources:
                return MultiSourceRatio(target_label=self.target_label)
            # The classifier's raw odds, bounded by max_weight_ratio (the
            # paper's clipped odds): a calibration fitted on noisy held-out
            # log-odds shrinks them as a whole, and with them the gap between
            # groups that the weights must close (benchmarks/fair_generation.py:
            # 77 % less discrepancy than uniform raw, 28 % calibrated).
            return DensityRatioEstimator(calibration=None)
        if not several_sources:
            # Fitted on 0/1 labels: a target_label of its own must name the
            # trainer's reference label, or the weights would be inverted.
            reference = self.classes_.tolist()[-1]
            return check_ratio_target(
                self.ratio_estimator,
                reference,
                f"{type(self).__name__}, whose reference rows are labelled "
                f"{reference!r} in y",
            )
        classifier_tags = get_tags(self.ratio_estimator).classifier_tags
        if classifier_tags is None or not classifier_tags.multi_class:
            raise ValueError(
                f"y holds {self.classes_.shape[0] - 1} biased sources and a "
                f"reference, but the ratio estimator "
                f"{type(self.ratio_estimator).__name__} compares two domains. "
                "Use skratio.MultiSourceRatio(target_label=...), which weighs "
                "each source's rows by their own ratio p_ref / p_k."
            )
        return clone(self.ratio_estimator)

    def _importance_weight(self, X, labels, sample_weight, is_reference, rng):
        """Phase 1: out-of-fold ``p_ref / p_bias`` of biased rows, 1 for reference rows.

        The bound ``max_weight_ratio`` applies whatever estimator gave the
        weights, and the collapse warning reads the bounded weights, which are
        the ones the generator is trained with.
        """
        self.ratio_estimator_ = self._ratio_estimator()
        with warnings.catch_warnings():
            # The ratio estimator warns about its own, unbounded weights; the
            # trainer checks the bounded ones below.
            warnings.simplefilter("ignore", WeightCollapseWarning)
            folds = self._cross_fitting_folds(labels, rng)
            seed_unseeded(self.ratio_estimator_, rng)
            weight = self.ratio_estimator_.fit_predict_weight(
                X, labels, sample_weight=sample_weight, cv=folds
            )
        # The labels the ratio estimator saw name the reference as TARGET (two
        # domains) or as the trainer's reference label (several sources).
        expected = self.classes_[-1] if self.classes_.shape[0] > 2 else TARGET
        fitted_target = getattr(self.ratio_estimator_, "classes_", [expected])[-1]
        if fitted_target != expected:
            if self.classes_.shape[0] == 2:
                raise ValueError(
                    f"The ratio estimator {type(self.ratio_estimator_).__name__} "
                    f"took {fitted_target!r} as the target of the 0/1 domain labels "
                    "it was fitted on (1 = reference): its weights would be "
                    "inverted. Leave its target_label at None."
                )
            if fitted_target != self.classes_[-1]:
                raise ValueError(
                    f"The ratio estimator took {fitted_target!r} as the target, but "
                    f"the trainer's reference label is {self.classes_[-1]!r}: give "
                    "both the same target_label."
                )
        name = type(self.ratio_estimator_).__name__
        weight = check_weight_values(
            weight, f"{name}.fit_predict_weight", n_rows=X.shape[0]
        )
        weight[is_reference] = 1.0
        if self.max_weight_ratio is not None:
            np.minimum(weight, self.max_weight_ratio, out=weight)
        if (~is_reference).any() and weight[~is_reference].any():
            warn_if_weights_collapse(weight[~is_reference])
        return weight

    def _cross_fitting_folds(self, labels, rng):
        """The ``cv`` passed to the ratio estimator's ``fit_predict_weight``.

        Only an int draws its folds' seed from ``rng``: the bootstrap of
        ``fallback="resample"`` draws next from the same generator. ``None``
        leaves the ratio estimator its own folds.
        """
        if isinstance(self.cv, Integral):
            return domain_folds(self.cv, labels, derive_seed(rng))
        return self.cv

    def _fit_generator(self, X, weights, takes_weights, rng):
        generator = clone(self.generator)
        if takes_weights:
            return generator.fit(X, sample_weight=weights)
        if _is_constant(weights):
            return generator.fit(X)
        # fit() has checked that fallback="resample" was asked for.
        rows = rng.choice(X.shape[0], size=X.shape[0], p=weights / weights.sum())
        return generator.fit(X[rows])

    def sample(self, n_samples=1, random_state=None):
        """Draw rows from the fitted generator.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : int, RandomState instance or None, default=None
            Seeds the draw: passed to the generator's ``sample``, or, for a
            generator whose ``sample`` takes none and that has a
            ``random_state`` parameter (e.g.
            :class:`~sklearn.mixture.GaussianMixture`), set on a copy of it.
            ``None`` leaves the generator's own seeding.

        Returns
        -------
        X : ndarray of shape (n_samples, `n_features_in_`)
            The drawn rows (the first item when the generator returns a tuple
            such as ``(X, labels)``).
        """
        check_is_fitted(self)
        n_samples = check_positive_int(n_samples, "n_samples")
        if random_state is not None and not can_be_seeded(self.generator_):
            raise TypeError(
                f"{type(self.generator_).__name__} cannot be seeded: its sample "
                "method takes no random_state and it has no random_state parameter. "
                "Call sample with random_state=None."
            )
        drawn = draw_rows(self.generator_, n_samples, random_state)
        if drawn.shape != (n_samples, self.n_features_in_):
            raise ValueError(
                f"The generator {type(self.generator_).__name__} returned samples of "
                f"shape {drawn.shape}; expected ({n_samples}, {self.n_features_in_})."
            )
        return drawn

    @available_if(_generator_has("score_samples"))
    def score_samples(self, X):
        """Log-likelihood of each row under the fitted generator.

        Available when the generator has ``score_samples``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            The generator's ``score_samples(X)``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.generator_.score_samples(X)

    @available_if(_generator_has("score"))
    def score(self, X, y=None):
        """The fitted generator's score of ``X`` (e.g. its total log-likelihood).

        Available when the generator has ``score``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        score : float
            The generator's ``score(X)``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.generator_.score(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # fit needs the domain labels: two classes, or more with a
        # target_label, which the common checks' multi-class data lack. The
        # classifier tags say so (binary only) without making the trainer a
        # classifier.
        tags.target_tags.required = True
        tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags


def _is_constant(values):
    return bool(np.all(values == values[0])) if values.size else True
