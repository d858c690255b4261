"""Blockwise SIR of dask collections: each chunk (partition) resampled on its own.

Chunk number ``i`` is resampled exactly as
:meth:`~skratio.SIRResampler.fit_resample` resamples it in memory with
``random_state=partition_seed(seed, i)``, so the result does not depend on the
scheduler. Imported only once the caller passed a dask collection.
"""

import warnings

import dask.array as da
import numpy as np

from ._dask import in_row_chunks, partition_seed
from ._sir_sampling import (
    resample_pool,
    sir_generator,
    warn_all_zero_blocks,
)
from ._validation import check_weight_values


def _aligned_chunks(chunks, k):
    """Row chunks of the same rows whose boundaries fall on multiples of ``k``.

    Each boundary moves back to a multiple of ``k`` (fewer than ``k`` rows
    change chunk) and empty chunks go, so only the last chunk has rows left
    over, as many as in memory (``n % k``).
    """
    total = int(np.sum(chunks))
    bounds = np.unique(np.r_[0, np.cumsum(chunks)[:-1] // k * k, total])
    return tuple(int(size) for size in np.diff(bounds))


def _check_rows(X, values, name, one_dimensional=False):
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


def check_pool(X, y, sample_weight, k):
    """A dask array pool, its ``y`` and ``sample_weight``, checked and aligned.

    Returns ``(X, y, sample_weight)`` with ``X`` in one chunk of columns and,
    where the chunks' lengths are known, rechunked on multiples of ``k`` rows
    (so that, as in memory, only the last ``n_pool % k`` rows are left out);
    ``y`` and ``sample_weight`` (or None) come chunked as ``X``'s rows.
    """
    X = in_row_chunks(X)
    if y is not None:
        y = _check_rows(X, da.asarray(y), "y")
    if sample_weight is not None:
        sample_weight = _check_rows(
            X, da.asarray(sample_weight), "sample_weight", one_dimensional=True
        )
    # Chunks of known lengths are realigned on multiples of k, so that no
    # chunk leaves rows out but the last (as in memory); the lengths of
    # others are known only when computed, which warns instead.
    if not np.isnan(X.shape[0]):
        if X.shape[0] < k:
            raise ValueError(
                f"The pool is too small: X has {X.shape[0]} rows, fewer than "
                f"one block of k={k} candidates."
            )
        aligned = _aligned_chunks(X.chunks[0], k)
        if aligned != X.chunks[0]:
            X = X.rechunk({0: aligned})
    if y is not None:
        y = y.rechunk((X.chunks[0],) + y.shape[1:])
    if sample_weight is not None:
        sample_weight = sample_weight.rechunk((X.chunks[0],))
    return X, y, sample_weight


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


def _resample_chunk(log_weight, k, chunk_size, seed, number):
    """Positions in chunk ``number`` of its SIR draws, one per ``k`` rows."""
    n_samples = len(log_weight) // k
    if not n_samples:
        # Not a whole block (only a chunk of unknown length can be so short).
        return np.empty(0, dtype=np.intp)
    rng = sir_generator(partition_seed(seed, number))
    positions, n_all_zero = resample_pool(log_weight, n_samples, k, chunk_size, rng)
    warn_all_zero_blocks(n_all_zero, n_samples, k)
    return positions


def _chunk_positions(log_weight, k, chunk_size, seed, warn_left_over, block_info=None):
    number = block_info[0]["chunk-location"][0]
    if warn_left_over:
        _warn_left_over(len(log_weight), k, number)
    return _resample_chunk(log_weight, k, chunk_size, seed, number)


def _n_rows(block):
    return np.array([len(block)])


def _chunk_starts(log_weight):
    """The position of each chunk's first row: a dask array of one entry a chunk.

    Lazy where the chunks' lengths are known only when computed.
    """
    if np.isnan(log_weight.shape[0]):
        n_rows = log_weight.map_blocks(
            _n_rows, chunks=((1,) * log_weight.numblocks[0],), dtype=np.intp
        )
        return da.cumsum(n_rows) - n_rows
    starts = np.cumsum((0,) + log_weight.chunks[0][:-1])
    return da.from_array(starts.astype(np.intp), chunks=1)


def _shifted(positions, start):
    return positions + start[0]


def _take_rows(X, positions):
    return X[positions.ravel()]


def _take(values, positions):
    """The rows ``positions`` of each chunk of ``values``, lazily.

    Chunk by chunk, not by global positions: lengths unknown until computed
    (NaN) are never needed.
    """
    if values.ndim == 1:
        return da.map_blocks(_take_rows, values, positions, dtype=values.dtype)
    values = values.rechunk({1: -1})
    return da.map_blocks(
        _take_rows,
        values,
        positions[:, None],
        chunks=(positions.chunks[0], (values.shape[1],)),
        dtype=values.dtype,
        meta=values._meta,
    )


def resample_array(X, y, log_weight, k, chunk_size, seed):
    """Blockwise SIR of a dask array pool checked by :func:`check_pool`.

    Returns ``(positions, X_res, y_res)``, all lazy: the positions in ``X``
    of the chosen rows, the rows, and ``y``'s rows (None without ``y``).
    """
    local = log_weight.map_blocks(
        _chunk_positions,
        k,
        chunk_size,
        seed,
        np.isnan(X.shape[0]),
        chunks=(tuple(n // k for n in X.chunks[0]),),
        dtype=np.intp,
        meta=np.empty(0, dtype=np.intp),
    )
    positions = da.map_blocks(_shifted, local, _chunk_starts(log_weight), dtype=np.intp)
    y_res = None if y is None else _take(y, local)
    return positions, _take(X, local), y_res


def _resample_partition(
    partition, method, source, k, chunk_size, seed, partition_info=None
):
    number, n_rows = partition_info["number"], len(partition)
    # A partition's length is known only here: warn rather than realign.
    _warn_left_over(n_rows, k, number)
    if n_rows < k:
        return partition.iloc[:0]
    log_weight = check_weight_values(method(partition), source, n_rows=n_rows, log=True)
    return partition.iloc[_resample_chunk(log_weight, k, chunk_size, seed, number)]


def resample_frame(X, ratio_estimator, k, chunk_size, seed):
    """Blockwise SIR of a dask DataFrame by its ratio estimator's weights, lazily.

    The chosen rows keep their index labels.
    """
    source = f"{type(ratio_estimator).__name__}.predict_log_weight"
    return X.map_partitions(
        _resample_partition,
        ratio_estimator.predict_log_weight,
        source,
        k,
        chunk_size,
        seed,
        meta=X._meta,
    )
