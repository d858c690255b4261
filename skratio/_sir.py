"""Sampling-importance-resampling (SIR) with density-ratio weights."""

import copy
import inspect
import warnings
from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils import _safe_indexing, check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from ._weights import warn_if_weights_collapse
from .metrics import _check_weights

# ``standard_exponential`` returns exactly 0.0 with probability about 2**-53;
# flooring it at the smallest normal double keeps its logarithm finite, so a
# zero weight can never meet an infinite key and produce NaN.
_TINY = np.finfo(np.float64).tiny
_MAX_SEED = np.iinfo(np.int32).max


def _choose_in_blocks(log_weight, blocks, rng):
    """Choose one candidate per block with probability ``w / sum(w)`` in the block.

    Gumbel-max: ``argmax(log w_i + G_i)`` with independent standard Gumbel
    ``G_i = -log E_i``, ``E_i ~ Exp(1)``, picks ``i`` with probability
    ``w_i / sum_j w_j`` exactly, works in log space (no overflow, no
    normalisation) and is one vectorised pass over the candidates.

    Parameters
    ----------
    log_weight : ndarray of shape (n_candidates,)
        Log-weights, ``-inf`` for zero weights, never NaN or ``+inf``.
    blocks : ndarray of shape (n_blocks, k)
        Positions in ``log_weight`` of each block's candidates, taken from a
        uniformly random permutation.
    rng : numpy.random.Generator

    Returns
    -------
    chosen : ndarray of shape (n_blocks,)
        Position of the chosen candidate of each block.
    n_all_zero : int
        Blocks whose weights were all zero. All their keys are ``-inf`` and
        ``argmax`` returns the block's first position, which the random
        permutation makes a uniformly random candidate of the block.
    """
    keys = rng.standard_exponential(size=blocks.shape)
    np.maximum(keys, _TINY, out=keys)
    np.log(keys, out=keys)
    np.subtract(log_weight[blocks], keys, out=keys)
    column = np.argmax(keys, axis=1)
    rows = np.arange(blocks.shape[0])
    n_all_zero = int(np.isneginf(keys[rows, column]).sum())
    return blocks[rows, column], n_all_zero


def _warn_all_zero_blocks(n_all_zero, n_blocks, k):
    if n_all_zero:
        warnings.warn(
            f"{n_all_zero} of {n_blocks} blocks of k={k} candidates had only zero "
            "weights; a uniformly random candidate was kept for each. Those rows "
            "have zero weight under the target distribution: use a larger k, or "
            "check the weights.",
            UserWarning,
            stacklevel=3,
        )


def _log_weight_from_estimator(ratio_estimator, X, n_rows):
    """Validated log-weights of the rows of ``X`` from a fitted ratio estimator.

    ``predict_log_weight`` is preferred when the estimator has it: it keeps
    full precision for tiny and huge weights.
    """
    name = type(ratio_estimator).__name__
    if hasattr(ratio_estimator, "predict_log_weight"):
        log_weight = np.asarray(ratio_estimator.predict_log_weight(X), dtype=np.float64)
        method = "predict_log_weight"
    else:
        weight = np.asarray(ratio_estimator.predict_weight(X), dtype=np.float64)
        method = "predict_weight"
        if (weight < 0).any():
            raise ValueError(f"{name}.predict_weight returned negative weights.")
        with np.errstate(divide="ignore"):
            log_weight = np.log(weight)
    if log_weight.shape != (n_rows,):
        raise ValueError(
            f"{name}.{method} must return one value per row, shape ({n_rows},); "
            f"got shape {log_weight.shape}."
        )
    # One pass: ``x < inf`` is False for NaN and for +inf.
    if not (log_weight < np.inf).all():
        problem = "NaN" if np.isnan(log_weight).any() else "infinite"
        raise ValueError(f"{name}.{method} returned {problem} weights.")
    return log_weight


def _draw_candidates(generator, n_candidates, seed):
    """``n_candidates`` rows from ``generator`` as a 2-D array, seeded by ``seed``."""
    if hasattr(generator, "sample"):
        if "random_state" in inspect.signature(generator.sample).parameters:
            drawn = generator.sample(n_candidates, random_state=seed)
        elif "random_state" in getattr(generator, "get_params", dict)():
            # GaussianMixture.sample re-seeds itself from its own random_state
            # on every call, so with an int seed every chunk would repeat the
            # same rows. A shallow copy seeded per chunk draws fresh rows,
            # reproducibly, without touching the caller's generator.
            seeded = copy.copy(generator)
            seeded.set_params(random_state=seed)
            drawn = seeded.sample(n_candidates)
        else:
            drawn = generator.sample(n_candidates)
    else:
        drawn = generator(n_candidates)
    # GaussianMixture.sample returns (X, component labels).
    if isinstance(drawn, tuple):
        drawn = drawn[0]
    # A plain conversion: check_array's per-call overhead would dominate the
    # cost of selecting among a chunk of candidates, and the ratio estimator
    # validates the values it reads.
    drawn = np.asarray(drawn)
    if drawn.ndim != 2 or drawn.shape[0] != n_candidates:
        raise ValueError(
            f"The generator must return an array of shape ({n_candidates}, "
            f"n_features) when asked for {n_candidates} rows; got shape "
            f"{drawn.shape}."
        )
    return drawn


class SIRResampler(BaseEstimator):
    """Sampling-importance-resampling with density-ratio weights.

    Each output row is chosen among ``k`` candidates with probability
    proportional to its weight ``w(x) = p_target(x) / p_source(x)``. If the
    candidates follow ``p_source`` (a generative model's samples), the output
    follows ``p_source * w`` normalised, i.e. ``p_target``, as ``k`` grows
    (Grover et al. 2019).

    Follows the imbalanced-learn sampler protocol: :meth:`fit_resample`
    works as a step of :class:`imblearn.pipeline.Pipeline` (applied only when
    fitting); there is no ``transform``. imbalanced-learn itself is not needed.
    In such a pipeline the weights come from ``ratio_estimator`` (wrap a
    fitted one in :class:`sklearn.frozen.FrozenEstimator` so that the
    pipeline's clone keeps it fitted), since the pipeline passes no fit
    parameters to samplers unless metadata routing is enabled, and the
    pipeline must be fitted with a ``y``, since it unpacks ``(X_res, y_res)``
    from every sampler.

    Parameters
    ----------
    ratio_estimator : fitted estimator with ``predict_weight``, default=None
        Gives the weights of the candidates, e.g. a fitted
        :class:`~skratio.DensityRatioEstimator` trained with the candidates'
        distribution as domain 0 and the target as domain 1. Its
        ``predict_log_weight`` is used when it has one. It must already be
        fitted; cloning (pipelines, grid searches) unfits it unless it is
        wrapped in :class:`sklearn.frozen.FrozenEstimator`. Needed by
        :meth:`sample`, and by :meth:`fit_resample` when no ``sample_weight``
        is given.
    k : int >= 1 or None, default=10
        Candidates per output row. ``1`` returns the candidates unweighted;
        larger ``k`` follows ``p_source * w`` more closely (the bias of
        finite ``k`` is of order ``1/k``) at the cost of ``k`` candidates per
        row. ``None`` resamples the whole pool of :meth:`fit_resample`: each
        output row is drawn with replacement with probability
        ``w_i / sum(w)``, the ``k -> infinity`` limit for that pool.
    n_samples : int >= 1, default=None
        Rows returned by :meth:`fit_resample`. ``None`` means what the pool
        supports: ``n_pool // k`` disjoint blocks, or ``n_pool`` draws when
        ``k=None``.
    chunk_size : int >= 1, default=65536
        Candidates drawn, weighed and resampled at once, which bounds the
        memory of :meth:`sample` at about ``chunk_size`` candidate rows and
        the working memory of :meth:`fit_resample` besides the pool's
        weights and shuffled indices. A chunk holds at least one block.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffle, the selection, and the generator's draws in
        :meth:`sample` (passed as ``random_state`` to its ``sample`` method).

    Attributes
    ----------
    sample_indices_ : ndarray of shape (n_samples,)
        Positions in ``X`` of the rows returned by the last
        :meth:`fit_resample`.
    n_features_in_ : int
        Number of features of ``X`` in the last :meth:`fit_resample`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of those features, when ``X`` has string column names.

    See Also
    --------
    skratio.DensityRatioEstimator : Weights from a domain classifier.
    skratio.metrics.importance_weighted_mean : Use the weights to average
        instead of resampling.

    Notes
    -----
    **How candidates are grouped.** Disjoint blocks of ``k`` after a
    shuffle. :meth:`fit_resample` shuffles the pool and cuts it into blocks;
    each block gives one output row. Every pool row is a candidate at most
    once, so the output rows are distinct rows of ``X``, and when the pool is
    an independent sample of the model each output row is an exact SIR draw
    from the model itself, independent of the others. Drawing each block's
    candidates afresh from the pool with replacement would instead resample
    the pool's empirical distribution, repeat rows, and make output rows
    share candidates. Disjoint blocks need ``n_samples * k <= n_pool``.
    :meth:`sample` does the same with each chunk of fresh draws: the shuffle
    makes each block ``k`` independent draws even when the generator returns
    its draws in an order that is not random (GaussianMixture groups them by
    component).

    **Zero weights.** Rows of zero weight are never chosen when a block has
    a positive weight. A block whose weights are all zero yields a uniformly
    random candidate of the block (the limit of equal weights) and a
    ``UserWarning`` says how many blocks did. Weights that are negative, NaN
    or infinite are errors, and so is a pool without a positive weight.

    **Cost.** Per candidate: one random index of the shuffle, and a
    vectorised Gumbel-max pass in log space (an exponential draw, a
    logarithm, a subtraction, an ``argmax``); no Python loop per row. The
    shuffle of :meth:`sample` stays within a chunk (in cache); that of
    :meth:`fit_resample` spans the pool, whose random memory access makes it
    the slower of the two on large pools.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KernelDensity
    >>> from skratio import DensityRatioEstimator, SIRResampler, stack_domains
    >>> rng = np.random.default_rng(0)
    >>> real = rng.normal(0.0, 1.0, size=(500, 2))
    >>> model = KernelDensity(bandwidth=0.3).fit(real + 1.0)
    >>> X, y = stack_domains(model.sample(500, random_state=0), real)
    >>> ratio = DensityRatioEstimator().fit(X, y)
    >>> sir = SIRResampler(ratio, k=20, random_state=0)
    >>> corrected = sir.sample(model, 1000)
    >>> corrected.shape
    (1000, 2)
    >>> bool(abs(corrected.mean()) < abs(model.sample(1000, random_state=1).mean()))
    True

    Resampling a pool, with weights given directly:

    >>> pool = np.arange(8).reshape(-1, 1)
    >>> sir = SIRResampler(k=2, random_state=0)
    >>> X_res = sir.fit_resample(pool, sample_weight=[1, 1, 1, 1, 9, 9, 9, 9])
    >>> X_res.shape
    (4, 1)
    >>> bool((X_res.ravel() == sir.sample_indices_).all())
    True
    """

    _parameter_constraints = {
        "ratio_estimator": [HasMethods(["fit", "predict_weight"]), None],
        "k": [Interval(Integral, 1, None, closed="left"), None],
        "n_samples": [Interval(Integral, 1, None, closed="left"), None],
        "chunk_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    # imbalanced-learn's protocol: "bypass" marks a sampler without a class
    # balancing ``sampling_strategy`` (read by e.g. BalancedBaggingClassifier);
    # ``_estimator_type`` is what ``imblearn.base.is_sampler`` reads.
    _sampling_type = "bypass"
    _estimator_type = "sampler"

    def __init__(
        self,
        ratio_estimator=None,
        *,
        k=10,
        n_samples=None,
        chunk_size=65536,
        random_state=None,
    ):
        self.ratio_estimator = ratio_estimator
        self.k = k
        self.n_samples = n_samples
        self.chunk_size = chunk_size
        self.random_state = random_state

    def _check_ratio_estimator(self, purpose):
        if self.ratio_estimator is None:
            raise ValueError(
                f"SIRResampler has no weights {purpose}: pass sample_weight to "
                "fit_resample, or set ratio_estimator to a fitted estimator with "
                "predict_weight (e.g. a fitted skratio.DensityRatioEstimator)."
            )
        try:
            check_is_fitted(self.ratio_estimator)
        except NotFittedError as error:
            raise NotFittedError(
                f"{error} SIRResampler needs a fitted ratio_estimator; clones of "
                "SIRResampler (pipelines, grid searches) receive unfitted clones of "
                "it unless it is wrapped in sklearn.frozen.FrozenEstimator."
            ) from error
        return self.ratio_estimator

    def _rng(self):
        seed = check_random_state(self.random_state).randint(_MAX_SEED)
        return np.random.default_rng(seed)

    def _rows_per_chunk(self):
        return max(1, self.chunk_size // self.k)

    def _pool_log_weight(self, X, X_checked, sample_weight):
        n_pool = X_checked.shape[0]
        if sample_weight is None:
            estimator = self._check_ratio_estimator("for the pool")
            log_weight = _log_weight_from_estimator(estimator, X, n_pool)
        else:
            weight = _check_weights(sample_weight, "sample_weight")
            check_consistent_length(X_checked, weight)
            with np.errstate(divide="ignore"):
                log_weight = np.log(weight)
        if not (log_weight > -np.inf).any():
            raise ValueError(
                "All weights are zero: SIR needs at least one row of positive weight."
            )
        return log_weight

    def _resample_blocks(self, log_weight, n_samples, rng):
        """Choose among disjoint blocks of ``k`` shuffled pool rows.

        Returns the chosen positions and the number of all-zero blocks.
        """
        n_pool, k = log_weight.shape[0], self.k
        if n_samples * k > n_pool:
            raise ValueError(
                f"The pool is too small: {n_samples} rows with k={k} need "
                f"{n_samples * k} distinct candidates (disjoint blocks, without "
                f"replacement) but X has {n_pool} rows. Ask for at most "
                f"{n_pool // k} rows, lower k, or use k=None (resampling with "
                "replacement)."
            )
        blocks = rng.choice(n_pool, size=n_samples * k, replace=False)
        blocks = blocks.reshape(n_samples, k)
        chosen = np.empty(n_samples, dtype=np.intp)
        n_all_zero = 0
        step = self._rows_per_chunk()
        for start in range(0, n_samples, step):
            chosen[start : start + step], n_zero = _choose_in_blocks(
                log_weight, blocks[start : start + step], rng
            )
            n_all_zero += n_zero
        return chosen, n_all_zero

    def fit_resample(self, X, y=None, sample_weight=None):
        """Resample the rows of ``X`` by their weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_pool, n_features)
            The pool of candidates, e.g. a generative model's samples. Lists,
            dataframes and sparse matrices come back as the same type.
        y : array-like of shape (n_pool,) or (n_pool, n_outputs), default=None
            Targets carried along with the rows (class labels, regression
            targets, anything row-aligned); they do not affect the selection.
        sample_weight : array-like of shape (n_pool,), default=None
            Non-negative, finite weights of the rows. ``None`` takes them from
            ``ratio_estimator.predict_weight(X)``.

        Returns
        -------
        X_res : {array-like, sparse matrix} of shape (n_samples, n_features)
            The chosen rows, ``X[sample_indices_]``.
        y_res : array-like of shape (n_samples,) or (n_samples, n_outputs)
            ``y[sample_indices_]``; returned only when ``y`` is given.
        """
        self._validate_params()
        X_checked = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=None,
            # Selecting rows never reads their values; the ratio estimator
            # validates what it needs.
            ensure_all_finite=False,
            reset=True,
        )
        n_pool = X_checked.shape[0]
        if y is not None:
            check_consistent_length(X_checked, y)
        log_weight = self._pool_log_weight(X, X_checked, sample_weight)
        rng = self._rng()
        if self.k is None:
            n_samples = n_pool if self.n_samples is None else self.n_samples
            # Probabilities relative to the largest weight, so that no weight
            # overflows; rows far below it get probabilities that round to 0.
            proba = np.exp(log_weight - log_weight.max())
            warn_if_weights_collapse(proba)
            proba /= proba.sum()
            indices = rng.choice(n_pool, size=n_samples, replace=True, p=proba)
        else:
            if self.n_samples is None and n_pool < self.k:
                raise ValueError(
                    f"The pool is too small: X has {n_pool} rows, fewer than one "
                    f"block of k={self.k} candidates."
                )
            n_samples = n_pool // self.k if self.n_samples is None else self.n_samples
            indices, n_all_zero = self._resample_blocks(log_weight, n_samples, rng)
            _warn_all_zero_blocks(n_all_zero, n_samples, self.k)
        self.sample_indices_ = indices
        # Index what the caller passed, so lists and dataframes keep their
        # type, columns and dtypes; sparse input is indexed in CSR/CSC form.
        X_res = _safe_indexing(X_checked if sparse.issparse(X) else X, indices)
        if y is None:
            return X_res
        return X_res, _safe_indexing(y, indices)

    def sample(self, generator, n_samples):
        """Draw ``n_samples * k`` candidates from a generator and resample them.

        The candidates are drawn, weighed by ``ratio_estimator`` and resampled
        in chunks of about ``chunk_size`` candidates, so memory stays bounded
        whatever ``n_samples``. Each output row is chosen among ``k`` fresh
        candidates. The resampler's attributes are not changed.

        Parameters
        ----------
        generator : object with ``sample(n)``, or callable ``n -> X``
            The model to correct, e.g. a fitted
            :class:`~sklearn.neighbors.KernelDensity`,
            :class:`~sklearn.mixture.GaussianMixture` (whose ``sample``
            returns ``(X, labels)``; its first element is used) or a deep
            generative model of :mod:`skratio.deep`. A ``sample`` method with
            a ``random_state`` parameter receives a seed drawn from
            ``random_state``; an estimator whose ``sample`` has none is
            sampled through a copy with its ``random_state`` parameter set to
            such a seed. A callable draws with its own randomness.
        n_samples : int >= 1
            Rows to return.

        Returns
        -------
        X_sir : ndarray of shape (n_samples, n_features)
            The chosen candidates.
        """
        self._validate_params()
        if not (isinstance(n_samples, Integral) and n_samples >= 1):
            raise ValueError(
                f"n_samples must be a positive integer; got {n_samples!r}."
            )
        if self.k is None:
            raise ValueError(
                "sample needs an integer k: each output row is chosen among k "
                "fresh candidates of the generator. k=None only applies to "
                "fit_resample, which resamples a given pool."
            )
        if not (hasattr(generator, "sample") or callable(generator)):
            raise TypeError(
                "generator must have a sample(n) method or be a callable n -> X; "
                f"got {type(generator).__name__}."
            )
        estimator = self._check_ratio_estimator("for the generator's samples")
        rng, k = self._rng(), self.k
        step = self._rows_per_chunk()
        X_sir = None
        n_all_zero = 0
        for start in range(0, n_samples, step):
            n_rows = min(step, n_samples - start)
            seed = int(rng.integers(_MAX_SEED))
            candidates = _draw_candidates(generator, n_rows * k, seed)
            log_weight = _log_weight_from_estimator(estimator, candidates, n_rows * k)
            # Blocks after a shuffle: a generator need not return its draws
            # in random order (GaussianMixture groups them by component).
            blocks = rng.permutation(n_rows * k).reshape(n_rows, k)
            chosen, n_zero = _choose_in_blocks(log_weight, blocks, rng)
            n_all_zero += n_zero
            if X_sir is None:
                X_sir = np.empty((n_samples, candidates.shape[1]), candidates.dtype)
            X_sir[start : start + n_rows] = candidates[chosen]
        _warn_all_zero_blocks(n_all_zero, n_samples, k)
        return X_sir

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "sampler"
        tags.target_tags.required = False
        # Selecting rows accepts anything; weighing them needs what the
        # ratio estimator accepts.
        if self.ratio_estimator is None:
            tags.input_tags.sparse = True
            tags.input_tags.allow_nan = True
        else:
            ratio_tags = get_tags(self.ratio_estimator).input_tags
            tags.input_tags.sparse = ratio_tags.sparse
            tags.input_tags.allow_nan = ratio_tags.allow_nan
        return tags
