"""CorrectedGenerator: LFIW with k and the flattening chosen on held-out rows."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KernelDensity, KNeighborsClassifier
from sklearn.utils._param_validation import InvalidParameterError

from skratio import CorrectedGenerator, DensityRatioEstimator
from skratio._corrected import mmd_gammas, multiscale_mmd

# Six well separated modes in 4-D: a 2-component mixture cannot place its
# mass on them, a 6-component one can.
CENTRES = np.random.default_rng(123).normal(scale=2.5, size=(6, 4))


def six_modes(n, seed):
    rng = np.random.default_rng(seed)
    return CENTRES[rng.integers(6, size=n)] + 0.5 * rng.standard_normal((n, 4))


def knn_ratio():
    return DensityRatioEstimator(KNeighborsClassifier(30))


@pytest.fixture(scope="module")
def far_model():
    """A 2-component mixture fitted to six-mode data, corrected."""
    X = six_modes(2000, seed=0)
    return CorrectedGenerator(
        GaussianMixture(2, random_state=0), knn_ratio(), random_state=0
    ).fit(X)


def test_far_model_picks_a_correction_that_is_closer_on_fresh_rows(far_model):
    assert far_model.k_ > 1
    # Rows that took no part in fitting or choosing.
    test = six_modes(2000, seed=1)
    gammas = mmd_gammas(test)
    raw = far_model.generator_.sample(2000)[0]
    corrected = far_model.sample(2000, random_state=0)
    raw_mmd = multiscale_mmd(raw, test, gammas)
    corrected_mmd = multiscale_mmd(corrected, test, gammas)
    # The raw model misses four modes: its MMD is far above the sampling noise
    # of two samples of 2000 rows (under 1e-3 here), and the correction
    # removes most of it.
    assert raw_mmd > 0.01
    assert corrected_mmd < 0.5 * raw_mmd
    # The weights favour the real side: the ratio is p_data / p_model.
    assert far_model.overlap_auc_[1] > 0.5
    scores = far_model.candidate_scores_
    chosen = (scores["k"] == far_model.k_) & (scores["power"] == far_model.power_)
    assert scores["mean_difference"][chosen] < -scores["std_difference"][chosen]


def test_model_at_the_floor_keeps_k_1():
    X = six_modes(2000, seed=0)
    corrected = CorrectedGenerator(
        GaussianMixture(6, random_state=0), knn_ratio(), random_state=0
    ).fit(X)
    assert corrected.k_ == 1
    assert corrected.power_ == 1.0
    # No candidate beat the raw model beyond its noise.
    scores = corrected.candidate_scores_
    assert np.all(scores["mean_difference"][1:] >= -scores["std_difference"][1:])
    # k = 1 draws the raw model's rows.
    assert corrected.sample(10, random_state=0).shape == (10, 4)


def test_candidates_list_the_raw_model_first_and_every_grid_point(far_model):
    scores = far_model.candidate_scores_
    assert scores["k"][0] == 1 and scores["mean_difference"][0] == 0.0
    pairs = set(zip(scores["k"][1:].tolist(), scores["power"][1:].tolist()))
    assert pairs == {(k, p) for k in (2, 5, 10, 20) for p in (0.5, 1.0)}
    assert 0 < far_model.ess_fraction_ <= 1


def test_the_feature_map_decides_what_is_compared():
    # Column 0 has three modes, column 1 is Gaussian; a 1-component mixture
    # is right about column 1 only.
    rng = np.random.default_rng(0)
    X = np.column_stack(
        [
            rng.choice([-4.0, 0.0, 4.0], 1500) + 0.5 * rng.standard_normal(1500),
            rng.standard_normal(1500),
        ]
    )
    kwargs = {"n_repeats": 5, "k_grid": (5, 20), "random_state": 0}
    both = CorrectedGenerator(
        GaussianMixture(1, random_state=0), knn_ratio(), **kwargs
    ).fit(X)
    second = CorrectedGenerator(
        GaussianMixture(1, random_state=0),
        knn_ratio(),
        feature_map=lambda Z: Z[:, 1:],
        **kwargs,
    ).fit(X)
    assert both.k_ > 1
    assert second.k_ == 1


def test_fixed_k_and_power_are_kept():
    X = six_modes(600, seed=0)
    corrected = CorrectedGenerator(
        GaussianMixture(2, random_state=0),
        knn_ratio(),
        k=5,
        power=0.5,
        n_repeats=2,
        random_state=0,
    ).fit(X)
    assert (corrected.k_, corrected.power_) == (5, 0.5)
    assert corrected.candidate_scores_["k"].tolist() == [1, 5]


def test_a_frozen_generator_is_not_refitted_and_is_seeded():
    X = six_modes(800, seed=0)
    model = GaussianMixture(2, random_state=0).fit(six_modes(800, seed=5))
    means = model.means_.copy()
    corrected = CorrectedGenerator(
        FrozenEstimator(model), knn_ratio(), k=1, n_repeats=2, random_state=0
    ).fit(X)
    assert corrected.generator_.estimator is model
    np.testing.assert_array_equal(model.means_, means)
    first = corrected.sample(50, random_state=1)
    np.testing.assert_array_equal(first, corrected.sample(50, random_state=1))
    # GaussianMixture.sample takes no seed; without seeding a copy each time,
    # every call would repeat the same rows.
    assert not np.array_equal(first, corrected.sample(50, random_state=2))


@pytest.mark.parametrize(
    "criterion", ["frechet", lambda A, B: abs(A.mean() - B.mean())]
)
def test_other_criteria_and_kernel_density(criterion):
    X = six_modes(600, seed=0)
    corrected = CorrectedGenerator(
        KernelDensity(bandwidth=1.0),
        knn_ratio(),
        criterion=criterion,
        k_grid=(5,),
        n_repeats=3,
        random_state=0,
    ).fit(X)
    assert corrected.k_ in (1, 5)
    assert np.isfinite(corrected.candidate_scores_["mean_score"]).all()
    assert corrected.sample(7, random_state=0).shape == (7, 4)


def test_a_deep_generator_and_the_default_ratio():
    pytest.importorskip("torch")
    pytest.importorskip("skorch")
    from skratio.deep import VAE

    X = six_modes(400, seed=0)
    corrected = CorrectedGenerator(
        VAE(latent_dim=2, hidden_layer_sizes=(16,), max_epochs=2, random_state=0),
        k_grid=(2,),
        power_grid=(1.0,),
        n_repeats=2,
        random_state=0,
    ).fit(X)
    assert corrected.sample(5, random_state=0).shape == (5, 4)
    assert np.isfinite(corrected.mean_model_weight_)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"k_grid": (2.5,)}, ValueError, "k_grid"),
        ({"power_grid": (0.0,)}, ValueError, "power_grid"),
        ({"power_grid": ()}, ValueError, "power_grid"),
        ({"k": 0}, InvalidParameterError, "'k'"),
        ({"k": True}, InvalidParameterError, "'k'"),
        ({"power": 1.5}, InvalidParameterError, "'power'"),
        ({"criterion": "kl"}, InvalidParameterError, "'criterion'"),
        ({"validation_fraction": 0.001}, ValueError, "validation_fraction"),
        ({"n_repeats": 1}, InvalidParameterError, "'n_repeats'"),
    ],
)
def test_bad_parameters_are_refused(params, error, match):
    X = six_modes(100, seed=0)
    with pytest.raises(error, match=match):
        CorrectedGenerator(GaussianMixture(1), knn_ratio(), **params).fit(X)


def test_a_generator_without_sample_and_an_unfitted_sample_are_refused():
    with pytest.raises(InvalidParameterError, match="generator"):
        CorrectedGenerator(KNeighborsClassifier()).fit(six_modes(100, seed=0))
    with pytest.raises(NotFittedError):
        CorrectedGenerator(GaussianMixture(1)).sample(3)


def test_a_ratio_estimator_outside_the_protocol_is_refused():
    # A domain classifier has fit but no weights.
    with pytest.raises(InvalidParameterError, match="predict_log_weight"):
        CorrectedGenerator(GaussianMixture(1), KNeighborsClassifier()).fit(
            six_modes(100, seed=0)
        )


class _NaNOnFirstRow(DensityRatioEstimator):
    def predict_log_weight(self, X):
        log_weight = super().predict_log_weight(X)
        log_weight[0] = np.nan
        return log_weight


def test_nan_log_weights_are_refused_naming_the_ratio_estimator():
    with pytest.raises(
        ValueError, match="_NaNOnFirstRow.predict_log_weight returned NaN weights"
    ):
        CorrectedGenerator(
            GaussianMixture(1, random_state=0), _NaNOnFirstRow(), random_state=0
        ).fit(six_modes(100, seed=0))


def test_sample_refuses_a_bad_count(far_model):
    with pytest.raises(ValueError, match="n_samples"):
        far_model.sample(0)
