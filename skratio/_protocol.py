"""What skratio's consumers ask of a ratio estimator, and the shared plumbing.

The ratio-estimator protocol is the set of public methods every ratio
estimator of skratio has and every consumer (``SIRResampler``,
``WeightedGenerativeTrainer``, ``ReweightedEstimator``, ``CorrectedGenerator``,
:mod:`skratio.dask`) relies on:

- ``fit(X, y, sample_weight=None)``, on domain labels (or the ``target_label``
  the estimator names), returning ``self``;
- ``predict_log_weight(X)`` and ``predict_weight(X)``, the log of the ratio and
  the ratio, one value per row (``-inf`` and ``0`` for a row the target
  cannot produce);
- ``fit_predict_weight(X, y, sample_weight=None, *, cv=None)``, out-of-fold
  weights of the rows it is fitted on, with ``cv`` a number of folds or a
  splitter (``None``: the estimator's own folds); afterwards the estimator is
  fitted on all rows, as by ``fit``.

Weights are finite and non-negative; consumers check what they receive with
:func:`skratio._validation.check_weight_values`, which names the method that
broke the rule. A fitted estimator may say which label it took as the target
with ``classes_`` (target last): consumers that fit it on their own 0/1 labels
read it to refuse inverted weights.

Consumers state the protocol with :data:`RATIO_ESTIMATOR` in their
``_parameter_constraints`` and call those methods only: no ``hasattr`` or
signature checks, no fallback from ``predict_log_weight`` to
``predict_weight``. A ratio estimator written outside skratio needs all four
methods.
"""

from numbers import Integral

from sklearn.model_selection import KFold, StratifiedKFold, check_cv
from sklearn.utils import check_random_state

from ._compat import HasMethods
from ._generators import MAX_SEED

RATIO_ESTIMATOR_METHODS = (
    "fit",
    "fit_predict_weight",
    "predict_log_weight",
    "predict_weight",
)

#: The ``_parameter_constraints`` entry of a parameter that takes a ratio
#: estimator (add ``None`` where the consumer has a default).
RATIO_ESTIMATOR = HasMethods(list(RATIO_ESTIMATOR_METHODS))


def derive_seed(random_state):
    """One integer seed drawn from ``random_state`` (int, RandomState or None).

    Consumers that hand a seed to a part they do not own (a splitter, a
    generator's draw, a dask partition) draw it here, so that every draw uses
    the same bound.
    """
    return int(check_random_state(random_state).randint(MAX_SEED))


def seed_unseeded(estimator, random_state):
    """Give ``estimator`` (a clone the caller owns) a seed if its own is None.

    A meta-estimator seeded by the user then makes the draws of the ratio
    estimator it fits reproducible too (the inner folds of its calibration),
    as scikit-learn's ensembles seed their members; a ``random_state`` the
    user gave the ratio estimator is kept. The seed is drawn from
    ``random_state`` (:func:`derive_seed`).
    """
    params = estimator.get_params(deep=False)
    if "random_state" in params and params["random_state"] is None:
        estimator.set_params(random_state=derive_seed(random_state))
    return estimator


def domain_folds(cv, y, random_state, *, stratify=True):
    """The splitter of a ``cv`` parameter on domain (or class) labels ``y``.

    An integer gives a *shuffled* stratified k-fold seeded by ``random_state``
    (an int or RandomState used as given: derive a seed first with
    :func:`derive_seed` where one RandomState feeds several draws); without
    shuffling, scikit-learn's k-fold would cut stacked domains into
    single-domain folds. ``stratify=False`` gives a shuffled plain k-fold (for
    regression targets). Any other value goes through
    :func:`sklearn.model_selection.check_cv`.
    """
    if isinstance(cv, Integral):
        splitter = StratifiedKFold if stratify else KFold
        return splitter(cv, shuffle=True, random_state=random_state)
    return check_cv(cv, y, classifier=stratify)
