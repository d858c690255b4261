"""Validators shared by the metrics, the estimators and the plots."""

from numbers import Integral

import numpy as np
from sklearn.utils import check_array, check_consistent_length, column_or_1d
from sklearn.utils._param_validation import Interval

from ._domains import encode_target_rows


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


def check_weights(weights, name="weights"):
    """1-D float64 non-negative finite weights."""
    weights = column_or_1d(
        check_array(weights, ensure_2d=False, dtype=np.float64, input_name=name)
    )
    if (weights < 0).any():
        raise ValueError(f"{name} must be non-negative.")
    return weights


def check_target_proba(y_proba):
    """Probability of the target domain, from a (n,) or (n, 2) array."""
    y_proba = check_array(y_proba, ensure_2d=False, dtype=np.float64, input_name="y_proba")
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
