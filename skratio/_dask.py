"""Dask collections: lazy predictions and log-weights, exact sampling keys.

Nothing here imports dask unless the caller already did (``is_dask_collection``)
or passed a dask collection: ``import skratio`` stays free of dask.
"""

import sys

import numpy as np

from ._sir_sampling import log_of_weights
from ._validation import check_weight_values

# Philox4x64 makes four 64-bit outputs per counter value.
_OUTPUTS_PER_COUNTER = 4
_TINY = np.finfo(np.float64).tiny


def is_dask_collection(X):
    """Whether ``X`` is a dask collection (array, DataFrame, Series, ...).

    Imports nothing: an object can only be a dask collection if dask was
    imported already.
    """
    if "dask" not in sys.modules:
        return False
    import dask

    return dask.is_dask_collection(X)


def _predict_rows(rows, method):
    """``method(rows)``: one float per row, checked (dask would not notice)."""
    if not len(rows):
        # A filter may empty a chunk; estimators refuse empty input.
        return np.empty(0)
    values = np.asarray(method(rows), dtype=np.float64)
    if values.shape != (len(rows),):
        name = getattr(method, "__qualname__", method)
        raise ValueError(
            f"{name} must return one value per row, shape ({len(rows)},); got "
            f"shape {values.shape}."
        )
    return values


def _predict_partition(partition, method):
    import pandas as pd

    return pd.Series(_predict_rows(partition, method), index=partition.index)


def in_row_chunks(X):
    """A 2-D dask array in one chunk of columns (rechunked lazily if need be).

    Rows are what skratio predicts and resamples chunk by chunk, so each chunk
    must hold whole rows.
    """
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2-D dask array of shape (n_samples, n_features); got "
            f"{X.ndim} dimensions."
        )
    return X if X.numblocks[1] == 1 else X.rechunk({1: -1})


def predict_lazily(method, X):
    """Apply a per-row prediction chunk by chunk to a dask collection, lazily.

    Parameters
    ----------
    method : callable
        Takes an in-memory chunk of rows (a numpy array for a dask array, a
        pandas DataFrame for a dask DataFrame) and returns one value per row,
        e.g. a fitted estimator's bound ``predict_log_weight``. It travels to
        the workers with the graph, so it must be picklable.
    X : dask array of shape (n_samples, n_features) or dask DataFrame
        Rows to predict. A dask array chunked along its columns is rechunked
        to one chunk of columns (lazily).

    Returns
    -------
    prediction : dask array of shape (n_samples,) or dask Series
        Lazy; computing it predicts each chunk (partition) in one task. A
        dask Series keeps the partitions and the index of ``X``.
    """
    import dask.array as da

    if isinstance(X, da.Array):
        X = in_row_chunks(X)
        return X.map_blocks(
            _predict_rows,
            method,
            drop_axis=1,
            dtype=np.float64,
            chunks=(X.chunks[0],),
            meta=np.empty(0, dtype=np.float64),
        )
    import dask.dataframe as dd
    import pandas as pd

    if not isinstance(X, dd.DataFrame):
        raise TypeError(
            "Expected a dask array or a dask DataFrame; got "
            f"{type(X).__module__}.{type(X).__name__}."
        )
    return X.map_partitions(
        _predict_partition, method, meta=pd.Series(dtype=np.float64)
    )


def _log_of_chunk_weights(weights):
    # check_array refuses an empty array; a filter may empty a chunk.
    return log_of_weights(weights) if len(weights) else np.empty(0)


def lazy_log_weights(X, sample_weight=None, ratio_estimator=None):
    """The log-weights of a dask array's rows, lazily, chunked as its rows.

    From ``sample_weight`` (a dask array chunked as the rows of ``X``) when
    given, else from ``ratio_estimator.predict_log_weight``; each chunk is
    checked when computed (``_sir_sampling.log_of_weights`` and
    ``_validation.check_weight_values``).
    """
    if sample_weight is not None:
        return sample_weight.map_blocks(_log_of_chunk_weights, dtype=np.float64)
    source = f"{type(ratio_estimator).__name__}.predict_log_weight"
    log_weight = predict_lazily(ratio_estimator.predict_log_weight, X)
    return log_weight.map_blocks(
        check_weight_values, source, log=True, dtype=np.float64
    )


def partition_seed(seed, partition):
    """The seed of partition number ``partition`` for a base ``seed``."""
    return int(np.random.SeedSequence([seed, partition]).generate_state(1)[0])


def row_uniforms(seed, start, n_rows):
    """Uniforms on ``[0, 1)`` of rows ``start, ..., start + n_rows - 1``.

    Row ``i`` always gets output ``i`` of one Philox stream (a counter-based
    generator, seeded by ``seed``), so a row's draw does not depend on how
    the rows are cut into chunks: dask results equal in-memory ones.
    """
    counter, skip = divmod(start, _OUTPUTS_PER_COUNTER)
    raw = np.random.Philox(counter=counter, key=seed).random_raw(n_rows + skip)[skip:]
    # The 53 high bits, as numpy's own ``random`` makes doubles.
    return (raw >> np.uint64(11)) * (1.0 / 2**53)


def gumbel_keys(log_weight, seed, start):
    """Efraimidis-Spirakis keys ``log w_i + G_i`` of rows from ``start`` on.

    ``G_i = -log E_i`` with ``E_i = -log(1 - U_i)`` standard exponential, so
    ``G_i`` is standard Gumbel; the ``n`` rows of largest key are a weighted
    sample without replacement (each next row drawn with probability
    proportional to its weight among those not drawn yet), the same as the
    ``n`` largest ``U_i ** (1 / w_i)``. Zero weights get ``-inf``.
    """
    exponential = -np.log1p(-row_uniforms(seed, start, len(log_weight)))
    # E = 0 has probability 2**-53; flooring it keeps the key finite.
    np.maximum(exponential, _TINY, out=exponential)
    return log_weight - np.log(exponential)
