"""A learned generative model corrected by its density ratio to the data (LFIW)."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.frozen import FrozenEstimator
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import HasMethods, Interval, StrOptions, _fit_context
from ._domains import stack_domains
from ._generators import draw_rows
from ._protocol import RATIO_ESTIMATOR, derive_seed
from ._ratio import DensityRatioEstimator
from ._sample_distances import (
    auc_confidence_interval,
    frechet_distance,
    map_features,
    squared_mmd,
)
from ._sir import SIRResampler
from ._validation import IntegerInterval, check_positive_int, check_weight_values
from .metrics import effective_sample_size


def default_model_ratio(random_state=None):
    """The default ratio of real data against a generative model's samples.

    30 nearest neighbours, on the rows as given (the geometry the default
    criterion measures in), with the ratio estimator's default calibration.
    A model's typical error is a wrong number or shape of modes, which a
    linear domain classifier cannot see (its log-ratio is a hyperplane).
    Nearest neighbours and gradient-boosted trees both can: on a 2-component
    mixture fitted to six modes in 4-D, the chosen correction took the
    criterion's MMD to fresh data from 0.028 to 0.003 with the neighbours and
    to 0.007 with the trees, which also cost several times more to fit once
    calibrated on held-out folds.
    """
    return DensityRatioEstimator(KNeighborsClassifier(30), random_state=random_state)


class _FlattenedRatio(BaseEstimator):
    """A fitted ratio estimator whose log-weights are multiplied by ``power``.

    Lets :class:`~skratio.SIRResampler` draw by ``w ** power`` without
    refitting. Like :class:`~sklearn.frozen.FrozenEstimator`, it is fitted by
    construction.
    """

    def __init__(self, ratio_estimator, power):
        self.ratio_estimator = ratio_estimator
        self.power = power

    def fit(self, X=None, y=None, sample_weight=None):
        return self

    def fit_predict_weight(self, X, y, sample_weight=None, *, cv=None):
        # The protocol's method, so that SIRResampler takes this ratio; like
        # FrozenEstimator's fit_predict, refused: a frozen ratio's weights of
        # the rows it is "fitted" on would not be out of fold.
        raise TypeError("A flattened ratio is fitted once: no out-of-fold weights.")

    def __sklearn_is_fitted__(self):
        return True

    def predict_log_weight(self, X):
        return self.power * self.ratio_estimator.predict_log_weight(X)

    def predict_weight(self, X):
        return np.exp(self.predict_log_weight(X))


def mmd_gammas(Y):
    """Kernel widths of the default criterion, from the rows ``Y`` it compares to.

    :func:`~skratio.metrics.squared_mmd`'s default width (the data's overall
    scale), which sees little more than means and covariances, and widths 2,
    4 and 8 times narrower, which see modes.
    """
    spread = max(2.0 * np.asarray(Y).var(axis=0).sum(), np.finfo(float).tiny)
    return [4.0**j / spread for j in range(4)]


def multiscale_mmd(X, Y, gammas, sample_weight=None):
    """Squared MMD averaged over Gaussian kernels of widths ``gammas``."""
    return float(
        np.mean(
            [squared_mmd(X, Y, sample_weight=sample_weight, gamma=g) for g in gammas]
        )
    )


def _sampler(generator):
    """The estimator whose ``sample`` to call (a frozen one's inner estimator).

    :class:`~sklearn.frozen.FrozenEstimator` hides the inner estimator's
    ``random_state`` from ``get_params``, through which a generator whose
    ``sample`` takes no seed (``GaussianMixture``) is seeded per draw.
    """
    return generator.estimator if isinstance(generator, FrozenEstimator) else generator


class CorrectedGenerator(BaseEstimator):
    """A generative model corrected toward the data by its density ratio (LFIW).

    Likelihood-free importance weighting (Grover et al. 2019): a domain
    classifier trained on real rows (domain 1) against the model's samples
    (domain 0) gives ``w(x) = p_data(x) / p_model(x)``; sampling-importance-
    resampling (SIR) with ``k`` candidates per row draws from
    ``p_model * w ** power``, which is closer to the data when the ratio is
    right. Whether it is right is checked, not assumed: the pool size ``k``
    and the flattening ``power`` are chosen on held-out real rows by a
    two-sample criterion, and ``k = 1`` (the raw model) is always a
    candidate. A correction is chosen only when it beats the raw model by
    more than the criterion's noise, so on held-out data the corrected
    generator is not worse than the raw one.

    Parameters
    ----------
    generator : estimator with ``fit(X)`` and ``sample``
        The generative model: e.g. :class:`~sklearn.mixture.GaussianMixture`,
        :class:`~sklearn.neighbors.KernelDensity`, or
        :class:`~skratio.deep.VAE`, :class:`~skratio.deep.Flow`,
        :class:`~skratio.deep.GAN`. It is cloned and fitted on the real rows
        not held out. To correct a model that is already fitted, wrap it in
        :class:`sklearn.frozen.FrozenEstimator` (it is then not refitted);
        it should not have seen the rows passed to :meth:`fit`, or the
        held-out comparison favours the raw model.
    ratio_estimator : ratio estimator, default=None
        Cloned and fitted on the model's samples (domain 0) against the real
        rows not held out (domain 1): a ratio estimator of skratio, or any
        estimator with their ``fit``, ``fit_predict_weight``,
        ``predict_log_weight`` and ``predict_weight`` (the log-weights are
        used). ``None`` uses a
        :class:`~skratio.DensityRatioEstimator` with 30 nearest neighbours
        (:class:`~sklearn.neighbors.KNeighborsClassifier`) on the rows as
        given: a linear classifier cannot see a wrong number of modes. Scale
        the rows first when their features have different units.
    k : "auto" or int >= 1, default="auto"
        Candidates per output row. ``"auto"`` chooses among 1 and
        ``k_grid``; an int fixes it.
    power : "auto" or float in (0, 1], default="auto"
        Flattening: SIR draws by ``w ** power``. ``"auto"`` chooses among
        ``power_grid``; a float fixes it.
    k_grid : array-like of int > 1, default=(2, 5, 10, 20)
        The pool sizes tried besides ``k = 1`` when ``k="auto"``.
    power_grid : array-like of float in (0, 1], default=(0.5, 1.0)
        The exponents tried when ``power="auto"``.
    criterion : {"mmd", "frechet"} or callable, default="mmd"
        Two-sample distance between corrected samples and held-out real
        rows, lower is better: the unbiased squared MMD
        (:func:`skratio.metrics.squared_mmd`) averaged over four Gaussian
        kernels, of the width of the data's overall scale and 2, 4 and 8
        times narrower (the widest alone sees little more than means and
        covariances, so misses a missing mode), the Frechet distance
        (:func:`skratio.metrics.frechet_distance`), or a callable
        ``(X_model, X_real) -> float``.
    feature_map : fitted transformer or callable, default=None
        Features in which the criterion compares rows (e.g. a classifier's
        hidden layer, for an FID-style distance); ``None`` uses the rows.
    validation_fraction : float in (0, 1), default=0.25
        Share of the real rows held out to choose ``k`` and ``power``.
    n_repeats : int >= 2, default=10
        Times every candidate is scored, each on fresh model samples and a
        random half of the held-out rows; the spread of these scores is the
        criterion's noise.
    n_eval_samples : int >= 2 or None, default=None
        Corrected rows drawn per candidate and repeat; ``None`` draws as many
        as the held-out rows.
    random_state : int, RandomState instance or None, default=None
        Seeds the split, the generator's draws, the resampling and the
        default ratio's classifier.

    Attributes
    ----------
    generator_ : estimator
        The fitted generator.
    ratio_estimator_ : estimator
        The fitted ratio, real against the model's samples.
    k_ : int
        The chosen pool size; 1 means no correction.
    power_ : float
        The chosen flattening (1.0 when ``k_ = 1``: no weights are used).
    candidate_scores_ : dict of ndarray
        One entry per candidate: ``"k"``, ``"power"``, ``"mean_score"`` (the
        criterion averaged over the repeats), ``"std_score"``,
        ``"mean_difference"`` and ``"std_difference"`` (the candidate's score
        minus the raw model's, paired by repeat; negative is better).
    ess_fraction_ : float
        Effective sample size over the number of rows of the weights
        ``w ** power_`` on fresh model samples: near 0 means a few samples
        carry the weight and SIR repeats them.
    overlap_auc_ : tuple of float
        Held-out AUC of the ratio's log-weights telling the held-out real rows
        from fresh model samples, with its 95 % interval ``(auc, low, high)``:
        near 0.5 the model's samples already look like the data to the
        ratio, near 1 the two barely overlap and the weights cannot be
        trusted.
    mean_model_weight_ : float
        Mean of ``w`` on fresh model samples, 1 for a correct ratio
        (``E_model[w] = 1``); far from 1, the ratio is wrong or the samples
        barely overlap.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit`, when ``X`` has string
        column names.

    See Also
    --------
    skratio.SIRResampler : The resampling, with a given ratio and ``k``.
    skratio.metrics.classifier_two_sample_test : How far the samples are.

    Notes
    -----
    **Selection.** Each repeat draws ``n_eval_samples * max(k)`` model
    samples, weighs them once, and resamples the first ``n_eval_samples * k``
    of them for each candidate ``k`` (common draws make the comparison of
    candidates paired), then scores every candidate against the same random
    half of the held-out rows. The best candidate by mean score is kept only
    when its mean paired difference to ``k = 1`` is below minus the standard
    deviation of that difference over the repeats (the one-standard-error
    rule, with the error of one score on half the held-out rows, so the noise
    of the held-out sample is counted); otherwise ``k = 1``.

    References
    ----------
    Grover et al. (2019), "Bias correction of learned generative models using
    likelihood-free importance weighting", NeurIPS.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.mixture import GaussianMixture
    >>> from skratio import CorrectedGenerator
    >>> rng = np.random.default_rng(0)
    >>> centres = rng.choice([-3.0, 0.0, 3.0], size=(1500, 1))
    >>> X = centres + rng.normal(scale=0.5, size=(1500, 2))
    >>> corrected = CorrectedGenerator(
    ...     GaussianMixture(1, random_state=0), n_repeats=5, random_state=0
    ... ).fit(X)
    >>> corrected.k_ > 1
    True
    >>> corrected.sample(100, random_state=0).shape
    (100, 2)
    """

    _parameter_constraints = {
        "generator": [HasMethods(["fit", "sample"])],
        "ratio_estimator": [RATIO_ESTIMATOR, None],
        "k": [StrOptions({"auto"}), IntegerInterval(1, None, closed="left")],
        "power": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="right")],
        "k_grid": ["array-like"],
        "power_grid": ["array-like"],
        "criterion": [StrOptions({"mmd", "frechet"}), callable],
        "feature_map": [HasMethods(["transform"]), callable, None],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_repeats": [IntegerInterval(2, None, closed="left")],
        "n_eval_samples": [IntegerInterval(2, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        generator,
        ratio_estimator=None,
        *,
        k="auto",
        power="auto",
        k_grid=(2, 5, 10, 20),
        power_grid=(0.5, 1.0),
        criterion="mmd",
        feature_map=None,
        validation_fraction=0.25,
        n_repeats=10,
        n_eval_samples=None,
        random_state=None,
    ):
        self.generator = generator
        self.ratio_estimator = ratio_estimator
        self.k = k
        self.power = power
        self.k_grid = k_grid
        self.power_grid = power_grid
        self.criterion = criterion
        self.feature_map = feature_map
        self.validation_fraction = validation_fraction
        self.n_repeats = n_repeats
        self.n_eval_samples = n_eval_samples
        self.random_state = random_state

    def _candidates(self):
        """``[(1, 1.0), (k, power), ...]``: the raw model first."""
        k_grid = self.k_grid if self.k == "auto" else [self.k]
        power_grid = self.power_grid if self.power == "auto" else [self.power]
        k_grid = np.asarray(k_grid)
        power_grid = np.asarray(power_grid, dtype=np.float64)
        if k_grid.ndim != 1 or not all(
            IntegerInterval(1, None, closed="left").is_satisfied_by(k)
            for k in k_grid.tolist()
        ):
            raise ValueError(
                f"k_grid must be a 1-D list of integers >= 1; got {self.k_grid!r}."
            )
        if (
            power_grid.ndim != 1
            or power_grid.size == 0
            or not ((power_grid > 0) & (power_grid <= 1)).all()
        ):
            raise ValueError(
                "power_grid must be a non-empty 1-D list of floats in (0, 1]; got "
                f"{self.power_grid!r}."
            )
        corrections = [
            (int(k), float(p))
            for k in sorted(set(k_grid.tolist()))
            if k > 1
            for p in power_grid
        ]
        return [(1, 1.0)] + corrections

    def _score(self, X_model, Y_features, gammas):
        X_model = map_features(self.feature_map, X_model)[0]
        if self.criterion == "mmd":
            return multiscale_mmd(X_model, Y_features, gammas)
        if self.criterion == "frechet":
            return frechet_distance(X_model, Y_features)
        return float(self.criterion(X_model, Y_features))

    @_fit_context(
        # The generator and the ratio are validated by their own fit.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y=None):
        """Fit the generator and the ratio, then choose ``k`` and ``power``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Real rows.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The fitted corrected generator.
        """
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=8)
        candidates = self._candidates()
        rng = check_random_state(self.random_state)
        order = rng.permutation(X.shape[0])
        n_held = round(self.validation_fraction * X.shape[0])
        if n_held < 4 or X.shape[0] - n_held < 4:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} of {X.shape[0]} "
                "rows leaves fewer than 4 rows to fit or to hold out; pass more "
                "rows or another validation_fraction."
            )
        X_held, X_train = X[order[:n_held]], X[order[n_held:]]

        # FrozenEstimator.fit does nothing: a prefitted generator stays as is.
        # Its fit takes y positionally.
        self.generator_ = clone(self.generator).fit(X_train, None)
        sampler = _sampler(self.generator_)
        fake = draw_rows(sampler, X_train.shape[0], derive_seed(rng))
        if self.ratio_estimator is None:
            ratio = default_model_ratio(derive_seed(rng))
        else:
            ratio = clone(self.ratio_estimator)
        self.ratio_estimator_ = ratio.fit(*stack_domains(fake, X_train))

        Y_features = map_features(self.feature_map, X_held)[0]
        # The same kernels for every candidate and repeat, from all the
        # held-out rows.
        gammas = mmd_gammas(Y_features)
        n_eval = self.n_eval_samples or n_held
        k_max = max(k for k, _ in candidates)
        scores = np.empty((len(candidates), self.n_repeats))
        for repeat in range(self.n_repeats):
            pool = draw_rows(sampler, n_eval * k_max, derive_seed(rng))
            # A generator need not return its draws in random order
            # (GaussianMixture groups them by component), and each candidate
            # takes the first rows of the pool.
            pool = pool[rng.permutation(pool.shape[0])]
            log_weight = self._log_weight(pool)
            half = rng.permutation(n_held)[: max(2, n_held // 2)]
            for i, (k, power) in enumerate(candidates):
                if k == 1:
                    rows = pool[:n_eval]
                else:
                    scaled = power * log_weight[: n_eval * k]
                    sir = SIRResampler(
                        k=k, n_samples=n_eval, random_state=derive_seed(rng)
                    )
                    # Relative to the largest weight: exp cannot overflow.
                    rows = sir.fit_resample(
                        pool[: n_eval * k], sample_weight=np.exp(scaled - scaled.max())
                    )
                scores[i, repeat] = self._score(rows, Y_features[half], gammas)
        difference = scores - scores[0]
        self.candidate_scores_ = {
            "k": np.array([k for k, _ in candidates]),
            "power": np.array([p for _, p in candidates]),
            "mean_score": scores.mean(axis=1),
            "std_score": scores.std(axis=1, ddof=1),
            "mean_difference": difference.mean(axis=1),
            "std_difference": difference.std(axis=1, ddof=1),
        }
        self.k_, self.power_ = self._select(candidates, difference)

        # Diagnostics on fresh model samples, as many as the held-out rows.
        fresh = draw_rows(sampler, max(n_held, 2), derive_seed(rng))
        fresh_log_weight = self._log_weight(fresh)
        self.ess_fraction_ = (
            effective_sample_size(
                np.exp(self.power_ * (fresh_log_weight - fresh_log_weight.max()))
            )
            / fresh.shape[0]
        )
        self.overlap_auc_ = auc_confidence_interval(
            self._log_weight(X_held), fresh_log_weight
        )
        self.mean_model_weight_ = float(np.mean(np.exp(fresh_log_weight)))
        return self

    def _log_weight(self, X):
        """The fitted ratio's log-weights of the rows ``X``, checked."""
        name = type(self.ratio_estimator_).__name__
        return check_weight_values(
            self.ratio_estimator_.predict_log_weight(X),
            f"{name}.predict_log_weight",
            n_rows=X.shape[0],
            log=True,
        )

    def _select(self, candidates, difference):
        """The chosen ``(k, power)``: the raw model unless beaten beyond noise."""
        mean = difference.mean(axis=1)
        spread = difference.std(axis=1, ddof=1)
        if len(candidates) == 1:
            return candidates[0]
        corrections = np.arange(1, len(candidates))
        best = corrections[np.argmin(mean[corrections])]
        if self.k != "auto" or mean[best] < -spread[best]:
            return candidates[best]
        return candidates[0]

    def sample(self, n_samples, random_state=None):
        """Draw corrected rows: SIR with ``k_`` candidates by ``w ** power_``.

        Parameters
        ----------
        n_samples : int >= 1
            Rows to draw.
        random_state : int, RandomState instance or None, default=None
            Seeds the generator's draws and the resampling.

        Returns
        -------
        X : ndarray of shape (n_samples, `n_features_in_`)
            The corrected rows (the raw model's when ``k_ = 1``).
        """
        check_is_fitted(self)
        n_samples = check_positive_int(n_samples, "n_samples")
        sampler = _sampler(self.generator_)
        if self.k_ == 1:
            return draw_rows(sampler, n_samples, derive_seed(random_state))
        ratio = _FlattenedRatio(self.ratio_estimator_, self.power_)
        return SIRResampler(ratio, k=self.k_, random_state=random_state).sample(
            sampler, n_samples
        )
