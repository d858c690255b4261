"""Sampling-importance-resampling (SIR) with density-ratio weights.

:class:`SIRResampler` validates its input and turns weights into log-weights;
the algorithm is in ``_sir_sampling`` (numpy) and ``_sir_dask`` (blockwise, on
dask collections).
"""

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from ._compat import _fit_context, _safe_indexing
from ._dask import is_dask_collection
from ._generators import MAX_SEED, draw_rows
from ._protocol import RATIO_ESTIMATOR, derive_seed
from ._sir_sampling import (
    draw_with_replacement,
    log_of_weights,
    resample_pool,
    sir_generator,
    warn_all_zero_blocks,
)
from ._validation import IntegerInterval, check_positive_int, check_weight_values


def _log_weights_of(ratio_estimator, X, n_rows):
    """Checked log-weights of the ``n_rows`` rows of ``X`` from a ratio estimator."""
    source = f"{type(ratio_estimator).__name__}.predict_log_weight"
    return check_weight_values(
        ratio_estimator.predict_log_weight(X), source, n_rows=n_rows, log=True
    )


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
    ratio_estimator : fitted ratio estimator, default=None
        Gives the weights of the candidates through its
        ``predict_log_weight``, e.g. a fitted
        :class:`~skratio.DensityRatioEstimator` trained with the candidates'
        distribution as domain 0 and the target as domain 1; any object of
        the ratio-estimator protocol (``fit``, ``fit_predict_weight``,
        ``predict_log_weight``, ``predict_weight``) will do. It must already be
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
    and stop as soon as they keep one (see ``_sir_sampling.resample_pool``). When the
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
        "ratio_estimator": [RATIO_ESTIMATOR, None],
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
                "fit_resample, or set ratio_estimator to a fitted ratio estimator "
                "(e.g. a fitted skratio.DensityRatioEstimator)."
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

    def _rows_per_chunk(self):
        return max(1, self.chunk_size // self.k)

    def _n_blocks(self, n_pool):
        """Rows that ``fit_resample`` returns from ``n_pool`` rows, or an error."""
        if self.k is None:
            return n_pool if self.n_samples is None else self.n_samples
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
        return n_samples

    def _pool_log_weights(self, X, X_checked, sample_weight):
        """Checked log-weights of the pool, from ``sample_weight`` or the estimator."""
        n_pool = X_checked.shape[0]
        if sample_weight is None:
            estimator = self._check_ratio_estimator("for the pool")
            log_weight = _log_weights_of(estimator, X, n_pool)
        else:
            log_weight = log_of_weights(sample_weight, "sample_weight")
            check_consistent_length(X_checked, log_weight)
        if not (log_weight > -np.inf).any():
            raise ValueError(
                "All weights are zero: SIR needs at least one row of positive weight."
            )
        return log_weight

    @_fit_context(prefer_skip_nested_validation=True)
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
            ``ratio_estimator.predict_log_weight(X)``.

        Returns
        -------
        X_res : {array-like, sparse matrix} of shape (n_samples, n_features)
            The chosen rows, ``X[sample_indices_]``; lazy for dask input.
        y_res : array-like of shape (n_samples,) or (n_samples, n_outputs)
            ``y[sample_indices_]``; returned only when ``y`` is given.
        """
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
        if y is not None:
            check_consistent_length(X_checked, y)
        n_samples = self._n_blocks(X_checked.shape[0])
        log_weight = self._pool_log_weights(X, X_checked, sample_weight)
        # Index what the caller passed, so lists and dataframes keep their
        # type, columns and dtypes; sparse input is indexed in CSR/CSC form.
        rows = X_checked if sparse.issparse(X) else X
        return self._fit_resample(rows, y, log_weight, n_samples)

    def _fit_resample(self, X, y, log_weight, n_samples):
        """SIR of validated in-memory rows by their checked log-weights."""
        rng = sir_generator(self.random_state)
        if self.k is None:
            indices = draw_with_replacement(log_weight, n_samples, rng)
        else:
            group_size = max(self.chunk_size, self.k)
            indices, n_all_zero = resample_pool(
                log_weight, n_samples, self.k, group_size, rng
            )
            warn_all_zero_blocks(n_all_zero, n_samples, self.k)
        self.sample_indices_ = indices
        X_res = _safe_indexing(X, indices)
        if y is None:
            return X_res
        return X_res, _safe_indexing(y, indices)

    def _fit_resample_dask(self, X, y, sample_weight):
        """Blockwise SIR of a dask collection, lazily; see :meth:`fit_resample`."""
        import dask.array as da

        from ._dask import lazy_log_weights
        from ._sir_dask import check_pool, resample_array, resample_frame

        if self.k is None or self.n_samples is not None:
            raise ValueError(
                "On a dask collection, SIRResampler resamples each chunk on its "
                "own (blockwise SIR): it needs an integer k and n_samples=None "
                "(each chunk of n rows gives n // k rows). To draw n rows by "
                "weight from the whole collection, use "
                "skratio.dask.sample_without_replacement."
            )
        k, seed = self.k, derive_seed(self.random_state)
        chunk_size = max(self.chunk_size, k)
        if not isinstance(X, da.Array):
            if y is not None or sample_weight is not None:
                raise TypeError(
                    "For a dask DataFrame, SIRResampler takes the weights from "
                    "ratio_estimator and carries no separate y or sample_weight: "
                    "keep such values as columns of X."
                )
            estimator = self._check_ratio_estimator("for the dask collection")
            self.n_features_in_ = len(X.columns)
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            # Row positions would need every partition's length, i.e. a pass
            # over the data; the resampled rows keep their index labels.
            if hasattr(self, "sample_indices_"):
                del self.sample_indices_
            return resample_frame(X, estimator, k, chunk_size, seed)
        X, y, sample_weight = check_pool(X, y, sample_weight, k)
        estimator = None
        if sample_weight is None:
            estimator = self._check_ratio_estimator("for the dask collection")
        self.n_features_in_ = X.shape[1]
        if hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        log_weight = lazy_log_weights(X, sample_weight, estimator)
        self.sample_indices_, X_res, y_res = resample_array(
            X, y, log_weight, k, chunk_size, seed
        )
        return X_res if y is None else (X_res, y_res)

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
        rng, k = sir_generator(self.random_state), self.k
        step = self._rows_per_chunk()
        X_sir = None
        n_all_zero = 0
        for start in range(0, n_samples, step):
            n_rows = min(step, n_samples - start)
            seed = int(rng.integers(MAX_SEED))
            # Seeded per chunk, so every chunk draws fresh rows, reproducibly.
            candidates = draw_rows(generator, n_rows * k, seed)
            log_weight = _log_weights_of(estimator, candidates, n_rows * k)
            # Blocks of a random order: a generator need not return its
            # draws in random order (GaussianMixture groups them by component).
            chosen, n_zero = resample_pool(log_weight, n_rows, k, n_rows * k, rng)
            n_all_zero += n_zero
            if X_sir is None:
                X_sir = np.empty((n_samples, candidates.shape[1]), candidates.dtype)
            X_sir[start : start + n_rows] = candidates[chosen]
        warn_all_zero_blocks(n_all_zero, n_samples, k)
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
