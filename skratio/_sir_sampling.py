"""The SIR algorithm on log-weights, in numpy: no estimator, no validation of X.

Every entry point of :class:`~skratio.SIRResampler` (and of
:mod:`skratio.dask`) turns what it is given into log-weights once, with
:func:`log_of_weights` (weights) or
:func:`~skratio._validation.check_weight_values` with ``log=True`` (a ratio
estimator's ``predict_log_weight``); the sampler then works on log-weights
only, which keep tiny and huge weights at full precision. A zero weight is a
log-weight of ``-inf``.
"""

import warnings

import numpy as np

from ._protocol import derive_seed
from ._validation import check_weights
from ._weights import first_frame_outside_the_libraries, warn_if_weights_collapse

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


def _choose_by_weight(members, rng):
    """In each column of packed candidates, one with probability ``w / sum(w)``.

    Returns the chosen rows of the pool and the number of columns of
    ``members`` whose weights were all zero (each keeps a uniformly random
    candidate, the limit of equal weights).
    """
    member_values = members.real.copy()
    # Scaled by each column's largest weight, so that sums neither overflow
    # nor lose the column's small weights to underflow.
    block_top = member_values.max(axis=0)
    all_zero = block_top == -np.inf
    block_top[all_zero] = 0.0
    np.subtract(member_values, block_top, out=member_values)
    np.exp(member_values, out=member_values)
    slot = _inverse_transform(member_values, rng)
    return members.imag[slot, np.arange(members.shape[1])], int(all_zero.sum())


def resample_pool(log_weight, n_samples, k, group_size, rng):
    """SIR over the first ``n_samples`` blocks of ``k`` of a random order of the pool.

    ``log_weight`` holds the pool's log-weights (``-inf`` for a zero weight),
    of which at least one is finite for the blocks to be weighed; ``rng`` is a
    numpy Generator (:func:`sir_generator`) and ``group_size`` the rows
    shuffled at once when the order is built.

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
    order = _RandomOrder(log_weight, group_size, rng)
    top = log_weight.max()
    if top == -np.inf:
        # No weight to reject against: every block keeps a uniform candidate.
        no_candidates = np.empty((0, n_samples), dtype=np.complex128)
        return _resample_whole_blocks(order, no_candidates, k, rng)
    chosen = np.empty(n_samples, dtype=np.intp)
    n_all_zero = 0
    # Blocks in batches: the order is the same whichever blocks look first.
    for start in range(0, n_samples, _MAX_BATCH):
        stop = min(start + _MAX_BATCH, n_samples)
        chosen[start:stop], n_zero = _resample_blocks(order, stop - start, k, top, rng)
        n_all_zero += n_zero
    return chosen, n_all_zero


def _resample_blocks(order, n_blocks, k, top, rng):
    """SIR over the next ``n_blocks`` blocks of ``order``; see ``resample_pool``.

    ``top``, the pool's largest log-weight, must be finite.
    """
    chosen = np.empty(n_blocks, dtype=np.intp)
    # Every block reveals its first candidate and keeps it with probability
    # w / top.
    first = order.take(n_blocks, reserve=n_blocks)
    mass = _mass(first, top)
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
            chosen[undecided[hit]], _ = _choose_by_weight(seen[:, hit], rng)
        reveal = np.flatnonzero(~pick_seen)
        new = order.take(len(reveal), reserve=len(reveal))
        mass = _mass(new, top)
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
    chosen[undecided], n_all_zero = _resample_whole_blocks(order, seen, k, rng)
    return chosen, n_all_zero


def _resample_whole_blocks(order, seen, k, rng):
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
        chosen[start:stop], n_zero = _choose_by_weight(members, rng)
        n_all_zero += n_zero
    return chosen, n_all_zero


def _mass(packed, top):
    """The weights of packed candidates over the largest weight, ``exp(top)``."""
    return np.exp(packed.real - top)


def draw_with_replacement(log_weight, n_samples, rng):
    """``n_samples`` rows drawn with replacement, row ``i`` w.p. ``w_i / sum(w)``.

    The ``k -> infinity`` limit of SIR for a given pool; warns when the
    weights collapse (:func:`~skratio._weights.warn_if_weights_collapse`).
    """
    # Probabilities relative to the largest weight, so that no weight
    # overflows; rows far below it get probabilities that round to 0.
    proba = np.exp(log_weight - log_weight.max())
    warn_if_weights_collapse(proba)
    proba /= proba.sum()
    return rng.choice(len(proba), size=n_samples, replace=True, p=proba)


def sir_generator(random_state):
    """The numpy Generator of a resampler seeded by ``random_state``."""
    # SFC64: a statistically strong generator that draws uniforms and
    # shuffles about 1.5x faster than numpy's default PCG64.
    return np.random.Generator(np.random.SFC64(derive_seed(random_state)))


def log_of_weights(weights, name="sample_weight"):
    """The logs of checked weights (``-inf`` for a zero): 1-D float64.

    Raises a ValueError naming ``name`` for weights that are negative, NaN or
    infinite (:func:`~skratio._validation.check_weights`).
    """
    weights = check_weights(weights, name)
    with np.errstate(divide="ignore"):
        return np.log(weights)


def warn_all_zero_blocks(n_all_zero, n_blocks, k):
    """Warn that ``n_all_zero`` of ``n_blocks`` blocks kept a zero-weight row."""
    if n_all_zero:
        warnings.warn(
            f"{n_all_zero} of {n_blocks} blocks of k={k} candidates had only zero "
            "weights; a uniformly random candidate was kept for each. Those rows "
            "have zero weight under the target distribution: use a larger k, or "
            "check the weights.",
            UserWarning,
            stacklevel=first_frame_outside_the_libraries(),
        )
