"""Drawing rows from a generative model, seeded through skratio's random_state.

Generators seed their ``sample`` in one of two ways: a ``random_state``
argument (scikit-learn's :class:`~sklearn.neighbors.KernelDensity`, the models
of :mod:`skratio.deep`), or their own ``random_state`` parameter, which
``sample`` reads on every call (:class:`~sklearn.mixture.GaussianMixture`).
This module is the one place that knows both, so that every caller of
``sample`` (the trainer, SIR, the corrected generator) seeds either kind the
same way.
"""

import copy
import inspect

import numpy as np

# Bound of the integer seeds derived from a random_state for each draw.
MAX_SEED = np.iinfo(np.int32).max


def _sample_takes_random_state(generator):
    return "random_state" in inspect.signature(generator.sample).parameters


def _has_random_state_param(generator):
    get_params = getattr(generator, "get_params", None)
    return get_params is not None and "random_state" in get_params(deep=False)


def can_be_seeded(generator):
    """Whether :func:`draw_rows` can seed ``generator``'s draws."""
    if not hasattr(generator, "sample"):
        return False
    return _sample_takes_random_state(generator) or _has_random_state_param(generator)


def draw_rows(generator, n_samples, random_state=None):
    """``n_samples`` rows from ``generator``, seeded by ``random_state``.

    Parameters
    ----------
    generator : object with ``sample(n_samples, ...)``, or a callable
        The generative model; a plain callable is called as
        ``generator(n_samples)`` and cannot be seeded.
    n_samples : int
        Number of rows to draw.
    random_state : int, RandomState instance or None
        Passed to ``sample(..., random_state=...)`` when it takes one;
        otherwise set as the ``random_state`` parameter of a shallow copy of
        the generator (``GaussianMixture.sample`` re-seeds itself from that
        parameter on every call, so setting it on the caller's model would
        change the model and, with an int, repeat the same rows on every
        call). ``None`` draws with the generator's own seeding. A generator
        with neither way draws unseeded.

    Returns
    -------
    rows : ndarray of shape (n_samples, n_features)
        The drawn rows: the first item when ``sample`` returns a tuple such as
        ``(X, component_labels)``.

    Raises
    ------
    ValueError
        When the generator returns anything but ``n_samples`` rows of a 2-D
        array.
    """
    if not hasattr(generator, "sample"):
        drawn = generator(n_samples)
    elif random_state is not None and _sample_takes_random_state(generator):
        drawn = generator.sample(n_samples, random_state=random_state)
    elif random_state is not None and _has_random_state_param(generator):
        seeded = copy.copy(generator)
        seeded.set_params(random_state=random_state)
        drawn = seeded.sample(n_samples)
    else:
        drawn = generator.sample(n_samples)
    if isinstance(drawn, tuple):
        drawn = drawn[0]
    # A plain conversion: check_array's per-call overhead would dominate the
    # cost of SIR's small chunks; the ratio estimator validates the values.
    drawn = np.asarray(drawn)
    if drawn.ndim != 2 or drawn.shape[0] != n_samples:
        raise ValueError(
            f"The generator must return an array of shape ({n_samples}, "
            f"n_features) when asked for {n_samples} rows; got shape "
            f"{drawn.shape}."
        )
    return drawn
