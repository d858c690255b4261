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

from ._dask import base_seed, is_dask_collection, partition_seed, predict_lazily
from ._validation import check_weights
from ._weights import warn_if_weights_collapse

_MAX_SEED = np.iinfo(np.int32).max

# Below this many blocks per chunk, one ``np.cumsum`` over the candidates of
# the blocks beats a Python loop over the k candidate rows.
_MIN_BLOCKS_FOR_ROW_LOOP = 256
# Rejection rounds stop once fewer than this share of blocks is left or a
# round accepts fewer than this share of the blocks it tried.
_MIN_SHARE_FOR_REJECTION = 1 / 16
_MAX_REJECTION_ROUNDS = 4


def _inverse_transform(values, rng):
    """Inverse transform sampling in each column of non-negative ``values``.

    Column ``j`` keeps row ``i`` when ``c_{i-1} <= u_j c_k < c_i``, with
    ``c_i`` the cumulative values of the column and ``u_j`` uniform on
    ``[0, 1)``; a column of zeros keeps a uniformly random row. Each column's
    largest value must be 1 or 0, so that the sums neither overflow nor
    underflow. ``values`` of shape ``(k, n_blocks)`` is overwritten.
    """
    k, n_blocks = values.shape
    if n_blocks >= _MIN_BLOCKS_FOR_ROW_LOOP:
        for row in range(1, k):
            np.add(values[row], values[row - 1], out=values[row])
    else:
        np.cumsum(values, axis=0, out=values)
    uniform = rng.random(n_blocks)
    total = values[-1]
    threshold = uniform * total
    # ``u * c_k`` can round up to ``c_k`` when ``u`` is within 2**-53 of 1;
    # capping it below ``c_k`` keeps a trailing zero weight from being chosen.
    np.minimum(threshold, np.nextafter(total, 0.0), out=threshold)
    chosen = np.count_nonzero(values[:-1] <= threshold, axis=0)
    all_zero = total == 0.0
    chosen[all_zero] = (uniform[all_zero] * k).astype(chosen.dtype)
    return chosen


def _choose_in_blocks(values, rng, *, log):
    """Choose one candidate per block with probability ``w / sum(w)`` in the block.

    Two exact samplers, in turn. First, rejection rounds: each block proposes
    a uniformly random candidate ``i`` and keeps it with probability
    ``w_i / max(w)`` of the block; a round costs a few operations per *block*
    and keeps about ``mean(w) / max(w)`` of them. The blocks still undecided
    then use inverse transform sampling (one uniform per block, a cumulative
    sum of the weights scaled by the block's largest), which costs an ``exp``
    per candidate for log-weights. Each rejection trial is independent of the
    previous ones, so a block that leaves the rounds undecided is, given that,
    still to be drawn with probability ``w / sum(w)``: the mixture is exact,
    and whether to run another round may depend on how the others went. For
    weights of moderate spread most blocks are decided in the rounds, which
    saves most of the transcendental functions and all per-candidate
    randomness of a Gumbel-max key (an exponential draw and a logarithm per
    candidate).

    Parameters
    ----------
    values : ndarray of shape (k, n_blocks)
        Column ``j`` holds the weights (or log-weights, ``-inf`` for zero) of
        block ``j``'s candidates; never NaN, negative or ``+inf``. Overwritten.
    rng : numpy.random.Generator
    log : bool
        Whether ``values`` holds log-weights.

    Returns
    -------
    chosen : ndarray of shape (n_blocks,)
        Row in ``values`` of the chosen candidate of each block.
    n_all_zero : int
        Blocks whose weights were all zero; each keeps a uniformly random
        candidate (the limit of equal weights).
    """
    k, n_blocks = values.shape
    top = values.max(axis=0)
    all_zero = top == (-np.inf if log else 0.0)
    n_all_zero = int(all_zero.sum())
    top[all_zero] = 0.0 if log else 1.0
    chosen = np.empty(n_blocks, dtype=np.intp)
    # Blocks still undecided; all-zero blocks go to inverse transform
    # sampling, which keeps a uniform candidate for them.
    undecided = np.flatnonzero(~all_zero)
    for _ in range(_MAX_REJECTION_ROUNDS if k > 1 else 0):
        proposal = rng.integers(0, k, size=len(undecided))
        proposed = values[proposal, undecided]
        uniform = rng.random(len(undecided))
        if log:
            np.subtract(proposed, top[undecided], out=proposed)
            np.exp(proposed, out=proposed)
        else:
            np.divide(proposed, top[undecided], out=proposed)
        accept = uniform < proposed
        chosen[undecided[accept]] = proposal[accept]
        n_tried = len(undecided)
        undecided = undecided[~accept]
        if (
            len(undecided) < _MIN_SHARE_FOR_REJECTION * n_blocks
            or n_tried - len(undecided) < _MIN_SHARE_FOR_REJECTION * n_tried
        ):
            break
    undecided = np.concatenate([undecided, np.flatnonzero(all_zero)])
    rest = values[:, undecided]
    if log:
        np.subtract(rest, top[undecided], out=rest)
        np.exp(rest, out=rest)
    else:
        np.divide(rest, top[undecided], out=rest)
    chosen[undecided] = _inverse_transform(rest, rng)
    return chosen, n_all_zero


def _resample_shuffled(values, positions, k, rng, *, log):
    """SIR over consecutive blocks of ``k`` of shuffled candidates.

    ``values[i]`` is the weight (or log-weight) of the candidate at
    ``positions[i]``, listed in uniformly random order: any fixed grouping of
    the list then makes the blocks uniformly random disjoint ``k``-subsets.
    Block ``j`` takes the candidates ``j, j + m, ..., j + (k - 1) m``
    (``m`` blocks), so that each candidate row of the ``(k, m)`` array is
    contiguous. Returns the chosen positions and the number of blocks whose
    weights were all zero.
    """
    n_blocks = len(values) // k
    block_values = values[: n_blocks * k].reshape(k, n_blocks)
    chosen, n_all_zero = _choose_in_blocks(block_values, rng, log=log)
    block_positions = positions[: n_blocks * k].reshape(k, n_blocks)
    return block_positions[chosen, np.arange(n_blocks)], n_all_zero


def _resample_pool(values, n_samples, k, chunk_size, rng, *, log):
    """SIR over ``n_samples`` disjoint blocks of ``k`` rows of a pool.

    The blocks are consecutive ``k``-tuples of a uniformly random permutation
    of the pool, built by the Rao-Sandelius two-pass shuffle: each row gets a
    uniformly random bucket, then each bucket is shuffled on its own and the
    buckets are concatenated in order; the result is a uniform permutation
    (given the bucket sizes, every arrangement is equally likely). Each
    bucket holds about ``chunk_size`` rows, so both passes work in cache:
    a single permutation of a large pool costs a cache miss per row for
    the shuffle and another for reading the weights in shuffled order, and
    measured several times slower than the two passes at 10^7 rows.

    The first pass gives each chunk of ``chunk_size`` consecutive rows
    multinomial bucket counts and cuts a uniformly random permutation of the
    chunk at them: the same distribution as independent uniform bucket labels,
    and the weights are read in cache. The second pass shuffles each bucket
    (rows left over from the previous bucket, fewer than ``k``, go first:
    they are the next positions of the permutation), cuts it into blocks and
    stops once ``n_samples`` blocks are chosen.
    """
    if n_samples == 0:
        return np.empty(0, dtype=np.intp), 0
    n_pool = len(values)
    chunk_starts = np.arange(0, n_pool, chunk_size)
    chunk_sizes = np.minimum(chunk_size, n_pool - chunk_starts)
    n_buckets = len(chunk_starts)
    # counts[c, b]: rows of chunk c that go to bucket b.
    counts = rng.multinomial(chunk_sizes, np.full(n_buckets, 1.0 / n_buckets))
    bucket_ends = np.cumsum(counts.sum(axis=0))
    # Where the rows of chunk c for bucket b start in the bucket-major layout.
    piece_starts = bucket_ends - counts.sum(axis=0) + np.cumsum(counts, axis=0) - counts
    positions = np.empty(n_pool, dtype=np.intp)
    bucketed = np.empty(n_pool, dtype=values.dtype)
    for start, size, chunk_counts, destinations in zip(
        chunk_starts.tolist(), chunk_sizes.tolist(), counts, piece_starts.tolist()
    ):
        order = rng.permutation(size)
        chunk_values = values[start : start + size][order]
        order += start
        cuts = [0, *np.cumsum(chunk_counts).tolist()]
        for low, high, destination in zip(cuts, cuts[1:], destinations):
            positions[destination : destination + high - low] = order[low:high]
            bucketed[destination : destination + high - low] = chunk_values[low:high]
    chosen = np.empty(n_samples, dtype=np.intp)
    n_chosen = n_all_zero = 0
    bucket_start = 0
    carry_positions = np.empty(0, dtype=np.intp)
    carry_values = np.empty(0, dtype=values.dtype)
    for bucket_end in bucket_ends.tolist():
        if n_chosen == n_samples:
            break
        order = rng.permutation(bucket_end - bucket_start)
        order += bucket_start
        bucket_positions = np.concatenate([carry_positions, positions[order]])
        bucket_values = np.concatenate([carry_values, bucketed[order]])
        bucket_start = bucket_end
        n_blocks = min(len(bucket_positions) // k, n_samples - n_chosen)
        used = n_blocks * k
        chosen[n_chosen : n_chosen + n_blocks], n_zero = _resample_shuffled(
            bucket_values[:used], bucket_positions[:used], k, rng, log=log
        )
        n_chosen += n_blocks
        n_all_zero += n_zero
        carry_positions = bucket_positions[used:]
        carry_values = bucket_values[used:]
    return chosen, n_all_zero


def _generator(random_state):
    """The numpy Generator of a resampler seeded by ``random_state``."""
    seed = check_random_state(random_state).randint(_MAX_SEED)
    # SFC64: a statistically strong generator that draws uniforms and
    # shuffles about 1.5x faster than numpy's default PCG64.
    return np.random.Generator(np.random.SFC64(seed))


def _check_chunk_weights(values, log):
    """Errors for weights a chunk of a dask collection brought."""
    if not (values < np.inf).all():
        problem = "NaN" if np.isnan(values).any() else "infinite"
        raise ValueError(f"The weights of a chunk include {problem} values.")
    if not log and (values < 0).any():
        raise ValueError("The weights of a chunk include negative values.")


def _chunk_sir_positions(values, k, chunk_size, seed, log, block_info=None):
    """Positions in a chunk of its blockwise SIR draws (one per ``k`` rows).

    Chunk number ``i`` is resampled as :meth:`SIRResampler.fit_resample`
    resamples it in memory with ``random_state=partition_seed(seed, i)``.
    """
    _check_chunk_weights(values, log)
    number = block_info[0]["chunk-location"][0]
    n_samples = len(values) // k
    rng = _generator(partition_seed(seed, number))
    positions, n_all_zero = _resample_pool(
        values, n_samples, k, chunk_size, rng, log=log
    )
    _warn_all_zero_blocks(n_all_zero, n_samples, k)
    return positions


def _global_positions(positions, starts, block_info=None):
    return positions + starts[block_info[0]["chunk-location"][0]]


def _take_rows(X, positions):
    return X[positions.ravel()]


def _resample_partition(
    partition, method, log, k, chunk_size, seed, partition_info=None
):
    values = np.asarray(method(partition), dtype=np.float64)
    _check_chunk_weights(values, log)
    n_samples = len(values) // k
    rng = _generator(partition_seed(seed, partition_info["number"]))
    positions, n_all_zero = _resample_pool(
        values, n_samples, k, chunk_size, rng, log=log
    )
    _warn_all_zero_blocks(n_all_zero, n_samples, k)
    return partition.iloc[positions]


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


def _weights_from_estimator(ratio_estimator, X, n_rows):
    """Validated weights of the rows of ``X`` from a fitted ratio estimator.

    Returns ``(values, log)``: log-weights from ``predict_log_weight`` when the
    estimator has it (full precision for tiny and huge weights), else the
    weights of ``predict_weight``.
    """
    name = type(ratio_estimator).__name__
    log = hasattr(ratio_estimator, "predict_log_weight")
    method = "predict_log_weight" if log else "predict_weight"
    values = np.asarray(getattr(ratio_estimator, method)(X), dtype=np.float64)
    if values.shape != (n_rows,):
        raise ValueError(
            f"{name}.{method} must return one value per row, shape ({n_rows},); "
            f"got shape {values.shape}."
        )
    # One pass: ``x < inf`` is False for NaN and for +inf.
    if not (values < np.inf).all():
        problem = "NaN" if np.isnan(values).any() else "infinite"
        raise ValueError(f"{name}.{method} returned {problem} weights.")
    if not log and (values < 0).any():
        raise ValueError(f"{name}.predict_weight returned negative weights.")
    return values, log


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
        memory of :meth:`sample` at about ``chunk_size`` candidate rows; the
        buckets of the shuffle of :meth:`fit_resample` hold about as many
        rows (it also keeps the pool's weights and row numbers in shuffled
        order). A chunk holds at least one block.
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

    **Cost.** Per candidate: one random index of an in-cache shuffle and a
    few vectorised operations; no Python loop per row, and per-candidate
    randomness only for the shuffle. Each block is decided by rejection
    rounds (a uniformly random candidate kept with probability
    ``w / max(w)`` of its block, a few operations per *block*) and, for the
    blocks those leave undecided, by inverse transform sampling on the
    block's cumulative weights; both are exact, see ``_choose_in_blocks``.
    :meth:`fit_resample` shuffles the pool in two cache-friendly passes
    (Rao-Sandelius: rows to random buckets of about ``chunk_size``, then each
    bucket shuffled), a uniformly random permutation without the cache miss
    per row of a single large shuffle.

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
        return _generator(self.random_state)

    def _rows_per_chunk(self):
        return max(1, self.chunk_size // self.k)

    def _pool_weights(self, X, X_checked, sample_weight):
        """Weights of the pool as ``(values, log)``, see ``_weights_from_estimator``."""
        n_pool = X_checked.shape[0]
        if sample_weight is None:
            estimator = self._check_ratio_estimator("for the pool")
            values, log = _weights_from_estimator(estimator, X, n_pool)
        else:
            values, log = check_weights(sample_weight, "sample_weight"), False
            check_consistent_length(X_checked, values)
        if not (values > (-np.inf if log else 0.0)).any():
            raise ValueError(
                "All weights are zero: SIR needs at least one row of positive weight."
            )
        return values, log

    def fit_resample(self, X, y=None, sample_weight=None):
        """Resample the rows of ``X`` by their weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} or dask collection of shape (n_pool, n_features)
            The pool of candidates, e.g. a generative model's samples. Lists,
            dataframes and sparse matrices come back as the same type. A dask
            collection is resampled blockwise and lazily: each chunk
            (partition) of ``n`` rows gives ``n // k`` rows, its blocks exact
            SIR draws among its own rows, chunk ``i`` resampled as this
            method resamples it in memory with a seed made from
            ``random_state`` and ``i`` (``numpy.random.SeedSequence``), so
            the result does not depend on the scheduler; ``k`` must be an
            integer and ``n_samples`` None. ``sample_indices_`` is then a
            lazy dask array of positions (dask arrays) or not set (a dask
            DataFrame's rows keep their index labels). For ``n`` rows by
            weight from the whole collection, see
            :func:`skratio.dask.sample_without_replacement`.
        y : array-like of shape (n_pool,) or (n_pool, n_outputs), default=None
            Targets carried along with the rows (class labels, regression
            targets, anything row-aligned); they do not affect the selection.
            A dask array when ``X`` is one; with a dask DataFrame, keep them
            as columns of ``X``.
        sample_weight : array-like of shape (n_pool,), default=None
            Non-negative, finite weights of the rows. ``None`` takes them from
            ``ratio_estimator.predict_weight(X)``.

        Returns
        -------
        X_res : {array-like, sparse matrix} of shape (n_samples, n_features)
            The chosen rows, ``X[sample_indices_]``; lazy for dask input.
        y_res : array-like of shape (n_samples,) or (n_samples, n_outputs)
            ``y[sample_indices_]``; returned only when ``y`` is given.
        """
        self._validate_params()
        if is_dask_collection(X):
            return self._fit_resample_dask(X, y, sample_weight)
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
        values, log = self._pool_weights(X, X_checked, sample_weight)
        rng = self._rng()
        if self.k is None:
            n_samples = n_pool if self.n_samples is None else self.n_samples
            # Probabilities relative to the largest weight, so that no weight
            # overflows; rows far below it get probabilities that round to 0.
            if log:
                proba = np.exp(values - values.max())
            else:
                proba = values / values.max()
            warn_if_weights_collapse(proba)
            proba /= proba.sum()
            indices = rng.choice(n_pool, size=n_samples, replace=True, p=proba)
        else:
            k = self.k
            if self.n_samples is None and n_pool < k:
                raise ValueError(
                    f"The pool is too small: X has {n_pool} rows, fewer than one "
                    f"block of k={k} candidates."
                )
            n_samples = n_pool // k if self.n_samples is None else self.n_samples
            if n_samples * k > n_pool:
                raise ValueError(
                    f"The pool is too small: {n_samples} rows with k={k} need "
                    f"{n_samples * k} distinct candidates (disjoint blocks, without "
                    f"replacement) but X has {n_pool} rows. Ask for at most "
                    f"{n_pool // k} rows, lower k, or use k=None (resampling with "
                    "replacement)."
                )
            indices, n_all_zero = _resample_pool(
                values, n_samples, k, max(self.chunk_size, k), rng, log=log
            )
            _warn_all_zero_blocks(n_all_zero, n_samples, k)
        self.sample_indices_ = indices
        # Index what the caller passed, so lists and dataframes keep their
        # type, columns and dtypes; sparse input is indexed in CSR/CSC form.
        X_res = _safe_indexing(X_checked if sparse.issparse(X) else X, indices)
        if y is None:
            return X_res
        return X_res, _safe_indexing(y, indices)

    def _fit_resample_dask(self, X, y, sample_weight):
        """Blockwise SIR of a dask collection, lazily; see :meth:`fit_resample`."""
        import dask.array as da

        if self.k is None or self.n_samples is not None:
            raise ValueError(
                "On a dask collection, SIRResampler resamples each chunk on its "
                "own (blockwise SIR): it needs an integer k and n_samples=None "
                "(each chunk of n rows gives n // k rows). To draw n rows by "
                "weight from the whole collection, use "
                "skratio.dask.sample_without_replacement."
            )
        k, seed = self.k, base_seed(self.random_state)
        chunk_size = max(self.chunk_size, k)
        if not isinstance(X, da.Array):
            if y is not None or sample_weight is not None:
                raise TypeError(
                    "For a dask DataFrame, SIRResampler takes the weights from "
                    "ratio_estimator and carries no separate y or sample_weight: "
                    "keep such values as columns of X."
                )
            method = self._dask_weight_method()
            self.n_features_in_ = len(X.columns)
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            # Row positions would need every partition's length, i.e. a pass
            # over the data; the resampled rows keep their index labels.
            if hasattr(self, "sample_indices_"):
                del self.sample_indices_
            return X.map_partitions(
                _resample_partition,
                method,
                method.__name__ == "predict_log_weight",
                k,
                chunk_size,
                seed,
                meta=X._meta,
            )
        if X.ndim != 2:
            raise ValueError(
                f"Expected a 2-D dask array of shape (n_samples, n_features); got "
                f"{X.ndim} dimensions."
            )
        if X.numblocks[1] != 1:
            X = X.rechunk({1: -1})
        self.n_features_in_ = X.shape[1]
        if sample_weight is None:
            method = self._dask_weight_method()
            values = predict_lazily(method, X)
            log = method.__name__ == "predict_log_weight"
        else:
            values, log = da.asarray(sample_weight).rechunk((X.chunks[0],)), False
        positions = values.map_blocks(
            _chunk_sir_positions,
            k,
            chunk_size,
            seed,
            log,
            chunks=(tuple(n // k for n in X.chunks[0]),),
            dtype=np.intp,
            meta=np.empty(0, dtype=np.intp),
        )
        starts = np.concatenate([[0], np.cumsum(X.chunks[0])[:-1]])
        self.sample_indices_ = positions.map_blocks(
            _global_positions, starts, dtype=np.intp
        )
        X_res = da.map_blocks(
            _take_rows,
            X,
            positions[:, None],
            chunks=(positions.chunks[0], X.chunks[1]),
            dtype=X.dtype,
            meta=X._meta,
        )
        if y is None:
            return X_res
        y = da.asarray(y).rechunk((X.chunks[0],) + y.shape[1:])
        if y.ndim == 1:
            y_res = da.map_blocks(_take_rows, y, positions, dtype=y.dtype)
        else:
            y_res = da.map_blocks(
                _take_rows,
                y.rechunk({1: -1}),
                positions[:, None],
                chunks=(positions.chunks[0], (y.shape[1],)),
                dtype=y.dtype,
            )
        return X_res, y_res

    def _dask_weight_method(self):
        estimator = self._check_ratio_estimator("for the dask collection")
        if hasattr(estimator, "predict_log_weight"):
            return estimator.predict_log_weight
        return estimator.predict_weight

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
            values, log = _weights_from_estimator(estimator, candidates, n_rows * k)
            # Blocks after a shuffle: a generator need not return its draws
            # in random order (GaussianMixture groups them by component).
            order = rng.permutation(n_rows * k)
            chosen, n_zero = _resample_shuffled(values[order], order, k, rng, log=log)
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
