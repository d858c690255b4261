"""scikit-learn's common estimator checks on the estimators of skratio.deep.

Small networks and few epochs keep them fast; each expected failure says why
the check does not apply to a network trained by stochastic mini-batch descent.
"""

import pytest

pytest.importorskip("torch")
pytest.importorskip("skorch")
pytest.importorskip("zuko")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from skratio.deep import GAN, VAE, Flow, MLPDomainClassifier, RealNVP  # noqa: E402

SMALL = dict(hidden_layer_sizes=(8,), max_epochs=1, random_state=0)

# The classifier check asks for a training accuracy above 0.83 on blobs: a
# higher learning rate reaches it in a few epochs.
CLASSIFIER = dict(SMALL, max_epochs=5, lr=3e-2)

ESTIMATORS = [
    MLPDomainClassifier(batch_norm=True, dropout=0.1, **CLASSIFIER),
    RealNVP(n_transforms=2, **SMALL),
    Flow("nsf", n_transforms=1, **SMALL),
    VAE(**SMALL),
    GAN(**SMALL),
]


def _expected_failed_checks(estimator):
    """Checks each estimator is known to fail, with the reason."""
    failures = {}
    if isinstance(estimator, Flow):
        failures["check_methods_subset_invariance"] = (
            "the flows compute in float32: the log-density of a row scored alone "
            "and within 20 rows differs in the last bits (relative 2e-7, e.g. "
            "-5.4376626 and -5.4376636), beyond the check's rtol of 1e-7"
        )
    if isinstance(estimator, MLPDomainClassifier):
        failures["check_sample_weight_equivalence_on_dense_data"] = (
            "stochastic mini-batch training: a row of weight 2 enters each batch "
            "once with a doubled loss, a repeated row enters (possibly different) "
            "batches twice, so the optimisation paths and the fits differ; the "
            "weighted loss equals the loss on repeated rows only in expectation"
        )
    if isinstance(estimator, VAE):
        monte_carlo = (
            "score_samples is a Monte-Carlo bound: the encoder's draws for a row "
            "depend on its position in the batch, so scores move with the order "
            "and subset of the rows (by the bound's Monte-Carlo error)"
        )
        failures["check_methods_subset_invariance"] = monte_carlo
        failures["check_methods_sample_order_invariance"] = monte_carlo
    return failures


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
