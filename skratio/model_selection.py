"""Importance-weighted cross-validation under covariate shift.

Sugiyama, Krauledat and Müller (JMLR 2007): when the labelled rows come from a
source distribution and the model is used on a target distribution, the
validation loss on source rows weighted by ``w(x) = p_target(x) / p_source(x)``
estimates the target loss, so it can choose models and their settings.

The two pieces are made for :class:`skratio.ReweightedEstimator` and its
stacked ``(X, y)`` (labelled source rows, unlabelled target rows marked in
``y``):

- :class:`LabeledKFold` validates on labelled rows only and keeps every
  unlabelled target row in every training fold (the ratio needs them);
- :func:`importance_weighted_scorer` scores a fitted candidate on the labelled
  rows of a validation fold with a scikit-learn scorer weighted by the
  importance weights of those rows.
"""

from numbers import Integral

import numpy as np
from sklearn.metrics import check_scoring
from sklearn.model_selection import BaseCrossValidator, KFold
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import column_or_1d

from ._compat import _safe_indexing
from ._domains import unlabeled_mask
from ._validation import check_weight_values, check_weights

__all__ = ["LabeledKFold", "importance_weighted_scorer"]


class LabeledKFold(BaseCrossValidator):
    """K folds of the labelled rows; unlabelled rows always train.

    Each labelled (source) row is validated once; unlabelled (target) rows,
    marked in ``y`` as for :class:`skratio.ReweightedEstimator`, are in every
    training fold and in no validation fold, so every candidate's ratio
    estimator sees the whole target sample and is scored on source rows it
    never saw.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    shuffle : bool, default=False
        Shuffle the labelled rows before splitting them.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling when ``shuffle`` is True.
    unlabeled : "auto" or scalar, default="auto"
        Marker of unlabelled rows in ``y``: ``"auto"`` is ``NaN`` in a float
        ``y`` and ``-1`` otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from skratio.model_selection import LabeledKFold
    >>> y = np.array([0.5, 1.0, 2.0, 3.0, np.nan, np.nan])
    >>> for train, test in LabeledKFold(n_splits=2).split(np.zeros((6, 1)), y):
    ...     print(train, test)
    [2 3 4 5] [0 1]
    [0 1 4 5] [2 3]
    """

    def __init__(
        self, n_splits=5, *, shuffle=False, random_state=None, unlabeled="auto"
    ):
        if not isinstance(n_splits, Integral) or n_splits < 2:
            raise ValueError(f"n_splits must be an integer >= 2, got {n_splits!r}.")
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state
        self.unlabeled = unlabeled

    def _iter_test_indices(self, X=None, y=None, groups=None):
        if y is None:
            raise ValueError(
                "LabeledKFold needs y to tell labelled rows from unlabelled ones."
            )
        labelled = np.flatnonzero(~unlabeled_mask(column_or_1d(y), self.unlabeled))
        if labelled.size < self.n_splits:
            raise ValueError(
                f"LabeledKFold cannot make {self.n_splits} folds of "
                f"{labelled.size} labelled rows."
            )
        folds = KFold(
            self.n_splits, shuffle=self.shuffle, random_state=self.random_state
        )
        for _, test in folds.split(labelled):
            yield labelled[test]

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of folds.

        Parameters
        ----------
        X, y, groups : object
            Ignored, for API compatibility.

        Returns
        -------
        n_splits : int
            ``n_splits``.
        """
        return self.n_splits


class _ImportanceWeightedScorer:
    """Scorer weighting a base scorer by importance weights (see the factory)."""

    def __init__(self, scoring, ratio_estimator, unlabeled):
        self.scoring = scoring
        self.ratio_estimator = ratio_estimator
        self.unlabeled = unlabeled

    def __repr__(self):
        return (
            f"importance_weighted_scorer({self.scoring!r}, "
            f"ratio_estimator={self.ratio_estimator!r}, unlabeled={self.unlabeled!r})"
        )

    def _weights(self, estimator, X, n_rows):
        """The importance weights of the ``n_rows`` rows of ``X``, checked."""
        if self.ratio_estimator is not None:
            source = self.ratio_estimator
        elif hasattr(estimator, "predict_weight"):
            source = estimator
        elif isinstance(estimator, Pipeline) and hasattr(
            estimator[-1], "predict_weight"
        ):
            source, X = estimator[-1], estimator[:-1].transform(X)
        else:
            raise TypeError(
                f"{type(estimator).__name__} has no predict_weight: score a "
                "ReweightedEstimator (or a Pipeline ending in one), or pass a "
                "fitted ratio_estimator to importance_weighted_scorer."
            )
        return check_weight_values(
            source.predict_weight(X),
            f"{type(source).__name__}.predict_weight",
            n_rows=n_rows,
        )

    def __call__(self, estimator, X, y, sample_weight=None):
        y = column_or_1d(y)
        labelled = np.flatnonzero(~unlabeled_mask(y, self.unlabeled))
        if labelled.size == 0:
            raise ValueError(
                "The validation rows are all unlabelled: nothing to score. Split "
                "with skratio.model_selection.LabeledKFold."
            )
        X_labelled = _safe_indexing(X, labelled)
        y_labelled = y[labelled]
        if y_labelled.dtype == object:
            y_labelled = np.asarray(y_labelled.tolist())
        weights = self._weights(estimator, X_labelled, labelled.shape[0])
        if sample_weight is not None:
            weights = weights * check_weights(sample_weight, "sample_weight")[labelled]
        if not weights.sum() > 0:
            raise ValueError(
                "The importance weights of the validation rows must not be all zero."
            )
        scorer = check_scoring(estimator, scoring=self.scoring)
        return scorer(estimator, X_labelled, y_labelled, sample_weight=weights)


def importance_weighted_scorer(scoring=None, *, ratio_estimator=None, unlabeled="auto"):
    """Importance-weighted validation score (Sugiyama et al., JMLR 2007).

    The returned scorer evaluates a fitted estimator on the **labelled**
    (source) rows of a validation fold with ``scoring`` weighted by their
    importance weights ``w(x) = p_target(x) / p_source(x)``; unlabelled
    (target) rows are left out. The weighted mean of a loss over source rows
    estimates its mean over the target distribution, so ``GridSearchCV`` with
    this scorer picks the candidate with the best estimated *target* score.
    Scikit-learn's metrics normalise by the sum of the weights (the
    self-normalised estimate: consistent, lower variance than dividing by the
    number of rows).

    Parameters
    ----------
    scoring : str, callable or None, default=None
        The base scorer (as in ``GridSearchCV(scoring=...)``; it must accept
        ``sample_weight``); ``None`` means the estimator's ``score``.
    ratio_estimator : fitted estimator with ``predict_weight``, default=None
        Where the weights come from. ``None`` uses the evaluated estimator's
        own ``predict_weight`` (a :class:`skratio.ReweightedEstimator`, or a
        Pipeline ending in one): the ratio it fitted on the training fold,
        before its ``power`` and ``clip``, so candidates that differ only in
        the downstream model, ``power`` or ``clip`` share the weights. To
        compare candidates that differ in their ratio estimator (the domain
        classifier), pass one ratio estimator fitted beforehand on all rows
        (domain ``0`` = labelled, ``1`` = unlabelled): every candidate is then
        scored with the same weights (they are in-sample for that estimator;
        a low-capacity classifier keeps that optimism small).
    unlabeled : "auto" or scalar, default="auto"
        Marker of unlabelled rows in ``y``: ``"auto"`` is ``NaN`` in a float
        ``y`` and ``-1`` otherwise.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, sample_weight=None) -> float``, higher is
        better.

    See Also
    --------
    LabeledKFold : The matching splitter.
    skratio.ReweightedEstimator : The estimator it scores.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skratio import ReweightedEstimator
    >>> from skratio.model_selection import LabeledKFold, importance_weighted_scorer
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (300, 1)), rng.normal(1, 1, (100, 1))])
    >>> y = np.concatenate([X[:300, 0] ** 2, np.full(100, np.nan)])
    >>> search = GridSearchCV(
    ...     ReweightedEstimator(Ridge(), random_state=0),
    ...     {"power": [0.0, 0.5, 1.0]},
    ...     scoring=importance_weighted_scorer("neg_mean_squared_error"),
    ...     cv=LabeledKFold(5, shuffle=True, random_state=0),
    ... ).fit(X, y)
    >>> search.best_params_["power"] > 0
    True
    """
    return _ImportanceWeightedScorer(scoring, ratio_estimator, unlabeled)
