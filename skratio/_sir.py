"""Sampling-importance-resampling (SIR) with density-ratio weights."""

import warnings

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from ._compat import HasMethods, _safe_indexing
from ._dask import base_seed, is_dask_collection, partition_seed, predict_lazily
from ._generators import MAX_SEED, draw_rows
from ._validation import IntegerInterval, check_positive_int, check_weights
from ._weights import warn_if_weights_collapse

# Each pool row gets an independent uniform label of this many bits; the
# random order of the pool lists the rows label range by label range.
_LABEL_BITS = 16
# The blocks reveal their candidates in step while a step decides at least
# this share of the blocks it tries (below it, a step costs more per block
# decided than revealing the rest of the blocks' candidates at once), and
# while the blocks left would need more than this many reveals to see all
# their candidates (fewer cost less than a step's fixed overhead).
_MIN_DECIDED_SHARE = 1 / 8
_MIN_REVEALS_FOR_STEP = 1024
# Labels scanned at once when revealing rows: small enough for the cache.
_SCAN_CHUNK = 2**17
# Rows revealed at once at most, and blocks resampled at once: they bound the
# memory of a large pool to a few arrays of this many rows.
_MAX_SEGMENT = 2**21
_MAX_BATCH = 2**20


def _inverse_transform(values, rng):
    """Inverse transform sampling in each column of non-negative ``values``.

    Column ``j`` keeps row ``i`` when ``c_{i-1} <= u_j c_k < c_i``, with
    ``c_i`` the cumulative values of the column and ``u_j`` uniform on
    ``[0, 1)``; a column of zeros keeps a uniformly random row. Each column's
    largest value must be 1 or 0, so that the sums neither overflow nor
    underflow. ``values`` of shape ``(k, n_blocks)`` is overwritten.
    """
    k, n_blocks = values.shape
    # Row by row: contiguous adds, where a cumulative sum along columns
    # would loop over short rows.
    for row in range(1, k):
        np.add(values[row], values[row - 1], out=values[row])
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


def _random_bits(rng, n, dtype):
    """``n`` independent uniform integers of all the bits of an unsigned ``dtype``."""
    itemsize = np.dtype(dtype).itemsize
    # Several per raw 64-bit draw: a fraction of the cost of bounded integers.
    raw = rng.bit_generator.random_raw(-(-n * itemsize // 8))
    return raw.view(dtype)[:n]


class _RandomOrder:
    """The rows of a pool in uniformly random order, revealed as they are needed.

    Rows come packed with their values as ``value + 1j * row`` (row numbers
    below 2**53 are exact in float64), so that moving a candidate is one
    gather instead of two.

    Each row gets an independent uniform 16-bit label (Rao-Sandelius); the
    order lists the rows of labels ``[0, l_1)``, then ``[l_1, l_2)``, and
    so on, each range shuffled on its own. Given which rows fall in each
    range, every arrangement is equally likely, so the order is a uniformly
    random permutation. The ends ``l_i`` are chosen when rows are needed,
    from what was revealed so far: the rows not yet revealed still have
    independent labels uniform on ``[l_i, 2**16)``, so the next range is a
    uniformly random subset of them whatever was seen, and the order stays
    uniform. Only the rows revealed are shuffled and gathered; the others
    cost a label and a comparison. A range of more than ``group_size`` rows
    is shuffled the same way in two passes: its rows go to random groups of
    about ``group_size`` (a radix sort by a random byte), then each group is
    shuffled in cache; one shuffle of a large array costs a cache miss per
    row.
    """

    def __init__(self, values, group_size, rng):
        self.values = values
        self.group_size = group_size
        self.rng = rng
        self.labels = _random_bits(rng, len(values), np.uint16)
        self.low = 0
        self.n_unrevealed = len(values)
        # Revealed rows not yet taken, in order.
        self.ready = []
        self.n_ready = 0

    def take(self, n_rows, reserve=0):
        """The next ``n_rows`` packed rows of the order.

        When rows must be revealed, about ``reserve`` more are revealed at
        once, since each reveal scans all the labels.
        """
        if n_rows > self.n_ready:
            self._reveal(n_rows - self.n_ready, reserve)
        rows, n_missing = [], n_rows
        while n_missing:
            part = self.ready[0]
            rows.append(part[:n_missing])
            if len(part) > n_missing:
                self.ready[0] = part[n_missing:]
            else:
                self.ready.pop(0)
            n_missing -= len(rows[-1])
        self.n_ready -= n_rows
        if len(rows) == 1:
            return rows[0]
        return np.concatenate(rows) if rows else np.empty(0, dtype=np.complex128)

    def _reveal(self, missing, reserve):
        n_labels = 2**_LABEL_BITS
        while missing > 0:
            rows_per_label = self.n_unrevealed / (n_labels - self.low)
            wanted = min(missing + reserve, max(missing, _MAX_SEGMENT))
            # A few standard deviations more than wanted, so that one range
            # usually suffices.
            width = int(np.ceil((wanted + 4 * np.sqrt(wanted) + 1) / rows_per_label))
            high = min(n_labels, self.low + width)
            segment = self._shuffled_range(high, rows_per_label * (high - self.low))
            if len(segment):
                self.ready.append(segment)
            missing -= len(segment)
            reserve = 0
            self.n_ready += len(segment)
            self.n_unrevealed -= len(segment)
            self.low = high

    def _shuffled_range(self, high, n_expected):
        """The packed rows of labels ``[low, high)`` in uniformly random order."""
        # A power of two of groups, so that random bits pick them uniformly.
        n_groups = 2 ** max(0, int(np.ceil(np.log2(n_expected / self.group_size))))
        group_dtype = np.uint8 if n_groups <= 256 else np.uint16
        width = high - self.low
        # First pass, chunk by chunk of the pool so that the work stays in
        # cache: the rows of the range, packed and sorted by a random group.
        pieces = [[] for _ in range(n_groups)]
        for start in range(0, len(self.values), _SCAN_CHUNK):
            labels = self.labels[start : start + _SCAN_CHUNK]
            # Labels below ``low`` wrap around to at least ``2**16 - low``.
            rows = np.flatnonzero((labels - np.uint16(self.low)) < width)
            packed = np.empty(len(rows), dtype=np.complex128)
            packed.real = self.values[start : start + _SCAN_CHUNK][rows]
            packed.imag = rows
            packed.imag += start
            if n_groups == 1:
                pieces[0].append(packed)
                continue
            groups = _random_bits(self.rng, len(rows), group_dtype)
            groups &= group_dtype(n_groups - 1)
            packed = packed[np.argsort(groups, kind="stable")]
            ends = np.cumsum(np.bincount(groups, minlength=n_groups)).tolist()
            for group, first, last in zip(pieces, [0, *ends], ends):
                group.append(packed[first:last])
        # Second pass: each group shuffled on its own.
        n_rows = sum(len(piece) for group in pieces for piece in group)
        shuffled = np.empty(n_rows, dtype=np.complex128)
        start = 0
        for group in pieces:
            group = np.concatenate(group)
            order = self.rng.permutation(len(group))
            np.take(group, order, out=shuffled[start : start + len(group)])
            start += len(group)
        return shuffled


def _choose_by_weight(members, rng, log):
    """In each column of packed candidates, one with probability ``w / sum(w)``.

    Returns the chosen rows of the pool and the number of columns of
    ``members`` whose weights were all zero (each keeps a uniformly random
    candidate, the limit of equal weights).
    """
    member_values = members.real.copy()
    # Scaled by each column's largest weight, so that sums neither overflow
    # nor lose the column's small weights to underflow.
    block_top = member_values.max(axis=0)
    all_zero = block_top == (-np.inf if log else 0.0)
    block_top[all_zero] = 0.0 if log else 1.0
    if log:
        np.subtract(member_values, block_top, out=member_values)
        np.exp(member_values, out=member_values)
    else:
        np.divide(member_values, block_top, out=member_values)
    slot = _inverse_transform(member_values, rng)
    return members.imag[slot, np.arange(members.shape[1])], int(all_zero.sum())


def _resample_pool(values, n_samples, k, group_size, rng, *, log):
    """SIR over the first ``n_samples`` blocks of ``k`` of a random order of the pool.

    The blocks are consecutive ``k``-tuples of a uniformly random permutation
    of the pool's rows, so they are uniformly random disjoint ``k``-subsets;
    each block keeps one candidate with probability ``w / sum(w)`` in the
    block. The permutation is revealed lazily (``_RandomOrder``), only where
    the selection looks, and the blocks reveal their candidates one at a
    time, in step.

    The selection is rejection sampling with the pool's largest weight
    ``top`` as the bound: propose one of the block's ``k`` slots uniformly at
    random, keep its candidate with probability ``w / top``, else try again.
    It is run without its repeated proposals. A block that has seen ``t``
    candidates of weights summing to ``S`` either keeps one of them, with
    probability ``S / (S + (k - t) top)`` (the sampler proposes and keeps a
    seen slot before it first proposes an unseen one), chosen with
    probability ``w / S`` (what the sampler's choice among the seen slots
    amounts to), or reveals its next candidate (the unseen slots hold
    uniformly random rows of those not yet revealed, so which slot does not
    matter) and keeps it with probability ``w / top``. For weights of
    moderate spread (``mean / top`` of 1/2 when uniform) a block is decided
    after about two reveals of its ``k``; the other rows of the pool are
    never moved.

    When a step decides too few blocks (heavy tails, where ``top`` is far
    above most blocks' weights), the blocks left reveal all their candidates
    and choose among them directly. The sampler, stopped at any point without
    a decision, is still to draw with probability ``w / sum(w)`` over the
    whole block, so the mixture is exact, and when to stop may depend on how
    the steps went.

    Returns the chosen rows and the number of blocks whose weights were all
    zero (each keeps a uniformly random candidate, the limit of equal
    weights).
    """
    order = _RandomOrder(values, group_size, rng)
    top = values.max()
    if top == (-np.inf if log else 0.0):
        # No weight to reject against: every block keeps a uniform candidate.
        no_candidates = np.empty((0, n_samples), dtype=np.complex128)
        return _resample_whole_blocks(order, no_candidates, k, rng, log)
    chosen = np.empty(n_samples, dtype=np.intp)
    n_all_zero = 0
    # Blocks in batches: the order is the same whichever blocks look first.
    for start in range(0, n_samples, _MAX_BATCH):
        stop = min(start + _MAX_BATCH, n_samples)
        chosen[start:stop], n_zero = _resample_blocks(
            order, stop - start, k, top, rng, log
        )
        n_all_zero += n_zero
    return chosen, n_all_zero


def _resample_blocks(order, n_blocks, k, top, rng, log):
    """SIR over the next ``n_blocks`` blocks of ``order``; see ``_resample_pool``.

    ``top``, the pool's largest weight, must be positive.
    """
    chosen = np.empty(n_blocks, dtype=np.intp)
    # Every block reveals its first candidate and keeps it with probability
    # w / top.
    first = order.take(n_blocks, reserve=n_blocks)
    mass = _mass(first, top, log)
    accept = rng.random(n_blocks) < mass
    chosen[accept] = first.imag[accept]
    left = ~accept
    undecided = np.flatnonzero(left)
    # seen[:, j]: the packed candidates that undecided block j revealed, and
    # seen_mass[j] the sum of their weights over ``top``.
    seen = first[left][None]
    seen_mass = mass[left]
    n_tried = n_blocks
    for n_seen in range(1, k):
        n_left = len(undecided)
        if (
            n_left * (k - n_seen) <= _MIN_REVEALS_FOR_STEP
            or n_left > (1 - _MIN_DECIDED_SHARE) * n_tried
        ):
            break
        n_tried = n_left
        pick_seen = rng.random(n_left) * (seen_mass + (k - n_seen)) < seen_mass
        hit = np.flatnonzero(pick_seen)
        if len(hit):
            chosen[undecided[hit]], _ = _choose_by_weight(seen[:, hit], rng, log)
        reveal = np.flatnonzero(~pick_seen)
        new = order.take(len(reveal), reserve=len(reveal))
        mass = _mass(new, top, log)
        accept = rng.random(len(reveal)) < mass
        chosen[undecided[reveal[accept]]] = new.imag[accept]
        # The blocks left are those that revealed a candidate and did not
        # keep it, in the same order.
        left = ~pick_seen
        left[reveal[accept]] = False
        kept = ~accept
        undecided = undecided[left]
        next_seen = np.empty((n_seen + 1, len(undecided)), dtype=seen.dtype)
        np.compress(left, seen, axis=1, out=next_seen[:n_seen])
        next_seen[n_seen] = new[kept]
        seen = next_seen
        seen_mass = seen_mass[left] + mass[kept]
    chosen[undecided], n_all_zero = _resample_whole_blocks(order, seen, k, rng, log)
    return chosen, n_all_zero


def _resample_whole_blocks(order, seen, k, rng, log):
    """Blocks that reveal the rest of their candidates and choose among them.

    ``seen[:, j]`` holds the candidates block ``j`` revealed so far. The
    blocks go in batches of at most ``_MAX_SEGMENT`` candidates, which bound
    the memory. Returns the chosen rows and the number of all-zero blocks.
    """
    n_seen, n_blocks = seen.shape
    chosen = np.empty(n_blocks, dtype=np.intp)
    n_all_zero = 0
    batch = max(1, _MAX_SEGMENT // k)
    for start in range(0, n_blocks, batch):
        stop = min(start + batch, n_blocks)
        # The later batches' candidates are revealed with this one's, up to
        # the largest segment.
        rest = order.take(
            (k - n_seen) * (stop - start), reserve=(k - n_seen) * (n_blocks - stop)
        )
        members = np.empty((k, stop - start), dtype=np.complex128)
        members[:n_seen] = seen[:, start:stop]
        members[n_seen:] = rest.reshape(k - n_seen, stop - start)
        chosen[start:stop], n_zero = _choose_by_weight(members, rng, log)
        n_all_zero += n_zero
    return chosen, n_all_zero


def _mass(packed, top, log):
    """The weights of packed candidates over ``top``."""
    return np.exp(packed.real - top) if log else packed.real / top


def _generator(random_state):
    """The numpy Generator of a resampler seeded by ``random_state``."""
    seed = check_random_state(random_state).randint(MAX_SEED)
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


def _aligned_chunks(chunks, k):
    """Row chunks of the same rows whose boundaries fall on multiples of ``k``.

    Each boundary moves back to a multiple of ``k`` (fewer than ``k`` rows
    change chunk) and empty chunks go, so only the last chunk has rows left
    over, as many as in memory (``n % k``).
    """
    total = int(np.sum(chunks))
    bounds = np.unique(np.r_[0, np.cumsum(chunks)[:-1] // k * k, total])
    return tuple(int(size) for size in np.diff(bounds))


def _warn_left_over(n_rows, k, number):
    """Warn that the last ``n_rows % k`` rows of chunk ``number`` are not used."""
    left_over = n_rows % k
    if left_over:
        warnings.warn(
            f"Blockwise SIR: chunk {number} has {n_rows} rows, so {left_over} of "
            f"them (fewer than one block of k={k}) are not candidates and it "
            f"gives {n_rows // k} rows. Repartition to multiples of k rows to use "
            "every row.",
            UserWarning,
            stacklevel=3,
        )


def _chunk_sir_positions(
    values, k, chunk_size, seed, log, warn_left_over, block_info=None
):
    """Positions in a chunk of its blockwise SIR draws (one per ``k`` rows).

    Chunk number ``i`` is resampled as :meth:`SIRResampler.fit_resample`
    resamples it in memory with ``random_state=partition_seed(seed, i)``.
    """
    _check_chunk_weights(values, log)
    number = block_info[0]["chunk-location"][0]
    if warn_left_over:
        _warn_left_over(len(values), k, number)
    n_samples = len(values) // k
    rng = _generator(partition_seed(seed, number))
    positions, n_all_zero = _resample_pool(
        values, n_samples, k, chunk_size, rng, log=log
    )
    _warn_all_zero_blocks(n_all_zero, n_samples, k)
    return positions


def _check_dask_rows(X, values, name, one_dimensional=False):
    """``values`` (a dask array) with one entry per row of ``X``, or an error.

    Lengths unknown until computed (NaN) are not compared.
    """
    n_rows, n_values = X.shape[0], values.shape[0] if values.ndim else 0
    if (
        values.ndim == 0
        or (one_dimensional and values.ndim != 1)
        or not (np.isnan(n_rows) or np.isnan(n_values) or n_rows == n_values)
    ):
        shape = "one value" if one_dimensional else "one entry"
        raise ValueError(
            f"{name} must have {shape} per row of X: X has {n_rows} rows, "
            f"{name} has shape {values.shape}."
        )
    return values


def _global_positions(positions, starts, block_info=None):
    return positions + starts[block_info[0]["chunk-location"][0]]


def _take_rows(X, positions):
    return X[positions.ravel()]


def _resample_partition(
    partition, method, log, k, chunk_size, seed, partition_info=None
):
    values = np.asarray(method(partition), dtype=np.float64)
    _check_chunk_weights(values, log)
    # A partition's length is known only here: warn rather than realign.
    _warn_left_over(len(values), k, partition_info["number"])
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
        random order of the pool in :meth:`fit_resample` is shuffled in
        groups of about as many rows. A chunk holds at least one block.
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
    shuffle. :meth:`fit_resample` cuts a uniformly random order of the pool
    into blocks; each block gives one output row. Every pool row is a candidate at most
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

    **Cost.** The random order is only revealed where the selection looks.
    Each block keeps a candidate by exact rejection sampling with the
    largest weight of the pool as the bound, run without its repeated
    proposals: the blocks reveal their candidates one at a time, in step,
    and stop as soon as they keep one (see ``_resample_pool``). When the
    largest weight is about twice the mean (weights uniform on (0, 1)), a
    block reveals about two of its ``k`` candidates; the rows never looked
    at cost a random 16-bit label and a comparison each, and are never
    moved. With heavy-tailed weights (the largest far above most blocks'
    weights), the blocks reveal all their candidates and choose among them
    by inverse transform sampling; every row of the pool is then moved once
    into a random order, built in cache-sized groups (Rao-Sandelius) rather
    than by one shuffle of the whole pool, which costs a cache miss per
    row. There is no Python loop per row or per block.

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
        "k": [IntegerInterval(1, None, closed="left"), None],
        "n_samples": [IntegerInterval(1, None, closed="left"), None],
        "chunk_size": [IntegerInterval(1, None, closed="left")],
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
            integer and ``n_samples`` None. A dask array's chunks are first
            realigned on multiples of ``k`` rows, so that, as in memory, only
            the last ``n_pool % k`` rows are left out (a pool of fewer than
            ``k`` rows is an error); chunks (partitions) whose length is
            unknown until computed warn of the rows each leaves out.
            ``sample_indices_`` is then a lazy dask array of positions (dask
            arrays) or not set (a dask DataFrame's rows keep their index
            labels). For ``n`` rows by
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
        if y is not None:
            y = _check_dask_rows(X, da.asarray(y), "y")
        if sample_weight is not None:
            sample_weight = _check_dask_rows(
                X, da.asarray(sample_weight), "sample_weight", one_dimensional=True
            )
        # Chunks of known lengths are realigned on multiples of k, so that
        # no chunk leaves rows out but the last (as in memory); the lengths
        # of others are known only when computed, which warns instead.
        known = not np.isnan(X.shape[0])
        if known:
            if X.shape[0] < k:
                raise ValueError(
                    f"The pool is too small: X has {X.shape[0]} rows, fewer than "
                    f"one block of k={k} candidates."
                )
            aligned = _aligned_chunks(X.chunks[0], k)
            if aligned != X.chunks[0]:
                X = X.rechunk({0: aligned})
        self.n_features_in_ = X.shape[1]
        if sample_weight is None:
            method = self._dask_weight_method()
            values = predict_lazily(method, X)
            log = method.__name__ == "predict_log_weight"
        else:
            values, log = sample_weight.rechunk((X.chunks[0],)), False
        positions = values.map_blocks(
            _chunk_sir_positions,
            k,
            chunk_size,
            seed,
            log,
            not known,
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
        y = y.rechunk((X.chunks[0],) + y.shape[1:])
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
        n_samples = check_positive_int(n_samples, "n_samples")
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
            seed = int(rng.integers(MAX_SEED))
            # Seeded per chunk, so every chunk draws fresh rows, reproducibly.
            candidates = draw_rows(generator, n_rows * k, seed)
            values, log = _weights_from_estimator(estimator, candidates, n_rows * k)
            # Blocks of a random order: a generator need not return its
            # draws in random order (GaussianMixture groups them by component).
            chosen, n_zero = _resample_pool(values, n_rows, k, n_rows * k, rng, log=log)
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
