"""The weighted GAN keeps both of two far-apart groups with its defaults."""

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("skorch")

from sklearn.base import clone

from skratio.deep import GAN


def far_groups(n=1000, seed=0):
    """10 % of the rows around (4, 4), 90 % around (-4, -4), sd 0.7; weights 9 and 1."""
    rng = np.random.default_rng(seed)
    minority = rng.random(n) < 0.1
    X = 0.7 * rng.standard_normal((n, 2)) + np.where(minority, 4.0, -4.0)[:, None]
    return X, np.where(minority, 9.0, 1.0)


def minority_share(samples):
    """Share of rows on the minority's side of the line x_0 + x_1 = 0."""
    return float(np.mean(samples.sum(axis=1) > 0))


def test_defaults_give_the_weighted_share_of_far_apart_groups():
    X, weight = far_groups()
    # Seed 2 dropped the minority entirely (share 0.0) before the
    # discriminator scored packs of rows.
    gan = GAN(max_epochs=200, random_state=2).fit(X, sample_weight=weight)
    share = minority_share(gan.sample(4000, random_state=0))
    # Target 0.5: weights 9 and 1 balance about 100 and 900 rows. Noise: the
    # weighted data's effective sample size (sum w)^2 / sum w^2 = 1800^2 / 9000
    # = 360 rows gives a s.e. of sqrt(0.25 / 360) = 0.026, the 4000 samples
    # 0.008; the bound 0.15 (about 5.5 s.e.) leaves the rest to the fit of the
    # network. A dropped mode gives 0 or 1.
    assert abs(share - 0.5) < 0.15
    # Samples of both groups sit on the groups, not between them.
    samples = gan.sample(4000, random_state=1)
    near = np.minimum(
        np.linalg.norm(samples - 4.0, axis=1), np.linalg.norm(samples + 4.0, axis=1)
    )
    # Within 3 sd of 0.7 in 2-D (chi with 2 degrees of freedom) holds 98.9 %
    # of a group's mass.
    assert np.mean(near < 2.1) > 0.9


def test_packs_need_batches_at_least_as_large():
    X, weight = far_groups(n=50)
    with pytest.raises(ValueError, match="pack=4"):
        GAN(pack=4, batch_size=3, max_epochs=1).fit(X, sample_weight=weight)


def test_one_row_per_pack_keeps_the_weighted_loss():
    X, weight = far_groups(n=200)
    gan = GAN(pack=1, hidden_layer_sizes=(8,), max_epochs=2, random_state=0)
    fitted = clone(gan).fit(X, sample_weight=weight)
    assert fitted.net_.module_.discriminator[0].in_features == 2
    packed = clone(gan).set_params(pack=3).fit(X, sample_weight=weight)
    assert packed.net_.module_.discriminator[0].in_features == 6
    assert packed.sample(5, random_state=0).shape == (5, 2)


def test_a_batch_of_zero_weights_takes_no_step():
    X, _ = far_groups(n=64)
    weight = np.zeros(64)
    weight[0] = 1.0
    # One batch of all 64 rows holds the weighted row: training runs; with
    # half the rows per batch, one batch of each epoch has only zero weights.
    gan = GAN(hidden_layer_sizes=(8,), batch_size=32, max_epochs=2, random_state=0)
    gan.fit(X, sample_weight=weight)
    assert np.isfinite(gan.sample(4, random_state=0)).all()
