"""The weighted generative models of skratio.deep: VAE, Flow, RealNVP, GAN."""

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")
pytest.importorskip("zuko")

from sklearn.base import clone  # noqa: E402

from skratio import (  # noqa: E402
    DensityRatioEstimator,
    SIRResampler,
    WeightedGenerativeTrainer,
    stack_domains,
)
from skratio.datasets import make_biased_split  # noqa: E402
from skratio.deep import GAN, VAE, Flow, MLPDomainClassifier, RealNVP  # noqa: E402
from skratio.metrics import frechet_distance  # noqa: E402

FAST = dict(hidden_layer_sizes=(32, 32), lr=3e-3, random_state=0)
# Few large batches at a high learning rate: about 60 steps in all.
QUICK = dict(hidden_layer_sizes=(32, 32), lr=1e-2, batch_size=250, random_state=0)


def two_groups(n, minority_share, seed):
    """2-D rows of two groups centred at (-2, 0) and (2, 0), unit variance."""
    rng = np.random.default_rng(seed)
    groups = (rng.random(n) < minority_share).astype(int)
    X = rng.standard_normal((n, 2))
    X[:, 0] += np.where(groups == 1, 2.0, -2.0)
    return X, groups


@pytest.fixture(scope="module")
def mixture():
    return two_groups(1000, 0.1, seed=0)


def side_share(samples):
    """Share of rows on the minority's side of the plane x_0 = 0."""
    return float(np.mean(samples[:, 0] > 0))


@pytest.mark.parametrize(
    "generator",
    [
        Flow(n_transforms=2, max_epochs=15, **QUICK),
        RealNVP(n_transforms=3, max_epochs=15, **QUICK),
        VAE(max_epochs=15, **QUICK),
        GAN(max_epochs=80, hidden_layer_sizes=(32, 32), pack=1, random_state=0),
    ],
    ids=["Flow", "RealNVP", "VAE", "GAN"],
)
def test_weights_move_the_minority_share(mixture, generator):
    X, groups = mixture
    n_samples = 2000
    unweighted = side_share(clone(generator).fit(X).sample(n_samples, random_state=1))
    weights = np.where(groups == 1, 9.0, 1.0)
    weighted = side_share(
        clone(generator).fit(X, sample_weight=weights).sample(n_samples, random_state=1)
    )
    # Targets: P(x_0 > 0) = 0.1 * Phi(2) + 0.9 * Phi(-2) = 0.118 for the data,
    # 0.5 for the weighted data (weights 1 and 9 balance 900 and 100 rows).
    # Noise: the data's share has s.e. sqrt(0.118 * 0.882 / 1000) = 0.010
    # unweighted; weighted, the effective sample size (sum w)^2 / sum w^2 =
    # 1800^2 / 9000 = 360 rows gives sqrt(0.25 / 360) = 0.026. The 2000 samples
    # add 0.007 and 0.011. Three combined s.e. are 0.037 and 0.085; the bounds
    # (0.05, 0.1) leave about 0.013 for the fit of a small network, which
    # smooths mass between the groups.
    assert abs(unweighted - 0.118) < 0.05
    assert abs(weighted - 0.5) < 0.1


@pytest.mark.parametrize("architecture", ["maf", "realnvp", "nsf"])
def test_flow_density_integrates_to_one(mixture, architecture):
    X, _ = mixture
    flow = Flow(architecture, n_transforms=2, max_epochs=5, **FAST).fit(X)
    # Riemann sum over [-12, 12]^2 (the data's standard deviations are about 2.2
    # and 1, so more than 5 of them on each side). The density is smooth on
    # the scale of the 0.06 grid step, so the sum's error is well below 1%.
    grid = np.linspace(-12, 12, 401)
    step = grid[1] - grid[0]
    xx, yy = np.meshgrid(grid, grid)
    density = np.exp(flow.score_samples(np.column_stack([xx.ravel(), yy.ravel()])))
    assert density.sum() * step**2 == pytest.approx(1.0, abs=0.01)


# A correlated 2-D Gaussian; its density ratio to a rough VAE's is smooth (about
# quadratic), which a small network estimates well.
MIXING = np.array([[2.0, 0.0], [1.2, 0.4]])


def correlated(n, seed):
    return np.random.default_rng(seed).standard_normal((n, 2)) @ MIXING.T + [1.0, -1.0]


@pytest.fixture(scope="module")
def rough_vae():
    """A VAE after one epoch: blurry samples, a loose encoder."""
    X = correlated(2000, seed=0)
    return X, VAE(max_epochs=1, **FAST).fit(X)


def test_vae_bound_tightens_with_importance_samples(rough_vae):
    X, vae = rough_vae
    # E[IWAE_K] is non-decreasing in K (Burda et al. 2016, Theorem 1) and
    # bounded by log p(x); the gaps are large for a loose encoder. Each mean
    # over 2000 rows has a Monte-Carlo s.e. far below those gaps.
    bounds = [
        vae.score_samples(X, n_importance_samples=k, random_state=k).mean()
        for k in (1, 10, 100)
    ]
    assert bounds[0] < bounds[1] < bounds[2]
    assert vae.score(X) == pytest.approx(vae.score_samples(X).mean(), rel=1e-12)


@pytest.mark.parametrize(
    "params", [{"prior": "mixture", "n_prior_components": 3}, {"prior": "flow"}]
)
def test_vae_trainable_priors(mixture, params):
    X, _ = mixture
    vae = VAE(max_epochs=3, **FAST, **params).fit(X)
    prior = [name for name, _ in vae.net_.module_.named_parameters() if "prior" in name]
    assert prior  # the prior's parameters are trained with the rest
    assert np.all(np.isfinite(vae.score_samples(X[:50], n_importance_samples=5)))


def test_vae_bernoulli_decoder_on_binary_rows():
    rng = np.random.default_rng(0)
    X = (rng.random((300, 6)) < np.linspace(0.1, 0.9, 6)).astype(float)
    vae = VAE(decoder="bernoulli", max_epochs=3, **FAST).fit(X)
    samples = vae.sample(500, random_state=0)
    assert set(np.unique(samples)) <= {0.0, 1.0}
    # The log-probability of a binary row is at most 0 (a probability mass).
    assert np.all(vae.score_samples(X[:20]) <= 0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        VAE(decoder="bernoulli").fit(X * 2)


def test_trainer_with_flow_learns_the_reference_balance():
    # Biased set: 90% of the first group; reference set: balanced, a fifth
    # of its size (as in Choi et al.). The groups are split by a line, so the
    # trainer's default (logistic) ratio estimator recovers p_ref / p_bias.
    X, groups = two_groups(2000, 0.5, seed=1)
    X_split, y, _ = make_biased_split(
        X, groups, bias=0.9, reference_size=0.2, random_state=0
    )
    flow = Flow(n_transforms=2, max_epochs=15, **QUICK)
    importance = WeightedGenerativeTrainer(flow, random_state=0).fit(X_split, y)
    uniform = WeightedGenerativeTrainer(flow, strategy="uniform").fit(X_split, y)
    # The reference balance is 0.5 on each side (P(x_0 > 0) = 0.5 by symmetry);
    # uniform training sees 1/6 of the rows from the reference and 5/6 from the
    # biased set: a minority share of 0.5/6 + 0.1*5/6 = 0.167, hence
    # 0.167 * 0.977 + 0.833 * 0.023 = 0.18 on the minority's side.
    # Noise: the weighted fit rests on an effective sample of a few hundred
    # rows (s.e. about 0.03) and clipped weights; 0.1 is three s.e. and a bit.
    assert abs(side_share(importance.sample(2000, random_state=0)) - 0.5) < 0.1
    assert abs(side_share(uniform.sample(2000, random_state=0)) - 0.18) < 0.05


def test_trainer_with_vae_moves_toward_the_reference():
    X, groups = two_groups(2000, 0.5, seed=2)
    X_split, y, _ = make_biased_split(
        X, groups, bias=0.9, reference_size=0.2, random_state=0
    )
    vae = VAE(max_epochs=15, **QUICK)
    trainer = WeightedGenerativeTrainer(vae, random_state=0).fit(X_split, y)
    assert abs(side_share(trainer.sample(2000, random_state=0)) - 0.5) < 0.1


def test_sir_with_an_mlp_ratio_corrects_a_vae(rough_vae):
    # Likelihood-free importance weighting (Grover et al. 2019): a rough VAE,
    # a domain classifier telling its samples from the real rows, and SIR with
    # k=10: the corrected samples are closer to held-out data.
    X, vae = rough_vae
    X_held = correlated(2000, seed=1)
    fake = vae.sample(2000, random_state=0)
    ratio = DensityRatioEstimator(
        MLPDomainClassifier((32, 32), max_epochs=20, lr=3e-3, random_state=0)
    ).fit(*stack_domains(fake, X))
    corrected = SIRResampler(ratio, k=10, random_state=0).sample(vae, 2000)
    raw = vae.sample(2000, random_state=1)
    # Two samples of 2000 rows of the data itself are at a Frechet distance of
    # about 0.02 (sampling noise); the rough VAE is at about 1.7. Correction
    # must remove at least half of that distance.
    assert frechet_distance(corrected, X_held) < 0.5 * frechet_distance(raw, X_held)


@pytest.mark.parametrize(
    "generator",
    [
        Flow(n_transforms=1, max_epochs=1, **FAST),
        VAE(max_epochs=1, **FAST),
        GAN(max_epochs=1, hidden_layer_sizes=(8,), random_state=0),
    ],
    ids=["Flow", "VAE", "GAN"],
)
def test_bad_inputs(mixture, generator):
    X, _ = mixture
    bad = X.copy()
    bad[5, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clone(generator).fit(bad)
    with pytest.raises(ValueError, match="Negative values"):
        clone(generator).fit(X, sample_weight=np.r_[-1.0, np.ones(len(X) - 1)])
    with pytest.raises(ValueError, match="non-zero|positive sum"):
        clone(generator).fit(X, sample_weight=np.zeros(len(X)))
    fitted = clone(generator).fit(X)
    for n_samples in (0, 2.5, -3):
        with pytest.raises(ValueError, match="n_samples"):
            fitted.sample(n_samples)
    if hasattr(fitted, "score_samples"):
        with pytest.raises(ValueError, match="features"):
            fitted.score_samples(np.ones((3, 5)))
        assert fitted.score_samples(X[:1]).shape == (1,)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            clone(generator).set_params(device="cuda").fit(X)


@pytest.mark.parametrize(
    "generator",
    [
        Flow("nsf", n_transforms=1, max_epochs=2, **FAST),
        VAE(max_epochs=2, prior="mixture", **FAST),
        GAN(max_epochs=2, hidden_layer_sizes=(8,), random_state=0),
    ],
    ids=["Flow", "VAE", "GAN"],
)
def test_pickle_and_safetensors_round_trips(mixture, generator, tmp_path):
    X, _ = mixture
    model = clone(generator).fit(X)
    expected = model.sample(50, random_state=0)
    unpickled = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(unpickled.sample(50, random_state=0), expected)

    path = tmp_path / "params.safetensors"
    model.net_.save_params(f_params=str(path), use_safetensors=True)
    other = clone(generator).set_params(random_state=1).fit(X[:300] + 1.0)
    assert not np.allclose(other.sample(50, random_state=0), expected)
    other.net_.load_params(f_params=str(path), use_safetensors=True)
    np.testing.assert_array_equal(other.sample(50, random_state=0), expected)
    if hasattr(model, "score_samples"):
        np.testing.assert_array_equal(
            other.score_samples(X[:20]), model.score_samples(X[:20])
        )


def test_same_seed_same_samples_and_dataframe_input(mixture):
    pd = pytest.importorskip("pandas")
    X, _ = mixture
    flow = Flow(n_transforms=1, max_epochs=2, **FAST)
    a = clone(flow).fit(pd.DataFrame(X, columns=["u", "v"]))
    b = clone(flow).fit(X)
    np.testing.assert_allclose(
        a.sample(20, random_state=3), b.sample(20, random_state=3), rtol=1e-6
    )
    assert not np.allclose(b.sample(20, random_state=3), b.sample(20, random_state=4))


def test_flow_anomaly_detection_on_planted_outliers():
    # The rule of examples/plot_flow_anomaly_detection.py: flag rows whose
    # log-likelihood is below mean - 3 sd of the training rows'.
    from sklearn.datasets import make_moons
    from sklearn.metrics import pairwise_distances

    X_train, _ = make_moons(n_samples=1000, noise=0.08, random_state=0)
    X_normal, _ = make_moons(n_samples=1000, noise=0.08, random_state=1)
    candidates = np.random.default_rng(2).uniform([-2.0, -1.5], [3.0, 2.0], (3000, 2))
    outliers = candidates[pairwise_distances(candidates, X_train).min(axis=1) > 0.5]
    flow = Flow("maf", n_transforms=3, max_epochs=20, **QUICK)
    train_ll = flow.fit(X_train).score_samples(X_train)
    threshold = train_ll.mean() - 3 * train_ll.std()
    detection_rate = np.mean(flow.score_samples(outliers) < threshold)
    false_alarm_rate = np.mean(flow.score_samples(X_normal) < threshold)
    # False alarms: Cantelli's inequality bounds P(LL < mean - 3 sd) by
    # 1 / (1 + 9) = 0.1 for any distribution of log-likelihoods; new normal
    # rows follow the training distribution. Detection: the outliers lie at
    # least 0.5 (six noise standard deviations) from every normal row, where
    # a density fitted to the moons is orders of magnitude below its typical
    # values; at least 90% must be flagged.
    assert false_alarm_rate <= 0.1
    assert detection_rate >= 0.9


TINY = [
    Flow(n_transforms=1, max_epochs=2, **QUICK),
    VAE(max_epochs=2, **QUICK),
    GAN(max_epochs=2, hidden_layer_sizes=(8,), random_state=0),
]
TINY_IDS = ["Flow", "VAE", "GAN"]


@pytest.mark.parametrize("generator", TINY, ids=TINY_IDS)
def test_large_values_are_standardised_and_too_large_ones_refused(mixture, generator):
    X, _ = mixture
    # 1e20 is finite in float32 but its square is not: the moments of the
    # standardising layer are computed in float64, and the model learns in
    # standardised units, so its samples come back at the data's scale.
    drawn = clone(generator).fit(X * 1e20).sample(500, random_state=0)
    assert np.isfinite(drawn).all()
    spread = drawn.std(axis=0) / (X * 1e20).std(axis=0)
    assert ((spread > 0.05) & (spread < 20)).all()
    with pytest.raises(ValueError, match="beyond float32's range"):
        clone(generator).fit(X * 1e40)


@pytest.mark.parametrize("generator", TINY, ids=TINY_IDS)
def test_likelihoods_and_samples_follow_the_units_of_the_data(mixture, generator):
    X, _ = mixture
    # Times 4, a power of two, every float operation of the standardisation
    # is exact, so the model trained on 4 X sees the same standardised rows
    # and learns the same parameters. Its samples are then 4 times the
    # others, and by the change of variables its density at 4 x is
    # p(x) / 4^d: the log-likelihoods differ by d log 4 (the standardisation's
    # log-Jacobian; without it they would be equal).
    model = clone(generator).fit(X)
    scaled = clone(generator).fit(4 * X)
    np.testing.assert_array_equal(
        scaled.sample(100, random_state=0), 4 * model.sample(100, random_state=0)
    )
    if hasattr(model, "score_samples"):
        np.testing.assert_allclose(
            scaled.score_samples(4 * X[:100]),
            model.score_samples(X[:100]) - X.shape[1] * np.log(4),
            rtol=0,
            atol=1e-5,
        )


@pytest.mark.parametrize("scale", [1e40, 1e-50])
@pytest.mark.parametrize("generator", TINY, ids=TINY_IDS)
def test_weight_scale_beyond_float32_changes_nothing(mixture, generator, scale):
    X, groups = mixture
    weights = np.where(groups == 1, 9.0, 1.0)
    reference = clone(generator).fit(X, sample_weight=weights)
    scaled = clone(generator).fit(X, sample_weight=weights * scale)
    drawn = scaled.sample(200, random_state=0)
    assert np.isfinite(drawn).all()
    np.testing.assert_allclose(
        drawn, reference.sample(200, random_state=0), rtol=1e-4, atol=1e-5
    )


@pytest.mark.parametrize("generator", TINY, ids=TINY_IDS)
def test_a_non_finite_loss_stops_training(mixture, generator, poison_parameters):
    X, _ = mixture
    model = clone(generator).set_params(callbacks=[poison_parameters("on_epoch_begin")])
    with pytest.raises(ValueError, match="loss became nan at epoch 1, so training"):
        model.fit(X)
    assert not hasattr(model, "net_")


@pytest.mark.parametrize("generator", TINY, ids=TINY_IDS)
def test_a_model_that_ends_with_nan_is_not_returned_fitted(
    mixture, generator, poison_parameters
):
    X, _ = mixture
    model = clone(generator).set_params(callbacks=[poison_parameters("on_train_end")])
    with pytest.raises(ValueError, match="after training, the model .*non-finite"):
        model.fit(X)
    assert not hasattr(model, "net_")


@pytest.mark.parametrize("generator", TINY, ids=TINY_IDS)
def test_verbose_epoch_table_and_device(mixture, generator, capsys):
    X, _ = mixture
    model = clone(generator).set_params(verbose=1, device="auto").fit(X)
    out, err = capsys.readouterr()
    assert [line.split()[0] for line in out.splitlines()[2:]] == ["1", "2"]
    assert "\x1b[" not in out + err and "it/s" not in err
    assert model.device_ == ("cuda" if torch.cuda.is_available() else "cpu")
