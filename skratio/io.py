"""Save and load fitted estimators without pickle, with :mod:`skops.io`.

A pickle runs whatever code its author put in it when it is loaded; a
``.skops`` file holds only data and the names of the types to rebuild, and
:func:`skops.io.load` refuses types it has not been told to trust. :func:`dump`
and :func:`load` wrap it for skratio's estimators: :func:`load` trusts the
classes that skratio itself defines and the scikit-learn types its estimators
keep when fitted (calibrators, trees, neighbour trees, distance metrics,
cross-validation splitters), and refuses any other type unless the caller
names it in ``trusted``. Trust is decided from names alone: no module that a
file names is imported to decide it. Needs skops, the ``io`` extra (from the
source tree: ``pip install -e ".[io]"``).

The deep models (:mod:`skratio.deep`) hold torch modules, which skops cannot
rebuild; save those with their own methods.
"""

import inspect
import os
import sys

__all__ = ["dump", "load", "untrusted_types"]

# Types that scikit-learn estimators keep in their fitted state and that skops
# does not trust by default. All are data containers rebuilt from arrays.
_SCIKIT_LEARN_FITTED_TYPES = (
    # CalibratedClassifierCV (CalibratedRatio) keeps one calibrated classifier
    # per fold, with its sigmoid or temperature calibrator.
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.calibration._TemperatureScaling",
    # Tree ensembles and histogram gradient boosting.
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    # MLPClassifier keeps its optimizer.
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
)


def _qualified_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def _scikit_learn_types():
    """The scikit-learn types :func:`load` trusts besides skops' defaults."""
    from sklearn import model_selection
    from sklearn.metrics import DistanceMetric
    from sklearn.neighbors import BallTree, KDTree

    # Cross-validation splitters are parameters (cv=StratifiedKFold(...)) and
    # KernelDensity and neighbour classifiers keep a tree and its metric.
    splitters = [
        obj
        for name, obj in vars(model_selection).items()
        if inspect.isclass(obj)
        and not name.startswith("_")
        and hasattr(obj, "split")
        and hasattr(obj, "get_n_splits")
        and not hasattr(obj, "fit")
    ]
    classes = [BallTree, KDTree, *_subclasses(DistanceMetric), *splitters]
    return {_qualified_name(cls) for cls in classes} | set(_SCIKIT_LEARN_FITTED_TYPES)


def _is_command_line_module(name):
    """Whether ``name`` is one of skratio's command-line modules.

    Their classes are never part of a saved estimator, and importing
    ``skratio.__main__`` runs the command line.
    """
    part = name.split(".")[1] if name.count(".") else ""
    return part == "__main__" or part.startswith(("cli", "_cli"))


def _skratio_classes():
    """Names of the classes defined in skratio's imported library modules.

    Read from ``sys.modules``, never by importing a module that a file names
    (importing runs its code). ``import skratio`` imports every estimator's
    module; the classes of :mod:`skratio.deep` count once it is imported.
    """
    # The splitters of skratio.model_selection are cv parameters.
    import skratio.model_selection  # noqa: F401

    names = set()
    for module_name, module in list(sys.modules.items()):
        if module is None or _is_command_line_module(module_name):
            continue
        if module_name != "skratio" and not module_name.startswith("skratio."):
            continue
        for obj in list(vars(module).values()):
            if inspect.isclass(obj) and obj.__module__ == module_name:
                names.add(_qualified_name(obj))
    return names


def _is_skratio_class(name):
    """Whether ``name`` is a class defined in one of skratio's library modules."""
    return name in _skratio_classes()


def _skops_io():
    """:mod:`skops.io`, or an ImportError that names the extra to install."""
    try:
        import skops.io
    except ImportError as exc:
        raise ImportError(
            "skratio.io needs skops, which is not installed "
            f"({exc}). Install the io extra from skratio's source tree: "
            'pip install -e ".[io]"'
        ) from exc
    return skops.io


def _read(file):
    if hasattr(file, "read"):
        return file.read()
    with open(os.fspath(file), "rb") as stream:
        return stream.read()


def _split_types(data, trusted):
    """The types of the file that skops does not trust: (known, unknown)."""
    user = {t if isinstance(t, str) else _qualified_name(t) for t in trusted or ()}
    known = _scikit_learn_types() | _skratio_classes() | user
    found = _skops_io().get_untrusted_types(data=data)
    accepted = [t for t in found if t in known]
    refused = [t for t in found if t not in accepted]
    return accepted, refused


def dump(estimator, file):
    """Save an estimator (fitted or not) in skops' format.

    Parameters
    ----------
    estimator : object
        Typically a fitted :class:`~skratio.DensityRatioEstimator`,
        :class:`~skratio.CalibratedRatio`, :class:`~skratio.SIRResampler` or
        :class:`~skratio.WeightedGenerativeTrainer`.
    file : str, path-like or binary file object
        Where to write; ``.skops`` is the usual suffix.

    See Also
    --------
    load : Read it back.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skratio import DensityRatioEstimator
    >>> from skratio.datasets import make_gaussian_shift
    >>> from skratio.io import dump, load
    >>> X, y, _ = make_gaussian_shift(n_source=200, n_target=100, random_state=0)
    >>> ratio = DensityRatioEstimator().fit(X, y)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ratio.skops"
    >>> dump(ratio, path)
    >>> bool((load(path).predict_weight(X) == ratio.predict_weight(X)).all())
    True
    """
    _skops_io().dump(estimator, file)


def untrusted_types(file, *, trusted=None):
    """The types in a skops file that :func:`load` would refuse.

    Parameters
    ----------
    file : str, path-like or binary file object
        A file written by :func:`dump` (or :func:`skops.io.dump`).
    trusted : list of str or type, default=None
        Types the caller trusts besides those :func:`load` trusts itself.

    Returns
    -------
    types : list of str
        Fully qualified names; empty when :func:`load` would load the file.

    Examples
    --------
    >>> import io
    >>> from skratio import DensityRatioEstimator
    >>> from skratio.io import dump, untrusted_types
    >>> buffer = io.BytesIO()
    >>> dump(DensityRatioEstimator(), buffer)
    >>> untrusted_types(io.BytesIO(buffer.getvalue()))
    []
    """
    return _split_types(_read(file), trusted)[1]


def load(file, *, trusted=None):
    """Load an estimator saved by :func:`dump`, trusting only known types.

    Trusted are skops' defaults (numpy, scipy and most scikit-learn
    estimators), every class defined in skratio's imported library modules
    (all the estimators; those of :mod:`skratio.deep` once it is imported;
    never the command line's), the scikit-learn types that fitted estimators
    keep (calibrators, trees, neighbour trees, distance metrics,
    cross-validation splitters), and the types listed in ``trusted``.
    Anything else is refused before any object is built, and no module that
    the file names is imported to decide it.

    Parameters
    ----------
    file : str, path-like or binary file object
        A file written by :func:`dump`.
    trusted : list of str or type, default=None
        More types to trust, e.g. a classifier from another library, by
        fully qualified name (as :func:`untrusted_types` lists them) or as
        the type itself. Check a file's types before trusting them.

    Returns
    -------
    estimator : object
        The estimator, which predicts exactly as the one saved.

    Raises
    ------
    skops.io.exceptions.UntrustedTypesFoundException
        A ``TypeError`` naming the types that are not trusted.

    See Also
    --------
    dump : Save an estimator.
    untrusted_types : What a file holds that would be refused.

    Examples
    --------
    >>> import io
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> from skratio import DensityRatioEstimator
    >>> from skratio.datasets import make_gaussian_shift
    >>> from skratio.io import dump, load
    >>> X, y, _ = make_gaussian_shift(n_source=200, n_target=100, random_state=0)
    >>> ratio = DensityRatioEstimator(HistGradientBoostingClassifier(max_iter=5))
    >>> buffer = io.BytesIO()
    >>> dump(ratio.fit(X, y), buffer)
    >>> loaded = load(io.BytesIO(buffer.getvalue()))
    >>> bool((loaded.predict_weight(X) == ratio.predict_weight(X)).all())
    True
    """
    skops_io = _skops_io()
    data = _read(file)
    accepted, refused = _split_types(data, trusted)
    if refused:
        raise skops_io.exceptions.UntrustedTypesFoundException(refused)
    return skops_io.loads(data, trusted=accepted)
