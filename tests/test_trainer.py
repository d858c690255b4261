"""Tests of WeightedGenerativeTrainer (Algorithm 1 of Choi et al. 2020)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KernelDensity
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import check_random_state

from skratio import (
    CalibratedRatio,
    DensityRatioEstimator,
    WeightCollapseWarning,
    WeightedGenerativeTrainer,
)
from skratio.datasets import make_biased_split, make_gaussian_shift
from skratio.metrics import effective_sample_size, fairness_discrepancy

# Two groups on a line, N(0, 1) and N(SEPARATION, 1): far enough apart that no
# row or kernel sample crosses the midpoint (a KDE sample of bandwidth 0.5 from
# a group-0 row is N(0, 1.25); P(> 6) = P(Z > 5.4) < 1e-7 per draw).
SEPARATION = 12.0
N_DRAWS = 4000


def _two_groups(bias, *, n_biased=2000, reference_size=0.2, seed=0):
    rng = np.random.default_rng(seed)
    groups = np.repeat([0, 1], 3000)
    X = (SEPARATION * groups + rng.standard_normal(groups.shape[0])).reshape(-1, 1)
    return make_biased_split(
        X,
        groups,
        bias=bias,
        reference_size=reference_size,
        n_biased=n_biased,
        random_state=seed,
    )


def _second_group_share(samples):
    return float(np.mean(samples[:, 0] > SEPARATION / 2))


def _binomial_bound(p, n, k=4.0):
    """k standard errors of a proportion p estimated from n independent draws.

    k = 4: a correct implementation fails with probability below 1e-4
    (normal approximation, two-sided).
    """
    return k * np.sqrt(p * (1 - p) / n)


# A depth-1 tree splits the two groups exactly, so its P(reference | x) is the
# reference fraction of the row's group on the training folds: the ratio is a
# function of the group only, as the true ratio is.
def _group_ratio():
    return DensityRatioEstimator(DecisionTreeClassifier(max_depth=1))


class _SeenRowsClassifier(ClassifierMixin, BaseEstimator):
    """P(reference | x) = 0.9 for rows it was fitted on, 0.5 for the others.

    Column 0 of X is a row id, so a weight reveals whether the classifier that
    produced it saw the row.
    """

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.seen_ids_ = np.unique(X[:, 0])
        return self

    def predict_proba(self, X):
        p = np.where(np.isin(X[:, 0], self.seen_ids_), 0.9, 0.5)
        return np.column_stack([1 - p, p])


class _LabelledSampler(BaseEstimator):
    """A generator whose ``sample`` returns ``(X, labels)`` and takes a seed.

    It resamples its training rows with probability proportional to the
    weights, and keeps them so that tests can read what phase 2 received.
    """

    def fit(self, X, y=None, sample_weight=None):
        self.X_ = X
        self.sample_weight_ = sample_weight
        return self

    def sample(self, n_samples=1, random_state=None):
        rng = check_random_state(random_state)
        p = self.sample_weight_ / self.sample_weight_.sum()
        rows = rng.choice(self.X_.shape[0], size=n_samples, p=p)
        return self.X_[rows], rows


class _Phase1MustNotRun(BaseEstimator):
    """A ratio estimator (the whole protocol) that fails if phase 1 runs."""

    def __init__(self, cv=5):
        self.cv = cv

    def fit(self, X, y, sample_weight=None):
        raise AssertionError("phase 1 ran before the generator was checked")

    def fit_predict_weight(self, X, y, sample_weight=None, *, cv=None):
        raise AssertionError("phase 1 ran before the generator was checked")

    def predict_log_weight(self, X):
        raise AssertionError("phase 1 ran before the generator was checked")

    def predict_weight(self, X):
        raise AssertionError("phase 1 ran before the generator was checked")


@pytest.fixture(scope="module")
def gaussian_data():
    X, y, _ = make_gaussian_shift(300, 100, n_features=2, random_state=0)
    return X, y


def test_reference_rows_constant_and_weights_mean_one(gaussian_data):
    X, y = gaussian_data
    trainer = WeightedGenerativeTrainer(KernelDensity(), random_state=0).fit(X, y)
    w = trainer.weights_
    assert w.shape == (X.shape[0],)
    assert np.all(w[y == 1] == w[y == 1][0])
    assert w.mean() == pytest.approx(1.0)
    # The biased rows carry the ratio, which varies with x here.
    assert np.ptp(w[y == 0]) > 0.5
    ess = w.sum() ** 2 / np.sum(w**2)
    assert trainer.effective_sample_size_ == pytest.approx(ess)
    assert isinstance(trainer.ratio_estimator_, DensityRatioEstimator)


@pytest.mark.filterwarnings(
    "ignore::skratio.PoorOverlapWarning", "ignore::skratio.WeightCollapseWarning"
)
def test_biased_weights_come_from_models_that_did_not_see_the_row():
    rng = np.random.default_rng(0)
    X = np.column_stack([np.arange(400), rng.standard_normal(400)])
    y = np.repeat([0, 1], [300, 100])
    trainer = WeightedGenerativeTrainer(
        KernelDensity(),
        # Raw log-odds: a calibration would rescale the spy's odds of 9.
        DensityRatioEstimator(_SeenRowsClassifier(), calibration=None),
        cv=5,
        random_state=0,
    ).fit(X, y)
    # Stratified 5-fold: every training fold has 240 biased and 80 reference
    # rows, gamma = 3. An unseen row has odds 0.5/0.5 = 1, so weight 3; a row
    # the classifier saw would get 3 * 0.9/0.1 = 27. Reference rows weigh 1
    # before the common normalisation.
    relative = trainer.weights_[y == 0] / trainer.weights_[y == 1][0]
    np.testing.assert_allclose(relative, 3.0)
    # The final ratio estimator saw every row: its in-sample weights are 27.
    np.testing.assert_allclose(trainer.ratio_estimator_.predict_weight(X[y == 0]), 27.0)


class _FoldSpy(DensityRatioEstimator):
    """Records the folds that fit_predict_weight receives."""

    def fit_predict_weight(self, X, y, sample_weight=None, *, cv=None):
        self.cv_received_ = cv
        return super().fit_predict_weight(X, y, sample_weight=sample_weight, cv=cv)


def test_cv_and_random_state_drive_the_cross_fitting(gaussian_data):
    X, y = gaussian_data
    ratio = _FoldSpy(cv=5)
    trainer = WeightedGenerativeTrainer(
        KernelDensity(), ratio, cv=3, random_state=0
    ).fit(X, y)
    assert trainer.ratio_estimator_.cv_received_.get_n_splits() == 3
    assert trainer.ratio_estimator_.cv == 5  # passed per call, never set
    assert not hasattr(ratio, "cv_received_")  # the user's estimator is cloned
    again = WeightedGenerativeTrainer(KernelDensity(), ratio, cv=3, random_state=0).fit(
        X, y
    )
    np.testing.assert_array_equal(trainer.weights_, again.weights_)
    other = WeightedGenerativeTrainer(KernelDensity(), ratio, cv=3, random_state=1).fit(
        X, y
    )
    assert not np.array_equal(trainer.weights_, other.weights_)


def test_a_seeded_fit_is_reproducible_with_an_unseeded_ratio_estimator(gaussian_data):
    # A calibrated ratio estimator draws inner folds: the trainer's
    # random_state seeds them when the ratio's own is None.
    X, y = gaussian_data
    first, second = (
        WeightedGenerativeTrainer(
            KernelDensity(), DensityRatioEstimator(), random_state=0
        ).fit(X, y)
        for _ in range(2)
    )
    np.testing.assert_array_equal(first.weights_, second.weights_)
    assert first.ratio_estimator_.random_state is not None
    kept = WeightedGenerativeTrainer(
        KernelDensity(), DensityRatioEstimator(random_state=5), random_state=0
    ).fit(X, y)
    assert kept.ratio_estimator_.random_state == 5


def test_cv_none_leaves_the_ratio_estimator_its_own_folds(gaussian_data):
    X, y = gaussian_data
    ratio = _FoldSpy(cv=4, random_state=0)
    trainer = WeightedGenerativeTrainer(
        KernelDensity(), ratio, cv=None, random_state=0
    ).fit(X, y)
    assert trainer.ratio_estimator_.cv_received_ is None
    direct = clone(ratio).fit_predict_weight(X, y)
    expected = np.where(y == 1, 1.0, np.minimum(direct, 20.0))
    np.testing.assert_allclose(trainer.weights_, expected / expected.mean())


class _OnlyCrossFits(BaseEstimator):
    """Has fit_predict_weight but not the rest of the ratio-estimator protocol."""

    def fit_predict_weight(self, X, y, sample_weight=None, *, cv=None):
        return np.ones(len(y))


def test_a_ratio_estimator_outside_the_protocol_is_refused(gaussian_data):
    X, y = gaussian_data
    trainer = WeightedGenerativeTrainer(KernelDensity(), _OnlyCrossFits())
    with pytest.raises(ValueError, match="predict_log_weight"):
        trainer.fit(X, y)


class _FixedOutput(BaseEstimator):
    """A ratio estimator whose fit_predict_weight returns given values."""

    def __init__(self, weights=None):
        self.weights = weights

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        return self

    def fit_predict_weight(self, X, y, sample_weight=None, *, cv=None):
        self.fit(X, y)
        return self.weights

    def predict_log_weight(self, X):
        return np.zeros(len(X))

    def predict_weight(self, X):
        return np.ones(len(X))


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.nan, "returned NaN weights"),
        (np.inf, "returned infinite weights"),
        (-1.0, "must be non-negative"),
        ("short", r"must return one value per row, shape \(400,\); got shape \(399,\)"),
    ],
)
def test_bad_weights_from_the_ratio_estimator_are_refused(gaussian_data, bad, match):
    X, y = gaussian_data
    weights = np.ones(X.shape[0])
    if bad == "short":
        weights = weights[1:]
    else:
        weights[0] = bad
    trainer = WeightedGenerativeTrainer(KernelDensity(), _FixedOutput(weights))
    with pytest.raises(ValueError, match="_FixedOutput.fit_predict_weight " + match):
        trainer.fit(X, y)


def _collapsing_split():
    # 0.5% of the biased rows come from the second group (10 of 2000) against
    # 50% of the reference: its true ratio is 0.5 / 0.005 = 100, so those 10
    # rows would carry half of the biased rows' total weight.
    return _two_groups([0.995, 0.005], reference_size=0.1, seed=1)


def test_default_weights_do_not_collapse_where_raw_weights_do():
    X, y, _ = _collapsing_split()
    n_biased = np.sum(y == 0)
    with pytest.warns(WeightCollapseWarning):
        raw = WeightedGenerativeTrainer(
            KernelDensity(),
            DensityRatioEstimator(calibration=None),
            max_weight_ratio=None,
            random_state=0,
        ).fit(X, y)
    assert effective_sample_size(raw.weights_[y == 0]) < 0.1 * n_biased
    with warnings.catch_warnings():
        warnings.simplefilter("error", WeightCollapseWarning)
        default = WeightedGenerativeTrainer(KernelDensity(), random_state=0).fit(X, y)
    assert effective_sample_size(default.weights_[y == 0]) >= 0.1 * n_biased
    # The default bound: a biased row weighs at most 20 reference rows.
    assert default.weights_.max() <= 20.0 * default.weights_[y == 1][0] * (1 + 1e-12)


def test_the_bound_protects_any_ratio_estimator():
    # The user's own estimator (no clip) gets the same protection as the
    # default one: the bound belongs to the trainer, not to the estimator.
    X, y, _ = _collapsing_split()
    own = DensityRatioEstimator(make_pipeline(StandardScaler(), LogisticRegression()))
    with warnings.catch_warnings():
        warnings.simplefilter("error", WeightCollapseWarning)
        trainer = WeightedGenerativeTrainer(KernelDensity(), own, random_state=0).fit(
            X, y
        )
    relative = trainer.weights_[y == 0] / trainer.weights_[y == 1][0]
    assert relative.max() <= 20.0 * (1 + 1e-12)
    # The unbounded weights of the same estimator exceed the bound (and
    # collapse, as do those of a looser bound).
    with pytest.warns(WeightCollapseWarning):
        unbounded = clone(own).fit_predict_weight(X, y, cv=5)
    assert unbounded[y == 0].max() > 20.0
    with pytest.warns(WeightCollapseWarning):
        looser = WeightedGenerativeTrainer(
            KernelDensity(), own, max_weight_ratio=50.0, random_state=0
        ).fit(X, y)
    assert (looser.weights_[y == 0] / looser.weights_[y == 1][0]).max() > 20.0


def test_importance_moves_sampled_group_shares_to_the_reference():
    X, y, groups = _two_groups(0.9)
    n_reference = np.sum(y == 1)
    trainer = WeightedGenerativeTrainer(
        KernelDensity(bandwidth=0.5), _group_ratio(), random_state=0
    ).fit(X, y)
    w = trainer.weights_
    # Phase 1. In sample, the group-only ratio gives each group exactly its
    # reference share of the weight (0.5); out of fold, the shares move only
    # through which reference rows fall in which fold, a perturbation smaller
    # than the reference sample's own noise, sd sqrt(0.25 / n_reference).
    weighted_share = w[groups == 1].sum() / w.sum()
    assert abs(weighted_share - 0.5) <= _binomial_bound(0.5, n_reference)
    # Phase 2: the KDE draws each sample's centre with probability
    # proportional to the weights, so the sampled share is a binomial
    # proportion around the weighted share.
    share = _second_group_share(trainer.sample(N_DRAWS, random_state=0))
    assert abs(share - weighted_share) <= _binomial_bound(weighted_share, N_DRAWS)
    # Uniform training keeps the biased share (200 + 200) / 2400 = 1/6.
    uniform = WeightedGenerativeTrainer(
        KernelDensity(bandwidth=0.5), strategy="uniform"
    )
    uniform_share = _second_group_share(
        uniform.fit(X, y).sample(N_DRAWS, random_state=0)
    )
    assert abs(uniform_share - 1 / 6) <= _binomial_bound(1 / 6, N_DRAWS)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_ratio_rebalances_groups_more_than_a_calibrated_one(seed):
    # Digits 0-4 against 5-9, 10 % of the biased rows from the second group
    # against half of the reference: the weighted share of that group should
    # move from 0.1 to 0.5. A calibration fitted on the noisy held-out
    # log-odds of 64 pixels shrinks them as a whole and with them the gap
    # between the groups, so the trainer's default takes the raw odds.
    digits = load_digits()
    X, y, groups = make_biased_split(
        digits.data,
        (digits.target >= 5).astype(int),
        bias=0.9,
        reference_size=0.25,
        n_biased=500,
        random_state=seed,
    )
    biased = y == 0

    def minority_share(ratio_estimator):
        trainer = WeightedGenerativeTrainer(
            KernelDensity(bandwidth=4.0), ratio_estimator, random_state=seed
        ).fit(X, y)
        w = trainer.weights_[biased]
        return w[groups[biased] == 1].sum() / w.sum()

    reference_share = groups[~biased].mean()
    default, calibrated = minority_share(None), minority_share(DensityRatioEstimator())
    assert groups[biased].mean() < calibrated < default < reference_share


def test_strategies():
    X, y, _ = _two_groups(0.9)
    expected_share = {"uniform": 1 / 6, "reference": 0.5}
    for strategy, p in expected_share.items():
        trainer = WeightedGenerativeTrainer(
            KernelDensity(bandwidth=0.5), _Phase1MustNotRun(), strategy=strategy
        ).fit(X, y)
        assert trainer.ratio_estimator_ is None
        share = _second_group_share(trainer.sample(N_DRAWS, random_state=0))
        assert abs(share - p) <= _binomial_bound(p, N_DRAWS)
    reference = WeightedGenerativeTrainer(KernelDensity(), strategy="reference").fit(
        X, y
    )
    np.testing.assert_array_equal(reference.weights_, (y == 1).astype(float))
    assert reference.effective_sample_size_ == pytest.approx(np.sum(y == 1))
    uniform = WeightedGenerativeTrainer(KernelDensity(), strategy="uniform").fit(X, y)
    np.testing.assert_array_equal(uniform.weights_, np.ones(y.shape[0]))


def test_phase_two_receives_the_weights():
    X, y, _ = _two_groups(0.9, n_biased=500)
    sample_weight = np.random.default_rng(0).uniform(0.0, 2.0, y.shape[0])
    sample_weight[:7] = 0.0
    trainer = WeightedGenerativeTrainer(
        _LabelledSampler(), _group_ratio(), random_state=0
    )
    trainer.fit(X, y, sample_weight=sample_weight)
    kept = sample_weight > 0
    np.testing.assert_array_equal(trainer.weights_[~kept], 0.0)
    np.testing.assert_array_equal(trainer.generator_.X_, X[kept])
    np.testing.assert_allclose(
        trainer.generator_.sample_weight_, trainer.weights_[kept]
    )
    assert trainer.weights_[kept].mean() == pytest.approx(1.0)


def test_user_sample_weight_multiplies_the_weights():
    X, y, _ = _two_groups(0.9, n_biased=500)
    sample_weight = np.random.default_rng(0).uniform(0.5, 2.0, y.shape[0])
    uniform = WeightedGenerativeTrainer(KernelDensity(), strategy="uniform")
    uniform.fit(X, y, sample_weight=sample_weight)
    np.testing.assert_allclose(uniform.weights_, sample_weight / sample_weight.mean())
    # Importance: sample_weight also reaches the ratio estimator, so integer
    # weights must equal repeated rows, given the same folds (uncalibrated:
    # the calibration's inner folds split repeated rows, not weighted ones).
    rng = np.random.default_rng(1)
    X, y, _ = make_gaussian_shift(60, 30, n_features=2, random_state=0)
    counts = rng.integers(1, 4, y.shape[0])
    fold = np.arange(y.shape[0]) % 3
    fold_repeated = np.repeat(fold, counts)
    folds = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(3)]
    folds_repeated = [
        (np.flatnonzero(fold_repeated != k), np.flatnonzero(fold_repeated == k))
        for k in range(3)
    ]
    ratio = DensityRatioEstimator(
        LogisticRegression(tol=1e-12, max_iter=10_000), calibration=None
    )
    weighted = WeightedGenerativeTrainer(KernelDensity(bandwidth=0.5), ratio, cv=folds)
    weighted.fit(X, y, sample_weight=counts)
    repeated = WeightedGenerativeTrainer(
        KernelDensity(bandwidth=0.5), ratio, cv=folds_repeated
    )
    repeated.fit(np.repeat(X, counts, axis=0), np.repeat(y, counts))
    grid = np.random.default_rng(2).standard_normal((50, 2))
    np.testing.assert_allclose(
        weighted.score_samples(grid), repeated.score_samples(grid), rtol=1e-6
    )


def test_generator_without_sample_weight():
    X, y, _ = _two_groups(0.9, n_biased=500)
    message = r"sample_weight.*fallback='resample'"
    with pytest.raises(TypeError, match=message):
        WeightedGenerativeTrainer(GaussianMixture(2), _Phase1MustNotRun()).fit(X, y)
    # Uniform weights need no sample_weight ...
    WeightedGenerativeTrainer(GaussianMixture(2), strategy="uniform").fit(X, y)
    # ... but non-uniform user weights do.
    sample_weight = np.linspace(0.5, 1.5, y.shape[0])
    with pytest.raises(TypeError, match=message):
        WeightedGenerativeTrainer(GaussianMixture(2), strategy="uniform").fit(
            X, y, sample_weight=sample_weight
        )


def test_resample_fallback_approximates_the_weighted_fit():
    X, y, _ = _two_groups(0.9)
    n_rows, n_reference = y.shape[0], np.sum(y == 1)
    trainer = WeightedGenerativeTrainer(
        GaussianMixture(2, random_state=0),
        _group_ratio(),
        fallback="resample",
        random_state=0,
    ).fit(X, y)
    samples = trainer.sample(N_DRAWS)
    # Variances add up: weights (the reference's noise, as above), the
    # bootstrap of n_rows rows that sets the mixture's proportions, and the
    # draws: 4 standard errors of the sum.
    bound = 4 * np.sqrt(0.25 / n_reference + 0.25 / n_rows + 0.25 / N_DRAWS)
    assert abs(_second_group_share(samples) - 0.5) <= bound


def test_sample_unpacks_tuples_and_passes_random_state():
    X, y, _ = _two_groups(0.9, n_biased=500)
    trainer = WeightedGenerativeTrainer(
        _LabelledSampler(), _group_ratio(), random_state=0
    )
    trainer.fit(X, y)
    drawn = trainer.sample(5, random_state=3)
    assert isinstance(drawn, np.ndarray) and drawn.shape == (5, 1)
    np.testing.assert_array_equal(
        drawn, trainer.generator_.sample(5, random_state=3)[0]
    )
    kde = WeightedGenerativeTrainer(KernelDensity(), random_state=0).fit(X, y)
    np.testing.assert_array_equal(
        kde.sample(7, random_state=1), kde.sample(7, random_state=1)
    )
    # GaussianMixture.sample returns (X, labels) and takes no random_state.
    gmm = WeightedGenerativeTrainer(
        GaussianMixture(2, random_state=0), strategy="reference"
    )
    gmm.fit(X, y)
    assert gmm.sample(6).shape == (6, 1)


class _UnseedableSampler(_LabelledSampler):
    """A generator whose draws cannot be seeded from outside."""

    def sample(self, n_samples=1):
        return super().sample(n_samples)


def test_a_generator_without_random_state_is_seeded_through_its_parameter():
    # GaussianMixture.sample takes no random_state; it reads its own parameter.
    X, y, _ = _two_groups(0.9, n_biased=500)
    generator = GaussianMixture(2, random_state=0)
    trainer = WeightedGenerativeTrainer(
        generator, _group_ratio(), fallback="resample", random_state=0
    ).fit(X, y)
    first = trainer.sample(50, random_state=0)
    np.testing.assert_array_equal(first, trainer.sample(50, random_state=0))
    assert not np.array_equal(first, trainer.sample(50, random_state=1))
    # The draws are those of the fitted mixture seeded with that value, and the
    # fitted generator keeps its own seed.
    seeded = clone(trainer.generator_).set_params(random_state=0)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        setattr(seeded, name, getattr(trainer.generator_, name))
    np.testing.assert_array_equal(first, seeded.sample(50)[0])
    assert trainer.generator_.random_state == 0 and generator.random_state == 0


def test_a_generator_that_cannot_be_seeded_says_so():
    X, y, _ = _two_groups(0.9, n_biased=500)
    trainer = WeightedGenerativeTrainer(
        _UnseedableSampler(), _group_ratio(), random_state=0
    ).fit(X, y)
    assert trainer.sample(3).shape == (3, 1)
    with pytest.raises(TypeError, match="cannot be seeded"):
        trainer.sample(3, random_state=0)


def test_score_passthrough():
    X, y, _ = _two_groups(0.9, n_biased=500)
    trainer = WeightedGenerativeTrainer(KernelDensity(bandwidth=0.5), random_state=0)
    trainer.fit(X, y)
    np.testing.assert_allclose(
        trainer.score_samples(X), trainer.generator_.score_samples(X)
    )
    assert trainer.score(X) == pytest.approx(trainer.generator_.score(X))
    with pytest.raises(ValueError, match="features"):
        trainer.score_samples(np.zeros((3, 2)))
    no_scores = WeightedGenerativeTrainer(_LabelledSampler(), _group_ratio())
    assert not hasattr(no_scores, "score_samples")
    assert not hasattr(no_scores.fit(X, y), "score_samples")


class _WrongShapeSampler(_LabelledSampler):
    def sample(self, n_samples=1, random_state=None):
        return np.zeros(n_samples)


@pytest.mark.parametrize(
    "make_trainer, X, y, sample_weight, error, match",
    [
        (
            lambda: WeightedGenerativeTrainer(KernelDensity()),
            np.zeros((4, 1)),
            [0, 0, 0, 0],
            None,
            ValueError,
            "two domains",
        ),
        (
            lambda: WeightedGenerativeTrainer(KernelDensity()),
            [[0.0], [np.nan], [1.0], [2.0]],
            [0, 0, 1, 1],
            None,
            ValueError,
            "NaN",
        ),
        (
            lambda: WeightedGenerativeTrainer(KernelDensity(), strategy="balanced"),
            np.zeros((4, 1)),
            [0, 0, 1, 1],
            None,
            ValueError,
            "strategy",
        ),
        (
            lambda: WeightedGenerativeTrainer(LogisticRegression()),
            np.zeros((4, 1)),
            [0, 0, 1, 1],
            None,
            ValueError,
            "generator",
        ),
        (
            lambda: WeightedGenerativeTrainer(KernelDensity(), strategy="reference"),
            np.arange(4.0).reshape(-1, 1),
            [0, 0, 1, 1],
            [1.0, 1.0, 0.0, 0.0],
            ValueError,
            "positive weight",
        ),
        (
            lambda: WeightedGenerativeTrainer(KernelDensity(), strategy="uniform"),
            np.zeros((4, 1)),
            [0, 0, 1, 1],
            [1.0, -1.0, 1.0, 1.0],
            ValueError,
            "Negative",
        ),
    ],
)
def test_fit_rejects_bad_input(make_trainer, X, y, sample_weight, error, match):
    with pytest.raises(error, match=match):
        make_trainer().fit(X, y, sample_weight=sample_weight)


def test_sample_rejects_bad_use():
    X, y, _ = _two_groups(0.9, n_biased=500)
    with pytest.raises(NotFittedError):
        WeightedGenerativeTrainer(KernelDensity()).sample(3)
    trainer = WeightedGenerativeTrainer(KernelDensity(), strategy="uniform").fit(X, y)
    with pytest.raises(ValueError, match="n_samples"):
        trainer.sample(0)
    wrong = WeightedGenerativeTrainer(_WrongShapeSampler(), strategy="uniform").fit(
        X, y
    )
    with pytest.raises(ValueError, match="shape"):
        wrong.sample(3)


# Hypothesis draws small samples that may barely overlap; the invariants hold
# either way, and the warning is right there.
@pytest.mark.filterwarnings(
    "ignore::skratio.PoorOverlapWarning", "ignore::skratio.WeightCollapseWarning"
)
@settings(max_examples=25, deadline=None)
@given(
    n_source=st.integers(12, 40),
    n_target=st.integers(12, 40),
    strategy=st.sampled_from(["importance", "uniform", "reference"]),
    weighted=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_weight_invariants(n_source, n_target, strategy, weighted, seed):
    X, y, _ = make_gaussian_shift(
        n_source, n_target, n_features=2, shift=2.0, random_state=seed
    )
    rng = np.random.default_rng(seed)
    sample_weight = (
        rng.uniform(0.5, 2.0, y.shape[0]) if weighted else np.ones(y.shape[0])
    )
    trainer = WeightedGenerativeTrainer(
        KernelDensity(), strategy=strategy, cv=3, random_state=seed
    ).fit(X, y, sample_weight=sample_weight if weighted else None)
    w = trainer.weights_
    assert np.isfinite(w).all() and (w >= 0).all()
    kept = w > 0
    assert w[kept].mean() == pytest.approx(1.0)
    base = w / sample_weight
    np.testing.assert_allclose(base[y == 1], base[y == 1][0], rtol=1e-12)
    if strategy == "reference":
        np.testing.assert_array_equal(w[y == 0], 0.0)
    elif strategy == "uniform":
        np.testing.assert_allclose(base, base[0], rtol=1e-12)
    ess = w.sum() ** 2 / np.sum(w**2)
    assert trainer.effective_sample_size_ == pytest.approx(ess)


def test_fairness_discrepancy_soft_all_classes_any_reference():
    # Soft probabilities: the mean of [0.6, 0.4] rows is [0.6, 0.4], equal to
    # the reference mean; hard labels (argmax) would give [1, 0].
    reference = [[1.0, 0.0], [0.2, 0.8]]
    assert fairness_discrepancy(reference, [[0.6, 0.4]] * 3) == pytest.approx(0.0)
    # Any reference proportions: a model matching an 80/20 reference has no
    # discrepancy; a balanced one is sqrt(0.3^2 + 0.3^2) away.
    unbalanced = [[1.0, 0.0]] * 4 + [[0.0, 1.0]]
    assert fairness_discrepancy(unbalanced, [[0.8, 0.2]]) == pytest.approx(0.0)
    assert fairness_discrepancy(unbalanced, [[0.5, 0.5]]) == pytest.approx(
        0.3 * np.sqrt(2)
    )
    # All K classes are kept: a dropped column is an error, not a smaller norm.
    four = np.full((3, 4), 0.25)
    with pytest.raises(ValueError, match="all attribute classes"):
        fairness_discrepancy(four[:, :3], four[:, :3])
    assert fairness_discrepancy(four, [[0.0, 0.0, 0.0, 1.0]]) == pytest.approx(
        np.sqrt(3 * 0.25**2 + 0.75**2)
    )


# --------------------------------------------------------------------------
# The trainer and the ratio estimator it holds agree on the reference domain.


def _log_ratio_correlation(trainer, y, log_ratio):
    biased = y == 0
    return np.corrcoef(np.log(trainer.weights_[biased]), log_ratio[biased])[0, 1]


@pytest.mark.parametrize(
    "ratio",
    [
        DensityRatioEstimator(target_label=0),
        CalibratedRatio(DensityRatioEstimator(target_label=0)),
    ],
    ids=["DensityRatioEstimator", "CalibratedRatio"],
)
def test_a_ratio_estimator_naming_the_biased_rows_as_target_is_refused(ratio):
    X, y, _ = make_gaussian_shift(300, 100, n_features=2, random_state=0)
    with pytest.raises(ValueError, match=r"target_label=0 disagrees.*inverted"):
        WeightedGenerativeTrainer(KernelDensity(), ratio, random_state=0).fit(X, y)


@pytest.mark.parametrize(
    "labels, ratio_target, trainer_target",
    [((0, 1), 1, None), (("bias", "ref"), "ref", "ref")],
    ids=["0/1", "strings"],
)
def test_a_ratio_estimator_naming_the_reference_gives_the_true_direction(
    labels, ratio_target, trainer_target
):
    X, y, log_ratio = make_gaussian_shift(300, 300, n_features=2, random_state=0)
    y_labels = np.where(y == 1, labels[1], labels[0])
    trainer = WeightedGenerativeTrainer(
        KernelDensity(),
        DensityRatioEstimator(target_label=ratio_target),
        target_label=trainer_target,
        max_weight_ratio=None,
        random_state=0,
    ).fit(X, y_labels)
    # The log-ratio is linear here (logistic regression is well specified):
    # the estimated log-weights follow it closely, with the sign of the truth.
    assert _log_ratio_correlation(trainer, y, log_ratio) > 0.95


def test_collapse_warns_once_per_fit_at_the_users_line():
    X, y, _ = _collapsing_split()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        WeightedGenerativeTrainer(
            KernelDensity(), max_weight_ratio=None, random_state=0
        ).fit(X, y)
    collapse = [w for w in caught if issubclass(w.category, WeightCollapseWarning)]
    assert len(collapse) == 1
    assert collapse[0].filename == __file__
    assert len(str(collapse[0].message)) < 200
