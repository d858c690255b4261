"""Density ratios on data beyond one machine's memory, with dask.

Needs the ``dask`` extra (from skratio's source tree, ``pip install -e
".[dask]"``: dask's array and DataFrame collections and ``distributed``).
What works on dask collections:

- ``predict_weight`` and ``predict_log_weight`` of a fitted
  :class:`~skratio.DensityRatioEstimator` or :class:`~skratio.CalibratedRatio`
  return a lazy dask array (or dask Series for a dask DataFrame), computed
  chunk by chunk where the data lives.
- :meth:`skratio.SIRResampler.fit_resample` resamples each chunk on its own
  (blockwise SIR), lazily.
- :func:`sample_without_replacement` draws ``n`` rows of the whole
  collection by weight, without replacement (Efraimidis-Spirakis keys,
  partition-wise top-``n`` then a tree of merges).
- :func:`stratified_subsample` draws a uniform subsample of each domain to
  fit the ratio estimator on in memory: fitting needs far fewer rows than
  weighing, and any classifier works. This is the supported way to fit on
  data larger than memory. Incremental learning over all rows through
  dask-ml's ``Incremental`` is not wired in: the ratio estimators validate
  and count their training rows in memory (the prior ratio comes from those
  counts), and ``Incremental`` would limit the classifier to those with
  ``partial_fit``.
- Cross-fitting (``fit_predict_weight`` with ``n_jobs``) runs its folds on a
  dask cluster under ``joblib.parallel_backend("dask")``.

Every function here also accepts in-memory arrays, with the same result for
the same ``random_state``.
"""

import numpy as np
from sklearn.utils import check_array

from ._compat import _safe_indexing
from ._dask import (
    gumbel_keys,
    is_dask_collection,
    lazy_log_weights,
    partition_seed,
    row_uniforms,
)
from ._protocol import RATIO_ESTIMATOR, derive_seed
from ._sir_sampling import log_of_weights
from ._validation import check_weight_values

__all__ = ["sample_without_replacement", "stratified_subsample"]

_KEY = "_skratio_key"


def _source(ratio_estimator):
    return f"{type(ratio_estimator).__name__}.predict_log_weight"


def _keys_of_chunk(log_weight, seed, block_info=None):
    start = block_info[0]["array-location"][0][0]
    return gumbel_keys(log_weight, seed, start)


def _keys_of_partition(partition, ratio_estimator, seed, partition_info=None):
    import pandas as pd

    log_weight = check_weight_values(
        ratio_estimator.predict_log_weight(partition),
        _source(ratio_estimator),
        n_rows=len(partition),
        log=True,
    )
    seed = partition_seed(seed, partition_info["number"])
    return pd.Series(gumbel_keys(log_weight, seed, 0), index=partition.index)


def _check_enough_positive(keys):
    if len(keys) and not (keys > -np.inf).all():
        raise ValueError(
            "Fewer rows of positive weight than n_samples: a sample without "
            "replacement cannot hold them all."
        )


def _checked_positions(positions, keys):
    _check_enough_positive(keys)
    return positions


def _checked_rows(rows):
    _check_enough_positive(rows[_KEY].to_numpy())
    return rows.drop(columns=_KEY)


def _check_ratio_estimator(ratio_estimator):
    if not RATIO_ESTIMATOR.is_satisfied_by(ratio_estimator):
        raise TypeError(
            "The 'ratio_estimator' parameter of sample_without_replacement must "
            f"be {RATIO_ESTIMATOR}; got {ratio_estimator!r}."
        )


def _check_n_samples(n_samples, n_rows):
    if not (isinstance(n_samples, (int, np.integer)) and n_samples >= 1):
        raise ValueError(f"n_samples must be a positive integer; got {n_samples!r}.")
    if n_rows is not None and n_samples > n_rows:
        raise ValueError(
            f"Cannot draw {n_samples} rows without replacement from {n_rows} rows."
        )


def sample_without_replacement(
    X, n_samples, ratio_estimator=None, *, sample_weight=None, random_state=None
):
    """Draw ``n_samples`` distinct rows by weight, exactly, from any collection.

    Successive sampling without replacement: each next row is drawn with
    probability proportional to its weight among the rows not drawn yet.
    Exact by the Efraimidis-Spirakis construction: row ``i`` gets the key
    ``log w_i + G_i`` with ``G_i`` independent standard Gumbel, and the
    ``n_samples`` largest keys, in decreasing order, are such a draw. On a
    dask collection each chunk keeps its ``n_samples`` largest keys and a tree
    of merges keeps the overall largest, so no worker holds more than a chunk
    and ``n_samples`` candidates. Unlike SIR it never repeats a row and needs
    no block size ``k``; like it, rows of large weight are favoured.

    Parameters
    ----------
    X : dask array or dask DataFrame, or array-like of shape (n_rows, n_features)
        The rows to draw from, e.g. embeddings of a large corpus.
    n_samples : int >= 1
        Rows to draw; at most the number of rows of positive weight.
    ratio_estimator : fitted ratio estimator, default=None
        Gives the weights through its ``predict_log_weight``, chunk by chunk:
        any object of the ratio-estimator protocol (``fit``,
        ``fit_predict_weight``, ``predict_log_weight``, ``predict_weight``),
        e.g. a fitted :class:`~skratio.DensityRatioEstimator`. Needed unless
        ``sample_weight`` is given.
    sample_weight : dask array or array-like of shape (n_rows,), default=None
        Non-negative, finite weights of the rows (not for a dask DataFrame:
        there, weights come from ``ratio_estimator``).
    random_state : int, RandomState instance or None, default=None
        Seeds the keys. For arrays, row ``i``'s key depends only on the seed
        and ``i``, so dask arrays of any chunking and in-memory arrays give
        the same rows. A dask DataFrame's partitions are seeded by their
        number (their lengths are unknown without a pass over the data): the
        same result for the same partitioning.

    Returns
    -------
    X_sample : dask array, dask DataFrame or in-memory rows
        The drawn rows in the order drawn; a DataFrame keeps its index. For a
        dask array, the rows' positions are computed at once (one pass over
        the data, in which each worker holds a chunk and ``n_samples``
        candidates) and the rows come back as a lazy dask array (a second
        pass): in one graph, every chunk would stay in memory until the last
        chunk's keys are known. For a dask DataFrame the candidates carry
        their rows, and the result is lazy. ``ValueError`` (at compute time
        for a dask DataFrame) when fewer than ``n_samples`` rows have a
        positive weight.

    See Also
    --------
    skratio.SIRResampler : Sampling-importance-resampling, with replacement
        across blocks and blockwise on dask collections.

    Examples
    --------
    >>> import numpy as np
    >>> from skratio.dask import sample_without_replacement
    >>> X = np.arange(10).reshape(-1, 1)
    >>> weights = np.r_[np.zeros(5), np.ones(5)]
    >>> drawn = sample_without_replacement(
    ...     X, 3, sample_weight=weights, random_state=0
    ... )
    >>> drawn.shape, bool((drawn >= 5).all())
    ((3, 1), True)
    """
    if ratio_estimator is None and sample_weight is None:
        raise ValueError(
            "sample_without_replacement needs weights: pass a fitted "
            "ratio_estimator or sample_weight."
        )
    if sample_weight is None:
        _check_ratio_estimator(ratio_estimator)
    seed = derive_seed(random_state)
    if is_dask_collection(X):
        return _sample_dask(X, n_samples, ratio_estimator, sample_weight, seed)
    X_checked = check_array(X, accept_sparse="csr", dtype=None, ensure_all_finite=False)
    n_rows = X_checked.shape[0]
    _check_n_samples(n_samples, n_rows)
    if sample_weight is None:
        log_weight = check_weight_values(
            ratio_estimator.predict_log_weight(X),
            _source(ratio_estimator),
            n_rows=n_rows,
            log=True,
        )
    else:
        log_weight = log_of_weights(sample_weight, "sample_weight")
        if log_weight.shape != (n_rows,):
            raise ValueError(
                f"sample_weight must have one value per row, shape ({n_rows},); "
                f"got shape {log_weight.shape}."
            )
    keys = gumbel_keys(log_weight, seed, 0)
    top = np.argpartition(keys, len(keys) - n_samples)[len(keys) - n_samples :]
    top = top[np.argsort(keys[top])[::-1]]
    _check_enough_positive(keys[top])
    return _safe_indexing(X, top)


def _sample_dask(X, n_samples, ratio_estimator, sample_weight, seed):
    import dask
    import dask.array as da

    if not isinstance(X, da.Array):
        if sample_weight is not None:
            raise TypeError(
                "For a dask DataFrame the weights come from ratio_estimator; "
                "sample_weight is for arrays."
            )
        _check_n_samples(n_samples, None)
        import pandas as pd

        keys = X.map_partitions(
            _keys_of_partition,
            ratio_estimator,
            seed,
            meta=pd.Series(dtype=np.float64),
        )
        rows = X.assign(**{_KEY: keys}).nlargest(n_samples, _KEY)
        return rows.map_partitions(_checked_rows, meta=X._meta)
    _check_n_samples(n_samples, X.shape[0])
    if sample_weight is not None:
        sample_weight = da.asarray(sample_weight).rechunk((X.chunks[0],))
    log_weight = lazy_log_weights(X, sample_weight, ratio_estimator)
    keys = log_weight.map_blocks(_keys_of_chunk, seed, dtype=np.float64)
    top = da.argtopk(keys, n_samples)
    # The positions first, then the rows: in one graph, every chunk of X
    # would stay in memory until the last chunk's keys are known.
    (positions,) = dask.compute(da.map_blocks(_checked_positions, top, keys[top]))
    return X[positions]


def _stratum_positions(y, label, n_rows, uniforms):
    positions = np.flatnonzero(y == label)
    keys = uniforms[positions]
    return positions[np.argpartition(keys, len(keys) - n_rows)[len(keys) - n_rows :]]


def _domain_counts(n_per_domain, sizes):
    """``{label: rows to draw}``, checked against the domains' ``sizes``."""
    if isinstance(n_per_domain, dict):
        counts = n_per_domain
    else:
        counts = dict.fromkeys(sizes, n_per_domain)
    for label, n_rows in counts.items():
        if not (isinstance(n_rows, (int, np.integer)) and n_rows >= 1):
            raise ValueError(
                f"Rows to draw must be positive integers; got {n_rows!r} for "
                f"domain {label!r}."
            )
        if n_rows > sizes.get(label, 0):
            raise ValueError(
                f"Domain {label!r} has {sizes.get(label, 0)} rows; cannot draw "
                f"{n_rows} without replacement."
            )
    return counts


def stratified_subsample(X, y, n_per_domain, *, random_state=None):
    """A uniform random subsample of each domain, in memory, to fit on.

    For data larger than memory: fit the ratio estimator on a subsample
    drawn here, then weigh every row lazily with ``predict_weight`` on the
    dask collection. Each domain's rows are a uniformly random subset of that
    domain (without replacement) of the requested size, exactly: row ``i``
    gets a uniform key that depends only on ``random_state`` and ``i``, and
    each domain keeps its rows of largest key. Keep the domains' proportions
    in mind: the ratio estimator corrects for the prior ratio of the rows it
    is fitted on, so the weights are right whatever sizes are drawn.

    Parameters
    ----------
    X : dask array or array-like of shape (n_rows, n_features)
    y : dask array or array-like of shape (n_rows,)
        Domain labels (0 = source, 1 = target).
    n_per_domain : int or dict
        Rows to draw from each domain: one number for all, or a dict
        ``{label: n_rows}`` (domains not in it are left out).
    random_state : int, RandomState instance or None, default=None
        Seeds the keys; the same seed gives the same rows for any chunking
        and for in-memory input.

    Returns
    -------
    X_sub : ndarray of shape (n_drawn, n_features)
    y_sub : ndarray of shape (n_drawn,)
        In memory, rows in their original order.

    Examples
    --------
    >>> import numpy as np
    >>> from skratio.dask import stratified_subsample
    >>> X = np.arange(20).reshape(-1, 1)
    >>> y = np.r_[np.zeros(15, dtype=int), np.ones(5, dtype=int)]
    >>> X_sub, y_sub = stratified_subsample(X, y, 3, random_state=0)
    >>> np.bincount(y_sub).tolist()
    [3, 3]
    """
    seed = derive_seed(random_state)
    if is_dask_collection(X) or is_dask_collection(y):
        import dask
        import dask.array as da

        if not (isinstance(X, da.Array) and isinstance(y, da.Array)):
            raise TypeError(
                "stratified_subsample takes dask arrays; convert a dask DataFrame "
                "with to_dask_array(lengths=True)."
            )
        y = y.rechunk((X.chunks[0],))
        labels, sizes = dask.compute(*da.unique(y, return_counts=True))
        counts = _domain_counts(n_per_domain, dict(zip(labels.tolist(), sizes)))
        uniforms = y.map_blocks(_uniforms_of_chunk, seed, dtype=np.float64)
        positions = [
            da.argtopk(da.where(y == label, uniforms, -1.0), n_rows)
            for label, n_rows in counts.items()
        ]
        (positions,) = dask.compute(da.concatenate(positions))
        positions.sort()
        return dask.compute(X[positions], y[positions])
    X = check_array(X, dtype=None, ensure_all_finite=False)
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},); got {y.shape}.")
    labels, sizes = np.unique(y, return_counts=True)
    counts = _domain_counts(n_per_domain, dict(zip(labels.tolist(), sizes)))
    uniforms = row_uniforms(seed, 0, len(y))
    positions = np.sort(
        np.concatenate(
            [
                _stratum_positions(y, label, n_rows, uniforms)
                for label, n_rows in counts.items()
            ]
        )
    )
    return X[positions], y[positions]


def _uniforms_of_chunk(y, seed, block_info=None):
    return row_uniforms(seed, block_info[0]["array-location"][0][0], len(y))
