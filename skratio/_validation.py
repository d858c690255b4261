"""Validators shared by the metrics, the estimators and the plots."""

from numbers import Integral

import numpy as np
from sklearn.utils import check_array, check_consistent_length, column_or_1d

from ._compat import Interval
from ._domains import encode_target_rows

# Probabilities are clipped to [EPS, 1 - EPS] before a logarithm or a logit, so
# a classifier that outputs exactly 0 or 1 (trees, isotonic calibration,
# separable data) gives a large but finite log-odds or log-loss.
EPS = np.finfo(np.float64).eps


class IntegerInterval(Interval):
    """scikit-learn's ``Interval(Integral, ...)`` constraint, refusing booleans.

    ``True`` is an ``Integral`` in Python, so ``Interval(Integral, 1, None)``
    takes ``k=True`` for ``k=1``; a boolean given for a count is a mistake.

    Parameters
    ----------
    left, right : int or None
        The bounds; None for no bound.
    closed : {"left", "right", "both", "neither"}
        Which bounds belong to the interval.
    """

    def __init__(self, left, right, *, closed):
        super().__init__(Integral, left, right, closed=closed)

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)

    def __str__(self):
        if self.left is None and self.right is None:
            return "an int (not a bool)"
        return f"{super().__str__()} (not a bool)"


def check_positive_int(value, name):
    """``value`` as an int >= 1, or a ValueError naming ``name`` (bools refused)."""
    if not IntegerInterval(1, None, closed="left").is_satisfied_by(value):
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def check_weight_values(values, name, *, n_rows=None, log=False):
    """Weights, or log-weights, as one float64 value per row, checked.

    The one check of weight values, whoever gives them: a user's
    ``sample_weight`` (through :func:`check_weights`) or what a ratio
    estimator returns to a consumer. A NaN, an infinite or a negative weight
    would otherwise pass silently into a weighted fit or a resampling.

    Parameters
    ----------
    values : array-like
        The weights, or their logarithms when ``log=True``.
    name : str
        Where the values come from, as the subject of the error messages: a
        parameter (``"sample_weight"``) or a method
        (``"DensityRatioEstimator.fit_predict_weight"``).
    n_rows : int, default=None
        The number of rows the values are for; None checks only that they are
        1-D.
    log : bool, default=False
        Whether ``values`` are log-weights: then ``-inf`` (a weight of 0) is
        allowed and no sign is checked.

    Returns
    -------
    values : ndarray of shape (n_rows,)
        The values as float64.

    Raises
    ------
    ValueError
        When the values are not one per row, hold a NaN or ``+inf`` (any
        infinity for plain weights), or, for plain weights, a negative value.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or (n_rows is not None and values.shape[0] != n_rows):
        expected = "n_rows" if n_rows is None else n_rows
        raise ValueError(
            f"{name} must return one value per row, shape ({expected},); got "
            f"shape {values.shape}."
        )
    # One pass: ``x < inf`` is False for NaN and for +inf.
    if not (values < np.inf).all():
        problem = "NaN" if np.isnan(values).any() else "infinite"
        raise ValueError(f"{name} returned {problem} weights.")
    if not log and (values < 0).any():
        raise ValueError(f"{name} must be non-negative.")
    return values


def check_weights(weights, name="weights"):
    """1-D float64 non-negative finite weights given by the user."""
    weights = column_or_1d(
        check_array(weights, ensure_2d=False, dtype=np.float64, input_name=name)
    )
    return check_weight_values(weights, name)


def check_target_proba(y_proba):
    """Probability of the target domain, from a (n,) or (n, 2) array."""
    y_proba = check_array(
        y_proba, ensure_2d=False, dtype=np.float64, input_name="y_proba"
    )
    if y_proba.ndim == 2:
        if y_proba.shape[1] != 2:
            raise ValueError(
                "y_proba must have shape (n_samples,) or (n_samples, 2); got "
                f"{y_proba.shape}."
            )
        y_proba = y_proba[:, 1]
    if ((y_proba < 0) | (y_proba > 1)).any():
        raise ValueError("y_proba must contain probabilities in [0, 1].")
    return y_proba


def check_domain_predictions(y_true, y_proba, sample_weight, target_label=None):
    """0/1-encoded domain labels, target probabilities and row weights."""
    # dtype=None so that string labels reach the domain-label rule.
    y_true = column_or_1d(
        check_array(y_true, ensure_2d=False, dtype=None, input_name="y_true")
    )
    y_true = encode_target_rows(y_true, target_label)
    y_proba = check_target_proba(y_proba)
    check_consistent_length(y_true, y_proba)
    if sample_weight is None:
        sample_weight = np.ones_like(y_proba)
    sample_weight = check_weights(sample_weight, "sample_weight")
    check_consistent_length(y_true, sample_weight)
    return y_true, y_proba, sample_weight


def _first_text(values):
    """The first str or bytes item of a 1-D sequence, or None."""
    for value in values:
        if isinstance(value, (str, bytes)):
            return value
    return None


def text_column(X):
    """``(column, value)`` of the first column of ``X`` holding text, or None.

    ``column`` is a DataFrame's column name, else the position. Only object
    and string columns are read: a categorical dtype is a declared encoding
    that some classifiers take.
    """
    if hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc"):
        for position, dtype in enumerate(X.dtypes):
            if getattr(dtype, "kind", "O") in "OSU":
                value = _first_text(X.iloc[:, position])
                if value is not None:
                    return X.columns[position], value
        return None
    if hasattr(X, "toarray") or not hasattr(X, "__len__"):
        return None
    X = np.asarray(X)
    if X.ndim != 2 or X.dtype.kind not in "OSU":
        return None
    for column in range(X.shape[1]):
        value = _first_text(X[:, column])
        if value is not None:
            return column, value
    return None


def _could_encode_text(classifier):
    """Whether ``classifier`` holds a step that may turn text into numbers."""
    parts = [classifier]
    if hasattr(classifier, "get_params"):
        parts += list(classifier.get_params(deep=True).values())
    return any(
        type(part).__name__.endswith(("Encoder", "Vectorizer", "ColumnTransformer"))
        for part in parts
    )


def check_no_text_columns(X, classifier, estimator_name):
    """A ValueError naming the first text column of ``X`` that ``classifier``
    cannot read (it holds no encoder), instead of a conversion error from
    deep inside it."""
    found = text_column(X)
    if found is None or _could_encode_text(classifier):
        return
    column, value = found
    raise ValueError(
        f"{estimator_name}: column {column!r} of X holds text (e.g. {value!r}), "
        "which the domain classifier cannot read: it needs numbers. Encode the "
        "column (e.g. a ColumnTransformer with a OneHotEncoder in a pipeline "
        "with the classifier) or drop it."
    )


def check_class_weight_labels(classifier, classes, estimator_name):
    """A ValueError when ``class_weight`` names the user's labels.

    The domain classifier is fitted on labels encoded 0 (source,
    ``classes[0]``) and 1 (target, ``classes[-1]``), so a ``class_weight``
    keyed by the original labels would not match them.
    """
    if not hasattr(classifier, "get_params"):
        return
    labels = np.asarray(classes).tolist()
    source, target = labels[0], labels[-1]
    for name, value in classifier.get_params(deep=True).items():
        if not name.endswith("class_weight") or not isinstance(value, dict):
            continue
        # Labels 0 (source) and 1 (target) are their own encoding.
        if set(value) == {source, target} and [source, target] != [0, 1]:
            fix = f"{{0: {value[source]!r}, 1: {value[target]!r}}}"
            raise ValueError(
                f"{estimator_name} fits its domain classifier on labels 0 (source, "
                f"{source!r}) and 1 (target, {target!r}), so its class_weight "
                f"{value!r} names no label it sees: use class_weight={fix}."
            )
