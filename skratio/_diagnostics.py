"""The warning of samples that barely overlap, from held-out diagnostics.

:func:`~skratio.metrics.overlap_diagnostics` measures, on out-of-fold
weights, the domain AUC and the mean of the source rows' weights (1 for a
correct ratio). :func:`warn_if_poor_overlap` turns them into one
:class:`~skratio.PoorOverlapWarning`. Its thresholds follow the sampling noise
of those statistics, so that overlapping samples of any size stay quiet.
"""

import warnings

from ._weights import first_frame_outside_the_libraries
from .exceptions import PoorOverlapWarning

# ``(1 - AUC) * n_source`` is the expected number of source rows that the
# held-out classifier finds at least as target-like as a typical target row.
# Below one, a typical target row has no source row like it: the source sample
# does not cover the target, and no reweighting of it can reach those rows.
# The bound scales with the sample, as the resolution of an AUC does (one
# misordered pair among n_0 * n_1 moves it by 1 / (n_0 * n_1)): two Gaussians
# with a mean shift of 3.2 standard deviations (5 nats of KL divergence, AUC
# 0.987) stay quiet with 80 source rows or more, while separable samples
# (AUC 1) always warn.
MIN_SOURCE_ROWS_PER_TARGET_ROW = 1.0

# A correct ratio averages to one under the source, and by the central limit
# theorem the mean of n source weights lies within 3 standard errors of 1 but
# for 0.3% of samples. Estimated ratios also carry some bias, and normalised
# weights do not depend on their mean, so the warning asks for more: the
# 3-standard-error interval must lie wholly outside [1/2, 2], a ratio off by
# more than a factor of two beyond its noise.
MEAN_WEIGHT_FACTOR = 2.0
MEAN_WEIGHT_STANDARD_ERRORS = 3.0


def poor_overlap_reasons(diagnostics):
    """The reasons, as sentences, that ``diagnostics`` show poor overlap."""
    reasons = []
    covered = (1.0 - diagnostics.auc) * diagnostics.n_source
    if covered < MIN_SOURCE_ROWS_PER_TARGET_ROW:
        reasons.append(
            f"the held-out domain AUC is {diagnostics.auc:.4f}: a typical target "
            f"row has {covered:.2g} source rows like it (fewer than one)"
        )
    mean, se = diagnostics.mean_source_weight, diagnostics.mean_source_weight_se
    noise = MEAN_WEIGHT_STANDARD_ERRORS * se
    if mean + noise < 1.0 / MEAN_WEIGHT_FACTOR or mean - noise > MEAN_WEIGHT_FACTOR:
        reasons.append(
            f"the source rows' weights average {mean:.3g} +- {se:.2g} (standard "
            "error), where a correct ratio averages 1"
        )
    return reasons


def warn_if_poor_overlap(diagnostics, estimator_name):
    """Warn with :class:`PoorOverlapWarning` when the diagnostics say so.

    Parameters
    ----------
    diagnostics : OverlapDiagnostics
        Held-out diagnostics, from
        :func:`~skratio.metrics.overlap_diagnostics`.
    estimator_name : str
        Names the estimator in the message.

    Returns
    -------
    warned : bool
        Whether the warning was raised.
    """
    reasons = poor_overlap_reasons(diagnostics)
    if not reasons:
        return False
    warnings.warn(
        f"{estimator_name}: the source and target samples barely overlap, or the "
        f"ratio is wrong: {'; and '.join(reasons)}. The weights cannot be "
        "trusted. Bridge the gap with skratio.TelescopingRatio, try another "
        "classifier, use fewer features, or collect more reference rows.",
        PoorOverlapWarning,
        stacklevel=first_frame_outside_the_libraries(),
    )
    return True
