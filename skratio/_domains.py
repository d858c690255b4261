"""The domain-label convention shared by every estimator.

``y == 0`` marks the *source* (biased data, or a generative model's samples) and
``y == 1`` the *target* (reference data, or real data); weights are always
``p_target / p_source``.
"""

import numpy as np
from scipy import sparse
from sklearn.utils import check_array
from sklearn.utils.multiclass import check_classification_targets, type_of_target

SOURCE, TARGET = 0, 1


def stack_domains(source, target):
    """Stack a source and a target sample into ``(X, y)`` with domain labels.

    Parameters
    ----------
    source : {array-like, sparse matrix} of shape (n_source, n_features)
        Rows from the source distribution (the denominator of the ratio):
        the biased dataset, or samples of a generative model.
    target : {array-like, sparse matrix} of shape (n_target, n_features)
        Rows from the target distribution (the numerator of the ratio):
        the reference dataset, or real data.

    Returns
    -------
    X : {ndarray, sparse matrix} of shape (n_source + n_target, n_features)
        The source rows followed by the target rows.
    y : ndarray of shape (n_source + n_target,)
        ``0`` for source rows and ``1`` for target rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skratio import stack_domains
    >>> X, y = stack_domains(np.zeros((3, 2)), np.ones((2, 2)))
    >>> X.shape, y.tolist()
    ((5, 2), [0, 0, 0, 1, 1])
    """
    check = dict(accept_sparse=True, dtype=None, ensure_all_finite=False)
    source = check_array(source, input_name="source", **check)
    target = check_array(target, input_name="target", **check)
    if source.shape[1] != target.shape[1]:
        raise ValueError(
            "source and target must have the same number of features; got "
            f"{source.shape[1]} and {target.shape[1]}."
        )
    if sparse.issparse(source) or sparse.issparse(target):
        X = sparse.vstack([sparse.csr_matrix(source), sparse.csr_matrix(target)])
    else:
        X = np.concatenate([source, target])
    y = np.repeat([SOURCE, TARGET], [source.shape[0], target.shape[0]])
    return X, y


def check_domain_labels(y, estimator_name):
    """Return ``(classes, y_encoded)`` for exactly two domain labels.

    ``classes[1]`` is the target (numerator); ``y_encoded`` is 0/1.
    """
    check_classification_targets(y)
    classes, y_encoded = np.unique(y, return_inverse=True)
    if classes.shape[0] == 1:
        raise ValueError(
            f"{estimator_name} needs rows of two domains (0 = source, 1 = target) "
            f"but y has 1 class: {classes[0]!r}. Stack both samples with "
            "skratio.stack_domains(source, target)."
        )
    y_type = type_of_target(y, input_name="y", raise_unknown=True)
    if y_type != "binary":
        raise ValueError(
            "Only binary classification is supported. The type of the target is "
            f"{y_type}: a density ratio compares exactly two domains, got "
            f"{classes.shape[0]} classes."
        )
    return classes, y_encoded


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
