"""Data with known density ratios, and paper-style biased/reference splits."""

from numbers import Real

import numpy as np
from sklearn.utils import check_array, check_random_state, column_or_1d

from ._domains import stack_domains

__all__ = ["make_biased_split", "make_gaussian_shift"]


def make_gaussian_shift(
    n_source=1000,
    n_target=1000,
    *,
    n_features=2,
    shift=1.0,
    target_scale=1.0,
    random_state=None,
):
    """Two Gaussian samples and their analytic log density ratio.

    The source is ``N(0, I)``; the target is ``N(m, target_scale**2 I)``.
    With ``target_scale=1`` the log-ratio is linear in ``x`` (a logistic
    regression is well specified); otherwise it is quadratic.

    Parameters
    ----------
    n_source : int, default=1000
        Rows drawn from the source (``y=0``).
    n_target : int, default=1000
        Rows drawn from the target (``y=1``).
    n_features : int, default=2
        Dimension.
    shift : float or array-like of shape (n_features,), default=1.0
        Target mean ``m``. A float is the norm of ``m``, spread evenly over the
        coordinates (``m = shift / sqrt(n_features)`` in each), so that the
        difficulty does not change with the dimension.
    target_scale : float > 0, default=1.0
        Standard deviation of every coordinate of the target.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    Returns
    -------
    X : ndarray of shape (n_source + n_target, n_features)
        Source rows followed by target rows (unlike
        :func:`skratio.stack_domains`, which interleaves them: shuffle the
        folds, or stratify them by ``y``, to cross-validate on these rows).
    y : ndarray of shape (n_source + n_target,)
        Domain labels, 0 (source) then 1 (target).
    log_ratio : ndarray of shape (n_source + n_target,)
        ``log p_target(x) - log p_source(x)`` of every row.

    Examples
    --------
    >>> from skratio.datasets import make_gaussian_shift
    >>> X, y, log_ratio = make_gaussian_shift(100, 50, n_features=3, random_state=0)
    >>> X.shape, int(y.sum()), log_ratio.shape
    ((150, 3), 50, (150,))
    """
    for name, n in (
        ("n_source", n_source),
        ("n_target", n_target),
        ("n_features", n_features),
    ):
        if int(n) != n or n < 1:
            raise ValueError(f"{name} must be a positive integer; got {n!r}.")
    if not (
        isinstance(target_scale, Real)
        and target_scale > 0
        and np.isfinite(target_scale)
    ):
        raise ValueError(
            f"target_scale must be a positive number; got {target_scale!r}."
        )
    if isinstance(shift, Real):
        mean = np.full(n_features, shift / np.sqrt(n_features))
    else:
        mean = column_or_1d(check_array(shift, ensure_2d=False, dtype=np.float64))
        if mean.shape[0] != n_features:
            raise ValueError(
                f"shift must have n_features={n_features} entries; got {mean.shape[0]}."
            )
    rng = check_random_state(random_state)
    source = rng.standard_normal((n_source, n_features))
    target = mean + target_scale * rng.standard_normal((n_target, n_features))
    # Blocks, not stack_domains' interleaving: the tests and benchmarks that
    # draw from here keep the rows (and folds) they were calibrated on.
    X = np.concatenate([source, target])
    y = np.repeat([0, 1], [n_source, n_target])
    log_ratio = (
        -n_features * np.log(target_scale)
        - ((X - mean) ** 2).sum(axis=1) / (2 * target_scale**2)
        + (X**2).sum(axis=1) / 2
    )
    return X, y, log_ratio


def _group_proportions(value, n_groups, name):
    if isinstance(value, Real):
        if n_groups != 2:
            raise ValueError(
                f"A single {name} proportion needs exactly two groups; got "
                f"{n_groups}. Pass one proportion per group instead."
            )
        if not 0 < value < 1:
            raise ValueError(f"{name} must be in (0, 1); got {value}.")
        return np.array([value, 1.0 - value])
    value = column_or_1d(
        check_array(value, ensure_2d=False, dtype=np.float64, input_name=name)
    )
    if value.shape[0] != n_groups:
        raise ValueError(
            f"{name} needs one proportion per group ({n_groups}); got {value.shape[0]}."
        )
    if (value < 0).any() or not np.isclose(value.sum(), 1.0):
        raise ValueError(f"{name} must be non-negative proportions summing to 1.")
    return value


def make_biased_split(
    X,
    groups,
    *,
    bias,
    reference_size,
    reference_proportions=None,
    n_biased=None,
    random_state=None,
    return_indices=False,
):
    """Split labelled data into a biased and a reference dataset (Choi et al. 2020).

    Rows are drawn without replacement, so the two datasets are disjoint. Within
    each group both datasets sample the same rows' distribution, so they differ
    only through the group proportions: the setting of the Bayes-optimal NCE
    (:func:`skratio.metrics.bayes_optimal_nce`).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The data to split.
    groups : array-like of shape (n_samples,)
        The (hidden) group of every row, e.g. an attribute such as
        ``digit >= 5``. Groups are ordered as by :func:`numpy.unique`.
    bias : float in (0, 1) or array-like of shape (n_groups,)
        Group proportions of the biased dataset: for two groups, the proportion
        of the first group (``0.9`` is the paper's ``bias=0.9``); otherwise one
        proportion per group.
    reference_size : float > 0
        Size of the reference dataset as a fraction of the biased one (the
        paper's ``perc``).
    reference_proportions : array-like of shape (n_groups,), default=None
        Group proportions of the reference dataset; ``None`` means balanced.
    n_biased : int, default=None
        Size of the biased dataset; ``None`` takes the largest size the groups
        allow.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.
    return_indices : bool, default=False
        Also return the positions of the drawn rows in ``X``, e.g. to keep the
        remaining rows as a held-out set.

    Returns
    -------
    X_split : ndarray of shape (n_biased + n_reference, n_features)
        Biased and reference rows interleaved in proportion, as by
        :func:`skratio.stack_domains` (so that unshuffled folds hold both);
        select them with ``y``, not by position.
    y : ndarray of shape (n_biased + n_reference,)
        0 for biased rows, 1 for reference rows.
    groups_split : ndarray of shape (n_biased + n_reference,)
        The group of every returned row.
    indices : ndarray of shape (n_biased + n_reference,)
        Positions of the returned rows in ``X``; only with ``return_indices``.

    Examples
    --------
    >>> import numpy as np
    >>> from skratio.datasets import make_biased_split
    >>> X = np.arange(2000).reshape(-1, 1)
    >>> groups = np.repeat([0, 1], 1000)
    >>> Xs, y, g = make_biased_split(X, groups, bias=0.9, reference_size=0.25,
    ...                              random_state=0)
    >>> round(float(g[y == 0].mean()), 2), round(float(g[y == 1].mean()), 2)
    (0.1, 0.5)
    """
    X = check_array(X, accept_sparse="csr", dtype=None, ensure_all_finite=False)
    groups = column_or_1d(np.asarray(groups))
    if groups.shape[0] != X.shape[0]:
        raise ValueError(
            f"groups has {groups.shape[0]} entries but X has {X.shape[0]} rows."
        )
    labels, group_index = np.unique(groups, return_inverse=True)
    n_groups = labels.shape[0]
    if n_groups < 2:
        raise ValueError("make_biased_split needs at least two groups.")
    bias = _group_proportions(bias, n_groups, "bias")
    if reference_proportions is None:
        reference_proportions = np.full(n_groups, 1.0 / n_groups)
    reference_proportions = _group_proportions(
        reference_proportions, n_groups, "reference_proportions"
    )
    if not (isinstance(reference_size, Real) and reference_size > 0):
        raise ValueError(
            f"reference_size must be a positive number; got {reference_size!r}."
        )
    available = np.bincount(group_index, minlength=n_groups)

    def counts(n):
        n_bias = np.round(n * bias).astype(int)
        n_ref = np.round(n * reference_size * reference_proportions).astype(int)
        return n_bias, n_ref

    if n_biased is None:
        need = bias + reference_size * reference_proportions
        n_biased = int(np.min(available[need > 0] / need[need > 0]))
        while n_biased > 0 and (np.sum(counts(n_biased), axis=0) > available).any():
            n_biased -= 1
    n_bias, n_ref = counts(n_biased)
    if n_bias.sum() == 0 or n_ref.sum() == 0:
        raise ValueError(
            "The split is empty: the groups have too few rows for these proportions "
            f"(rows per group: {available.tolist()})."
        )
    if (n_bias + n_ref > available).any():
        raise ValueError(
            f"n_biased={n_biased} needs {(n_bias + n_ref).tolist()} rows per group but "
            f"only {available.tolist()} are available."
        )
    rng = check_random_state(random_state)
    biased_rows, reference_rows = [], []
    for g in range(n_groups):
        rows = rng.permutation(np.flatnonzero(group_index == g))
        biased_rows.append(rows[: n_bias[g]])
        reference_rows.append(rows[n_bias[g] : n_bias[g] + n_ref[g]])
    biased_rows = rng.permutation(np.concatenate(biased_rows))
    reference_rows = rng.permutation(np.concatenate(reference_rows))
    X_split, y = stack_domains(X[biased_rows], X[reference_rows])
    # stack_domains interleaves the two samples, each in its own order.
    indices = np.empty(y.shape[0], dtype=np.intp)
    indices[y == 0], indices[y == 1] = biased_rows, reference_rows
    if return_indices:
        return X_split, y, groups[indices], indices
    return X_split, y, groups[indices]
