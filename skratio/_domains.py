"""The domain-label convention shared by every estimator, metric and plot.

``y == 0`` marks the *source* (biased data, or a generative model's samples) and
``y == 1`` the *target* (reference data, or real data); weights are always
``p_target / p_source``.

This module is the one home of the rule that says which label is the target:
labels in {0, 1}, {False, True} or {-1, 1} keep their meaning (the larger value
is the target); any other labels (strings, {1, 2}, ...) need an explicit
``target_label``. Labels are never mapped to domains by their sort order, which
silently inverts every weight when, say, ``"reference" < "synthetic"``.

Under covariate shift the target rows are the *unlabelled* ones, stacked with
the labelled source rows in one ``y`` (:func:`unlabeled_mask` finds them).
"""

from numbers import Real

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.utils import check_array
from sklearn.utils.multiclass import check_classification_targets, type_of_target

SOURCE, TARGET = 0, 1

# Label pairs whose meaning is unambiguous: the larger value is the target.
# Python compares 0 == False == 0.0 and 1 == True == 1.0, so each set also
# covers the boolean and float spellings.
_SELF_DESCRIBING_LABELS = ({0, 1}, {-1, 1})


def _frame_kind(data):
    """``"pandas"``, ``"polars"`` or ``None`` for anything that is not a frame."""
    module = type(data).__module__.split(".")[0]
    if module == "pandas" and hasattr(data, "columns"):
        return "pandas"
    if module == "polars" and hasattr(data, "columns"):
        return "polars"
    return None


def _stack_frames(source, target, kind):
    """Concatenate two data frames whose columns agree by name and order."""
    source_columns, target_columns = list(source.columns), list(target.columns)
    if source_columns != target_columns:
        raise ValueError(
            "source and target must have the same columns in the same order; got "
            f"{source_columns} and {target_columns}. Select or reorder the columns, "
            "e.g. target = target[source.columns]."
        )
    if kind == "pandas":
        import pandas as pd

        return pd.concat([source, target], ignore_index=True)
    import polars as pl

    # "vertical_relaxed" casts to a common supertype column by column, as
    # pandas does, rather than failing on e.g. Int32 against Int64.
    return pl.concat([source, target], how="vertical_relaxed")


def stack_domains(source, target):
    """Stack a source and a target sample into ``(X, y)`` with domain labels.

    Parameters
    ----------
    source : {array-like, sparse matrix, DataFrame} of shape (n_source, n_features)
        Rows from the source distribution (the denominator of the ratio):
        the biased dataset, or samples of a generative model.
    target : {array-like, sparse matrix, DataFrame} of shape (n_target, n_features)
        Rows from the target distribution (the numerator of the ratio):
        the reference dataset, or real data. When ``source`` is a pandas or
        polars DataFrame, ``target`` must be a DataFrame of the same library
        with the same columns in the same order.

    Returns
    -------
    X : {ndarray, sparse matrix, DataFrame} of shape (n_source + n_target, n_features)
        The rows of both samples, **interleaved** in proportion: each sample
        keeps its own row order, and the target rows are spread evenly among
        the source rows, so that any run of consecutive rows holds both
        domains in about their overall proportion. Scikit-learn's default,
        unshuffled folds (``cv=5`` in :class:`~sklearn.model_selection.GridSearchCV`,
        :func:`~sklearn.model_selection.cross_validate`, ``KFold(5)``) then
        hold both domains, which every estimator of skratio needs in its
        training folds. Select a sample's rows with ``y == 0`` or ``y == 1``,
        never by position. DataFrames stay DataFrames of the same library,
        with their column names and dtypes (a pandas index is renumbered from
        0); arrays keep their dtype.
    y : ndarray of shape (n_source + n_target,)
        ``0`` for source rows and ``1`` for target rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skratio import stack_domains
    >>> X, y = stack_domains(np.zeros((4, 2)), np.ones((2, 2)))
    >>> X.shape, y.tolist()
    ((6, 2), [0, 1, 0, 0, 1, 0])
    >>> X[y == 1].tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    source_kind, target_kind = _frame_kind(source), _frame_kind(target)
    if source_kind != target_kind:
        raise TypeError(
            "source and target must be the same kind of data: got "
            f"{type(source).__name__} and {type(target).__name__}. Pass two "
            "DataFrames of the same library, or two arrays."
        )
    if source_kind is not None:
        X = _stack_frames(source, target, source_kind)
        n_source, n_target = source.shape[0], target.shape[0]
        order = interleaved_order(n_source, n_target)
        if source_kind == "pandas":
            X = X.iloc[order].reset_index(drop=True)
        else:
            X = X[order]
    else:
        check = {"accept_sparse": True, "dtype": None, "ensure_all_finite": False}
        source = check_array(source, input_name="source", **check)
        target = check_array(target, input_name="target", **check)
        if source.shape[1] != target.shape[1]:
            raise ValueError(
                "source and target must have the same number of features; got "
                f"{source.shape[1]} and {target.shape[1]}."
            )
        n_source, n_target = source.shape[0], target.shape[0]
        order = interleaved_order(n_source, n_target)
        if sparse.issparse(source) or sparse.issparse(target):
            X = sparse.vstack([sparse.csr_matrix(source), sparse.csr_matrix(target)])
            X = X.tocsr()[order]
        else:
            X = np.concatenate([source, target])[order]
    y = np.repeat([SOURCE, TARGET], [n_source, n_target])[order]
    return X, y


def interleaved_order(n_source, n_target):
    """Positions that interleave ``n_source`` rows then ``n_target`` rows evenly.

    Row ``i`` of a sample of ``n`` rows sits at the fraction ``(i + 1/2) / n``
    of the stacked rows; sorting these fractions (stably, source first on a
    tie) spreads each sample evenly and keeps its own order. Any ``m``
    consecutive rows then hold ``m * n_target / (n_source + n_target)`` target
    rows up to one, so ``KFold(k)`` without shuffling gives every fold both
    domains whenever ``k`` is at most the smaller sample's size.
    """
    fractions = np.concatenate(
        [(np.arange(n_source) + 0.5) / n_source, (np.arange(n_target) + 0.5) / n_target]
    )
    return np.argsort(fractions, kind="stable")


def fold_hint(splitter):
    """The end of a message for fitted rows that lack a domain.

    Such rows are most often one cross-validation fold of samples stacked in
    blocks (scikit-learn's default folds are unshuffled), and the user has
    already stacked both samples: say which splitter to pass.
    """
    return (
        "If this is a cross-validation fold (GridSearchCV, cross_validate, "
        "cross_val_score), the fold lacks a domain: the samples were stacked in "
        f"blocks and the folds are not shuffled; pass cv={splitter}, or stack the "
        "samples with skratio.stack_domains(source, target), which interleaves "
        "them. Otherwise give rows of both samples."
    )


def unlabeled_mask(y, unlabeled="auto"):
    """Boolean mask of the unlabelled (target) rows of ``y``.

    ``"auto"`` marks ``NaN`` in a float ``y`` and ``-1`` in any other ``y``
    (scikit-learn's semi-supervised convention); ``NaN`` as a marker matches
    ``NaN`` values; any other marker matches by equality.
    """
    y = np.asarray(y)
    if isinstance(unlabeled, str) and unlabeled == "auto":
        if y.dtype.kind == "f":
            return np.isnan(y)
        if y.dtype.kind in "iub":
            return y == -1
        return np.array([_is_minus_one(value) for value in y], dtype=bool)
    if isinstance(unlabeled, Real) and np.isnan(unlabeled):
        if y.dtype.kind == "f":
            return np.isnan(y)
        return np.array([_is_nan(value) for value in y], dtype=bool)
    return np.asarray(y == unlabeled, dtype=bool).reshape(y.shape)


def _is_nan(value):
    return isinstance(value, Real) and np.isnan(value)


def _is_minus_one(value):
    return isinstance(value, Real) and not isinstance(value, bool) and value == -1


def check_ratio_target(ratio_estimator, target_label, context):
    """Make a meta-estimator's ratio estimator agree on the target domain.

    A meta-estimator fits its ratio estimator on 0/1 domain labels whose
    target is ``1``. A ``target_label`` set in the ratio estimator (at any
    depth, e.g. the estimator inside a :class:`~skratio.CalibratedRatio`)
    would otherwise be read against those 0/1 labels: ``0`` silently inverts
    every weight, a string label is not found. Every such ``target_label``
    must name the meta-estimator's own target label ``target_label`` (the
    label of ``y`` that marks the target rows); it is then set to ``1`` on the
    returned clone. Raises a ValueError naming the disagreement otherwise;
    ``context`` names the meta-estimator and says how it labels the target.
    """
    ratio_estimator = clone(ratio_estimator)
    if not hasattr(ratio_estimator, "get_params"):
        return ratio_estimator
    declared = {
        key: value
        for key, value in ratio_estimator.get_params(deep=True).items()
        if (key == "target_label" or key.endswith("__target_label"))
        and value is not None
    }
    for key, value in declared.items():
        if value != target_label:
            raise ValueError(
                f"The ratio estimator's {key}={value!r} disagrees with {context}: "
                "its weights would be inverted (source over target) or fail. Leave "
                f"the ratio estimator's target_label at None, or set it to "
                f"{target_label!r}."
            )
    return ratio_estimator.set_params(**dict.fromkeys(declared, TARGET))


def _describe(labels):
    return "[" + ", ".join(repr(label) for label in labels.tolist()) + "]"


def check_one_label_type(y, estimator_name):
    """A ValueError for labels that mix numbers and strings (e.g. 0 and '1').

    scikit-learn calls such a target of "unknown" type; the cause is the mix.
    """
    y = np.asarray(y)
    if y.dtype.kind != "O":
        return
    text = next((v for v in y.ravel() if isinstance(v, (str, bytes))), None)
    other = next((v for v in y.ravel() if not isinstance(v, (str, bytes))), None)
    if text is not None and other is not None:
        raise ValueError(
            f"{estimator_name}: the domain labels in y mix strings and other "
            f"values (e.g. {text!r} and {other!r}); give every label the same "
            "type, e.g. all 0/1 or all strings."
        )


def check_domain_labels(y, estimator_name, target_label=None):
    """Return ``(classes, y_encoded)`` for exactly two domain labels.

    ``classes`` is ``[source_label, target_label]`` (the target last) and
    ``y_encoded`` is 0 for source rows, 1 for target rows.

    Raises a ValueError for one label, more than two, or labels outside
    {0, 1}, {False, True}, {-1, 1} without ``target_label``.
    """
    check_one_label_type(y, estimator_name)
    check_classification_targets(y)
    labels = np.unique(y)
    if labels.shape[0] == 1:
        raise ValueError(
            f"{estimator_name} needs rows of two domains (0 = source, 1 = target) "
            f"but y has 1 class: {labels[0]!r}. "
            + fold_hint("StratifiedKFold(5, shuffle=True)")
        )
    y_type = type_of_target(y, input_name="y", raise_unknown=True)
    if y_type != "binary":
        raise ValueError(
            "Only binary classification is supported. The type of the target is "
            f"{y_type}: a density ratio compares exactly two domains, got "
            f"{labels.shape[0]} classes {_describe(labels)}."
        )
    target = _resolve_target_label(labels, target_label, estimator_name)
    source = labels[0] if labels[1] == target else labels[1]
    classes = np.array([source, target], dtype=labels.dtype)
    return classes, (np.asarray(y) == target).astype(int).reshape(-1)


def check_source_target_labels(y, estimator_name, target_label=None):
    """Return ``(classes, y_encoded)`` for one target and one or more sources.

    ``classes`` holds the source labels in sorted order, then the target label
    last; ``y_encoded`` is each row's position in ``classes`` (the target rows
    are ``len(classes) - 1``). Two labels follow :func:`check_domain_labels`
    (0/1, False/True, -1/1 say which is the target). Three or more labels have
    no self-describing target, so ``target_label`` must name it: which of
    several domains is the reference is never guessed.

    Raises a ValueError for one label, or for three or more labels without a
    ``target_label`` found among them.
    """
    check_one_label_type(y, estimator_name)
    check_classification_targets(y)
    labels = np.unique(y)
    if labels.shape[0] <= 2:
        return check_domain_labels(y, estimator_name, target_label)
    if target_label is None:
        raise ValueError(
            f"{estimator_name} cannot tell which domain is the target among the "
            f"{labels.shape[0]} labels {_describe(labels)}: with more than two "
            "domains no label says it itself. Say which label marks the target "
            f"(reference) rows, e.g. target_label={labels.tolist()[-1]!r}; every "
            "other label is a source."
        )
    target = _resolve_target_label(labels, target_label, estimator_name)
    classes = np.concatenate([labels[labels != target], [target]]).astype(labels.dtype)
    y_encoded = np.searchsorted(labels[labels != target], np.asarray(y).reshape(-1))
    y_encoded[np.asarray(y).reshape(-1) == target] = classes.shape[0] - 1
    return classes, y_encoded.astype(int)


def _resolve_target_label(labels, target_label, name):
    """The label of the target domain among two ``labels``."""
    if target_label is not None:
        matches = [label for label in labels.tolist() if label == target_label]
        if not matches:
            raise ValueError(
                f"target_label={target_label!r} is not one of the domain labels "
                f"found in y: {_describe(labels)}."
            )
        return matches[0]
    if set(labels.tolist()) in _SELF_DESCRIBING_LABELS:
        return labels[1]
    raise ValueError(
        f"{name} cannot tell which domain is the target from the labels "
        f"{_describe(labels)}: only 0/1, False/True and -1/1 say it themselves "
        "(the larger value is the target, the numerator of the ratio). Say which "
        f"label marks the target rows, e.g. target_label={labels.tolist()[1]!r} if "
        f"the rows labelled {labels.tolist()[1]!r} are the reference (or real) data, "
        "or stack the samples with skratio.stack_domains(source, target)."
    )


def encode_target_rows(y, target_label=None, name="y_true"):
    """1 for target rows and 0 for source rows of domain labels ``y``.

    The rule of :func:`check_domain_labels` for labels that need not cover both
    domains (the rows a metric scores): without ``target_label``, labels must lie
    in {0, 1}, {False, True} or {-1, 1}, whose target is ``1`` (``True``).
    """
    y = np.asarray(y).reshape(-1)
    if target_label is not None:
        return (y == target_label).astype(int)
    labels = set(np.unique(y).tolist())
    if not any(labels <= allowed for allowed in _SELF_DESCRIBING_LABELS):
        raise ValueError(
            f"{name} must hold domain labels 0 (source) and 1 (target), or -1 and "
            f"1, or False and True; got {_describe(np.unique(y))}. For other labels, "
            "say which one marks the target rows with target_label=..."
        )
    return (y == 1).astype(int)


def encode_domain_labels(y, classes):
    """0/1 encoding of ``y`` by fitted domain labels ``classes`` (target last).

    Raises a ValueError for labels not seen in fit.
    """
    y = np.asarray(y)
    unknown = ~np.isin(y, classes)
    if unknown.any():
        raise ValueError(
            f"y contains labels {np.unique(y[unknown])!r} not seen in fit; "
            f"the domain labels are {classes!r}."
        )
    return (y == classes[1]).astype(int)
