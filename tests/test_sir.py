"""Tests of SIRResampler: exact output distributions, the sampler protocol, errors.

Statistical tests use fixed seeds and Pearson chi-square tests at level
ALPHA = 0.001 against expected frequencies computed exactly (below): each
fails a correct implementation for about one seed in a thousand, while a
wrong direction of the weights, a wrong block size or a wrong grouping of the
candidates moves its statistic by hundreds.
"""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from imblearn.pipeline import Pipeline
from imblearn.utils._tags import InputTags as ImblearnInputTags
from imblearn.utils._tags import SamplerTags
from imblearn.utils._tags import Tags as ImblearnTags
from imblearn.utils.estimator_checks import parametrize_with_checks
from scipy import sparse, stats
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KernelDensity
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.utils import check_array
from sklearn.utils._tags import InputTags as SklearnInputTags

from skratio import (
    DensityRatioEstimator,
    SIRResampler,
    WeightCollapseWarning,
    stack_domains,
)
from skratio.datasets import make_gaussian_shift
from skratio.metrics import frechet_distance

from _helpers import CategoryRatio, chi_square_pvalue

ALPHA = 0.001


class FixedRatio(BaseEstimator):
    """A ratio estimator of the protocol that has nothing to fit.

    ``fit`` and ``fit_predict_weight`` are there for the protocol; SIR calls
    only ``predict_log_weight``.
    """

    def fit(self, X, y=None, sample_weight=None):
        return self

    def fit_predict_weight(self, X, y, sample_weight=None, *, cv=None):
        return self.predict_weight(X)

    def __sklearn_is_fitted__(self):
        return True


class GaussianShiftRatio(FixedRatio):
    """Analytic ratio ``N(m, I) / N(0, I)``, ``m = shift / sqrt(d)`` per coordinate.

    The log-ratio of ``make_gaussian_shift`` with ``target_scale=1``:
    ``m . x - |m|^2 / 2``. Missing coordinates (NaN) are marginalised out:
    the ratio of the marginals of the observed coordinates drops their terms.
    Nothing to fit: it works for any number of features.
    """

    def __init__(self, shift=1.0):
        self.shift = shift

    def predict_log_weight(self, X):
        X = check_array(X, accept_sparse="csr", ensure_all_finite="allow-nan")
        per_coordinate = self.shift / np.sqrt(X.shape[1])
        if sparse.issparse(X):
            row_sum, observed = np.asarray(X.sum(axis=1)).ravel(), X.shape[1]
        else:
            row_sum, observed = np.nansum(X, axis=1), (~np.isnan(X)).sum(axis=1)
        return per_coordinate * row_sum - 0.5 * per_coordinate**2 * observed

    def predict_weight(self, X):
        return np.exp(self.predict_log_weight(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        return tags


class BrokenRatio(FixedRatio):
    """Returns whatever log-weights it was given, whatever ``X``."""

    def __init__(self, log_weights=(0.0,)):
        self.log_weights = log_weights

    def predict_log_weight(self, X):
        return np.asarray(self.log_weights, dtype=float)

    def predict_weight(self, X):
        return np.exp(self.predict_log_weight(X))


class CategoricalGenerator:
    """Independent draws of a category (one feature) with probabilities ``p``.

    ``sort=True`` returns them grouped by category, as GaussianMixture groups
    its draws by component: the same multiset, in an order that is not random.
    """

    def __init__(self, p, sort=False):
        self.p = np.asarray(p)
        self.sort = sort

    def sample(self, n_samples, random_state=None):
        rng = np.random.default_rng(random_state)
        draws = rng.choice(len(self.p), size=n_samples, p=self.p)
        return (np.sort(draws) if self.sort else draws).reshape(-1, 1)


def _compositions(k, n_categories):
    """Every ``(n_1, ..., n_m)`` of non-negative integers summing to ``k``."""
    rows = []
    for bars in itertools.combinations(range(k + n_categories - 1), n_categories - 1):
        edges = (-1, *bars, k + n_categories - 1)
        rows.append(np.diff(edges) - 1)
    return np.array(rows)


def exact_sir_distribution(k, weights, composition_pmf):
    """Exact distribution of the category kept by SIR from one block of ``k``.

    ``composition_pmf`` gives the probability of each composition (how many
    candidates of each category the block holds). Given the composition
    ``N``, category ``c`` is kept with probability ``N_c w_c / sum_j N_j w_j``,
    or ``N_c / k`` (a uniform candidate) when all the block's weights are 0.
    """
    weights = np.asarray(weights, dtype=float)
    compositions = _compositions(k, len(weights))
    mass = compositions * weights
    total = mass.sum(axis=1, keepdims=True)
    share = np.where(
        total > 0, mass / np.where(total > 0, total, 1.0), compositions / k
    )
    return composition_pmf(compositions) @ share


def iid_sir_distribution(k, p, weights):
    """SIR from ``k`` independent candidates of a categorical ``p`` (as ``sample``)."""
    return exact_sir_distribution(k, weights, lambda n: stats.multinomial.pmf(n, k, p))


def pool_sir_distribution(k, counts, weights):
    """SIR from a uniformly random ``k``-subset of a pool with category ``counts``."""
    return exact_sir_distribution(
        k, weights, lambda n: stats.multivariate_hypergeom.pmf(n, m=counts, n=k)
    )


# The setting of the distribution tests: candidates of three categories, the
# last one rare under the source and heavily weighted, so that finite k is
# visibly biased toward the source.
SOURCE_P = np.array([0.5, 0.3, 0.2])
CATEGORY_WEIGHTS = np.array([0.2, 1.0, 4.0])
TARGET_P = SOURCE_P * CATEGORY_WEIGHTS / (SOURCE_P @ CATEGORY_WEIGHTS)


def test_gaussian_shift_ratio_is_the_analytic_ratio():
    X, _, log_ratio = make_gaussian_shift(
        50, 50, n_features=3, shift=1.5, random_state=0
    )
    assert np.allclose(GaussianShiftRatio(shift=1.5).predict_log_weight(X), log_ratio)


def test_exact_distribution_bias_is_of_order_one_over_k():
    # Checks the oracle of the chi-square tests against an independent
    # expansion. With mu = E_p[w], sigma^2 = Var_p(w) and S the sum of the
    # other k - 1 weights, the output of SIR(k) has probability
    #   q_k(c) = p_c w_c E[k / (w_c + S)].
    # Expanding k / (w_c + S) around k mu (E[S - (k-1) mu] = 0,
    # E[(S - (k-1) mu)^2] = (k-1) sigma^2) gives
    #   q_k(c) = pi_c (1 + (sigma^2 / mu^2 - (w_c - mu) / mu) / k + O(1/k^2)),
    # pi = p w / mu: the bias shrinks like 1/k. At k = 200 the O(1/k^2) rest
    # is about 1% of the 1/k term.
    mu = SOURCE_P @ CATEGORY_WEIGHTS
    sigma2 = SOURCE_P @ (CATEGORY_WEIGHTS - mu) ** 2
    limit = TARGET_P * (sigma2 / mu**2 - (CATEGORY_WEIGHTS - mu) / mu)
    k = 200
    scaled_bias = k * (iid_sir_distribution(k, SOURCE_P, CATEGORY_WEIGHTS) - TARGET_P)
    assert np.allclose(scaled_bias, limit, rtol=0.05)
    assert np.allclose(iid_sir_distribution(1, SOURCE_P, CATEGORY_WEIGHTS), SOURCE_P)


def test_whole_pool_frequencies_are_proportional_to_weights():
    # k=None: each output row is an independent draw of pool row i with
    # probability w_i / sum(w), so category c has probability
    # M_c w_c / sum_j M_j w_j exactly (multinomial counts).
    counts = np.array([400, 300, 200, 100])
    category_weights = np.array([1.0, 2.0, 4.0, 0.5])
    pool = np.repeat(np.arange(4), counts).reshape(-1, 1)
    sir = SIRResampler(k=None, n_samples=20000, random_state=0)
    X_res = sir.fit_resample(pool, sample_weight=category_weights[pool.ravel()])
    expected = counts * category_weights / (counts @ category_weights)
    assert chi_square_pvalue(X_res, expected) > ALPHA


@pytest.mark.parametrize("sort", [False, True])
@pytest.mark.parametrize("k", [1, 2, 5, 20])
def test_sample_follows_the_exact_sir_distribution(k, sort):
    # Sorted draws would make blocks of consecutive candidates hold mostly one
    # category, and the output follow the source; blocks come after a shuffle.
    sir = SIRResampler(CategoryRatio(CATEGORY_WEIGHTS), k=k, random_state=k)
    X_sir = sir.sample(CategoricalGenerator(SOURCE_P, sort=sort), 4000)
    expected = iid_sir_distribution(k, SOURCE_P, CATEGORY_WEIGHTS)
    assert chi_square_pvalue(X_sir, expected) > ALPHA


def test_sample_approaches_the_weighted_distribution_as_k_grows():
    # Against pi = p w / Z itself, the chi-square statistic of n outputs has
    # noncentrality lambda_k = n sum_c (q_k(c) - pi_c)^2 / pi_c = O(n / k^2).
    # With n = 4000: lambda_2 is in the thousands (finite k is detectably
    # biased), lambda_200 < 0.5 (the bias is lost in the noise: a correct
    # sampler is rejected with probability below 0.002 at level ALPHA).
    n = 4000

    def noncentrality(k):
        q = iid_sir_distribution(k, SOURCE_P, CATEGORY_WEIGHTS)
        return n * np.sum((q - TARGET_P) ** 2 / TARGET_P)

    assert noncentrality(2) > 1000
    assert noncentrality(200) < 0.5
    generator = CategoricalGenerator(SOURCE_P)
    small_k = SIRResampler(CategoryRatio(CATEGORY_WEIGHTS), k=2, random_state=0)
    large_k = SIRResampler(CategoryRatio(CATEGORY_WEIGHTS), k=200, random_state=0)
    assert chi_square_pvalue(small_k.sample(generator, n), TARGET_P) < ALPHA
    assert chi_square_pvalue(large_k.sample(generator, n), TARGET_P) > ALPHA


def test_fit_resample_blocks_are_uniform_subsets_of_the_pool():
    # One output row from a pool of 12 rows: its block is a uniformly random
    # 4-subset (multivariate hypergeometric composition). Independent runs
    # with different seeds give independent draws of that exact distribution.
    counts = np.array([6, 4, 2])
    pool = np.repeat(np.arange(3), counts).reshape(-1, 1)
    weights = CATEGORY_WEIGHTS[pool.ravel()]
    kept = [
        SIRResampler(k=4, n_samples=1, random_state=seed).fit_resample(
            pool, sample_weight=weights
        )[0, 0]
        for seed in range(1500)
    ]
    expected = pool_sir_distribution(4, counts, CATEGORY_WEIGHTS)
    assert chi_square_pvalue(kept, expected) > ALPHA


def test_grouped_random_order_blocks_are_uniform_subsets_of_the_pool():
    # chunk_size=5 makes the random order of the pool of 12 sorted rows be
    # shuffled in random groups of about 5 rows, revealed range of labels by
    # range of labels as the blocks need them. Each block, whichever, is a
    # uniformly random 4-subset of the pool: each output row follows the
    # exact SIR distribution of one block. Runs with different seeds are
    # independent draws, so the first rows of 1000 runs (and the last rows)
    # make a sample of it; each of the two tests is at level ALPHA.
    counts = np.array([6, 4, 2])
    pool = np.repeat(np.arange(3), counts).reshape(-1, 1)
    weights = CATEGORY_WEIGHTS[pool.ravel()]
    kept = np.array(
        [
            SIRResampler(k=4, chunk_size=5, random_state=seed)
            .fit_resample(pool, sample_weight=weights)
            .ravel()
            for seed in range(1000)
        ]
    )
    expected = pool_sir_distribution(4, counts, CATEGORY_WEIGHTS)
    assert chi_square_pvalue(kept[:, 0], expected) > ALPHA
    assert chi_square_pvalue(kept[:, 2], expected) > ALPHA


def exact_pair_distribution(weights, k):
    """Exact distribution of the two rows kept from the first two blocks.

    Enumerates every ordering of the pool: the blocks are its first two
    ``k``-tuples, each keeping row ``i`` with probability ``w_i / sum(w)``
    in the block. Returns an ``(n_pool, n_pool)`` array, entry ``(i, j)``
    the probability that block 0 keeps row ``i`` and block 1 row ``j``.
    """
    weights = np.asarray(weights, dtype=float)
    n_pool = len(weights)
    pairs = np.zeros((n_pool, n_pool))
    orderings = list(itertools.permutations(range(n_pool)))
    for order in orderings:
        first, second = list(order[:k]), list(order[k : 2 * k])
        p_first = weights[first] / weights[first].sum()
        p_second = weights[second] / weights[second].sum()
        pairs[np.ix_(first, second)] += np.outer(p_first, p_second)
    return pairs / len(orderings)


@pytest.mark.parametrize(
    "weights",
    [
        # Moderate spread: most blocks keep one of their first candidates.
        [0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0],
        # Heavy tail: the largest weight is far above most blocks', so the
        # blocks reveal all their candidates (the steps stop early).
        [0.01, 0.02, 0.05, 0.1, 0.2, 1.0, 400.0],
    ],
    ids=["moderate", "heavy-tailed"],
)
def test_two_blocks_follow_their_exact_joint_distribution(weights):
    # The joint law of the rows kept by two blocks of a pool of 7 rows: the
    # blocks must be disjoint uniformly random 3-subsets (a row kept by one
    # block is never a candidate of the other, and a block's candidates are
    # not tied to where they sit in the pool), and each must keep a row with
    # probability proportional to its weight in the block. chunk_size=1
    # shuffles the random order in groups, and the rows are revealed a few
    # at a time. 42 ordered pairs of distinct rows; 3000 independent runs.
    weights = np.array(weights)
    pool = np.arange(7).reshape(-1, 1)
    expected = exact_pair_distribution(weights, 3)
    kept = np.array(
        [
            SIRResampler(k=3, n_samples=2, chunk_size=1, random_state=seed)
            .fit_resample(pool, sample_weight=weights)
            .ravel()
            for seed in range(3000)
        ]
    )
    assert (kept[:, 0] != kept[:, 1]).all()
    pair = kept[:, 0] * 7 + kept[:, 1]
    # The 42 pairs of distinct rows; those expected fewer than 5 times share
    # one category, so that the chi-square approximation holds.
    proba = expected.ravel()
    distinct = np.flatnonzero(proba > 0)
    rare = proba[distinct] * len(kept) < 5
    common = distinct[~rare]
    category = np.full(len(proba), len(common))
    category[common] = np.arange(len(common))
    category_proba = proba[common]
    if rare.any():
        category_proba = np.append(category_proba, proba[distinct[rare]].sum())
    assert chi_square_pvalue(category[pair], category_proba) > ALPHA


def test_a_large_sorted_pool_gives_exact_blocks():
    # A pool larger than the chunks in which the labels of the random order
    # are scanned, sorted by category, with several shuffle groups per range
    # (chunk_size=512). The first and last of 2000 blocks of 4, over 400
    # runs, each follow the exact SIR distribution of one block.
    counts = np.array([70000, 50000, 30000])
    pool = np.repeat(np.arange(3), counts).reshape(-1, 1)
    weights = CATEGORY_WEIGHTS[pool.ravel()]
    kept = np.array(
        [
            SIRResampler(k=4, n_samples=2000, chunk_size=512, random_state=seed)
            .fit_resample(pool, sample_weight=weights)
            .ravel()[[0, -1]]
            for seed in range(400)
        ]
    )
    expected = pool_sir_distribution(4, counts, CATEGORY_WEIGHTS)
    assert chi_square_pvalue(kept[:, 0], expected) > ALPHA
    assert chi_square_pvalue(kept[:, 1], expected) > ALPHA


@pytest.mark.parametrize("k", [20, 300])
def test_widely_spread_weights_follow_the_exact_sir_distribution(k):
    # Weights spread over three orders of magnitude: the rejection steps
    # (which keep a candidate with probability w / max(w) of the chunk)
    # leave many blocks to inverse transform sampling over all their
    # candidates, so both exact samplers meet. The generator's draws come
    # sorted, so any grouping of consecutive candidates would show.
    weights = np.array([0.05, 1.0, 50.0])
    sir = SIRResampler(CategoryRatio(weights), k=k, chunk_size=6000, random_state=k)
    X_sir = sir.sample(CategoricalGenerator(SOURCE_P, sort=True), 4000)
    assert chi_square_pvalue(X_sir, iid_sir_distribution(k, SOURCE_P, weights)) > ALPHA


@pytest.mark.parametrize("k", [1, 3])
def test_uniform_weights_keep_the_pool_distribution(k):
    # With equal weights each block keeps a uniform candidate, so the n kept
    # rows are a uniformly random n-subset of the N pool rows: their category
    # counts are multivariate hypergeometric, whose Pearson statistic times
    # (N - 1) / (N - n) is chi-square with m - 1 degrees of freedom.
    counts = np.array([1500, 900, 600])
    n_pool = counts.sum()
    pool = np.repeat(np.arange(3), counts).reshape(-1, 1)
    n = 1000 if k == 1 else n_pool // k
    sir = SIRResampler(k=k, n_samples=n, random_state=0)
    X_res = sir.fit_resample(pool, sample_weight=np.ones(n_pool))
    observed = np.bincount(X_res.ravel(), minlength=3)
    expected = n * counts / n_pool
    statistic = (
        np.sum((observed - expected) ** 2 / expected) * (n_pool - 1) / (n_pool - n)
    )
    assert stats.chi2.sf(statistic, df=2) > ALPHA


def test_uniform_weights_keep_the_distribution_whole_pool_and_generator():
    counts = np.array([1500, 900, 600])
    pool = np.repeat(np.arange(3), counts).reshape(-1, 1)
    X_res = SIRResampler(k=None, random_state=0).fit_resample(
        pool, sample_weight=np.full(counts.sum(), 3.0)
    )
    assert chi_square_pvalue(X_res, counts / counts.sum()) > ALPHA
    sir = SIRResampler(CategoryRatio([2.0, 2.0, 2.0]), k=5, random_state=0)
    X_sir = sir.sample(CategoricalGenerator(SOURCE_P), 4000)
    assert chi_square_pvalue(X_sir, SOURCE_P) > ALPHA


def test_all_zero_blocks_keep_a_uniform_candidate_and_warn():
    # Categories 0 and 1 have zero weight: a block of k=2 made of them only
    # keeps one of its two candidates uniformly (the N_c / k term of the
    # exact distribution).
    p, weights = np.array([0.45, 0.45, 0.1]), np.array([0.0, 0.0, 1.0])
    sir = SIRResampler(CategoryRatio(weights), k=2, random_state=0)
    with pytest.warns(
        UserWarning, match=r"of 4000 blocks of k=2 candidates had only zero"
    ):
        X_sir = sir.sample(CategoricalGenerator(p), 4000)
    assert chi_square_pvalue(X_sir, iid_sir_distribution(2, p, weights)) > ALPHA


def test_a_chunk_of_only_zero_weights_keeps_uniform_candidates_and_warns():
    # Every weight of every chunk is zero: each block keeps a uniformly
    # random candidate, i.e. an independent draw of the source itself.
    sir = SIRResampler(CategoryRatio([0.0, 0.0, 0.0]), k=3, random_state=0)
    with pytest.warns(UserWarning, match=r"4000 of 4000 blocks of k=3 candidates"):
        X_sir = sir.sample(CategoricalGenerator(SOURCE_P, sort=True), 4000)
    assert chi_square_pvalue(X_sir, SOURCE_P) > ALPHA


def test_zero_weight_rows_are_kept_only_from_all_zero_blocks():
    weights = np.zeros(1000)
    weights[::10] = 1.0
    sir = SIRResampler(k=None, random_state=0)
    sir.fit_resample(np.zeros((1000, 1)), sample_weight=weights)
    assert (weights[sir.sample_indices_] > 0).all()
    # k=10 with one positive row per 10: blocks without it are all zero.
    sir = SIRResampler(k=10, random_state=0)
    with pytest.warns(UserWarning, match="had only zero weights") as record:
        sir.fit_resample(np.zeros((1000, 1)), sample_weight=weights)
    n_all_zero = int(str(record[0].message).split()[0])
    assert (weights[sir.sample_indices_] == 0).sum() == n_all_zero


@settings(max_examples=60, deadline=None)
@given(
    weights=st.lists(
        st.sampled_from([0.0, 1e-300, 0.5, 1.0, 7.0, 1e300]), min_size=1, max_size=60
    ).filter(lambda w: any(value > 0 for value in w)),
    k=st.sampled_from([None, 1, 2, 3, 7]),
    chunk_size=st.sampled_from([1, 5, 16, 65536]),
    seed=st.integers(0, 2**16),
)
def test_indices_are_valid_for_any_weights(weights, k, chunk_size, seed):
    # Small chunk sizes shuffle the random order of the pool in several
    # groups, revealed a few rows at a time.
    weights = np.array(weights)
    n_pool = len(weights)
    assume(k is None or n_pool >= k)
    sir = SIRResampler(k=k, chunk_size=chunk_size, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X_res = sir.fit_resample(
            np.arange(n_pool).reshape(-1, 1), sample_weight=weights
        )
    indices = sir.sample_indices_
    assert (X_res.ravel() == indices).all()
    assert ((indices >= 0) & (indices < n_pool)).all()
    if k is None:
        assert len(indices) == n_pool
        # Weights below 1e-300 of the largest round to probability 0, but
        # a zero weight is never kept.
        assert (weights[indices] > 0).all()
    else:
        assert len(indices) == n_pool // k
        assert len(np.unique(indices)) == len(indices)


@pytest.mark.parametrize("k", [None, 1, 3])
def test_sample_indices_index_the_returned_rows(k):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = rng.integers(0, 3, size=300)
    sir = SIRResampler(GaussianShiftRatio(), k=k, random_state=0)
    X_res, y_res = sir.fit_resample(X, y)
    assert np.array_equal(X_res, X[sir.sample_indices_])
    assert np.array_equal(y_res, y[sir.sample_indices_])
    if k is not None:
        assert len(X_res) == 300 // k
        assert len(np.unique(sir.sample_indices_)) == len(X_res)


def test_fit_resample_returns_the_input_container():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = rng.integers(0, 2, size=60)
    sir = SIRResampler(GaussianShiftRatio(), k=3, random_state=0)
    X_list, y_list = sir.fit_resample(X.tolist(), y.tolist())
    assert isinstance(X_list, list) and isinstance(y_list, list)
    assert np.array_equal(X_list, X[sir.sample_indices_])
    X_sparse = sir.fit_resample(sparse.csr_matrix(X))
    assert sparse.issparse(X_sparse)
    assert np.array_equal(X_sparse.toarray(), X[sir.sample_indices_])


def test_random_state_makes_results_reproducible():
    rng = np.random.default_rng(0)
    X, weights = rng.normal(size=(500, 2)), rng.random(500)
    for k in (None, 5):
        first = SIRResampler(k=k, random_state=3).fit_resample(X, sample_weight=weights)
        again = SIRResampler(k=k, random_state=3).fit_resample(X, sample_weight=weights)
        other = SIRResampler(k=k, random_state=4).fit_resample(X, sample_weight=weights)
        assert np.array_equal(first, again)
        assert not np.array_equal(first, other)
    # A RandomState instance advances: successive calls differ, and equal
    # instances give equal sequences.
    sir_a = SIRResampler(k=5, random_state=np.random.RandomState(7))
    sir_b = SIRResampler(k=5, random_state=np.random.RandomState(7))
    draws_a = [sir_a.fit_resample(X, sample_weight=weights) for _ in range(2)]
    draws_b = [sir_b.fit_resample(X, sample_weight=weights) for _ in range(2)]
    assert not np.array_equal(draws_a[0], draws_a[1])
    assert all(np.array_equal(a, b) for a, b in zip(draws_a, draws_b))


def test_sample_is_reproducible_and_draws_fresh_chunks():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(300, 2))
    kde = KernelDensity(bandwidth=0.5).fit(data)
    mixture = GaussianMixture(2, random_state=0).fit(data)
    ratio = GaussianShiftRatio(shift=0.5)
    for generator in (kde, mixture):
        # Chunks of 4 blocks: 25 generator calls for 100 rows.
        sir = SIRResampler(ratio, k=5, chunk_size=20, random_state=1)
        first, again = sir.sample(generator, 100), sir.sample(generator, 100)
        assert first.shape == (100, 2)
        assert np.array_equal(first, again)
        # GaussianMixture re-seeds itself from random_state=0 on every call:
        # chunks drawn that way would repeat their candidates.
        assert len(np.unique(first, axis=0)) == 100
    assert mixture.random_state == 0


def test_sample_draws_bounded_chunks_from_a_callable():
    rng = np.random.default_rng(0)
    requested = []

    def generator(n):
        requested.append(n)
        return rng.normal(size=(n, 3))

    # chunk_size=10 and k=4: two blocks (8 candidates) per chunk.
    sir = SIRResampler(GaussianShiftRatio(), k=4, chunk_size=10, random_state=0)
    X_sir = sir.sample(generator, 25)
    assert X_sir.shape == (25, 3)
    assert requested == [8] * 12 + [4]
    assert not hasattr(sir, "sample_indices_")
    # A block larger than chunk_size still makes a chunk of one block.
    requested.clear()
    SIRResampler(GaussianShiftRatio(), k=16, chunk_size=10).sample(generator, 3)
    assert requested == [16, 16, 16]


def test_weights_from_the_ratio_estimator_equal_explicit_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2))
    ratio = GaussianShiftRatio()
    for k in (None, 4):
        from_ratio = SIRResampler(ratio, k=k, random_state=0)
        from_weights = SIRResampler(k=k, random_state=0)
        from_ratio.fit_resample(X)
        from_weights.fit_resample(X, sample_weight=ratio.predict_weight(X))
        assert np.array_equal(from_ratio.sample_indices_, from_weights.sample_indices_)


def test_nan_rows_pass_through_when_the_weights_allow_it():
    X = np.ones((40, 2))
    X[::2, 1] = np.nan
    X_res = SIRResampler(k=2, random_state=0).fit_resample(X, sample_weight=np.ones(40))
    assert np.isnan(X_res).any()
    assert SIRResampler(GaussianShiftRatio(), k=2, random_state=0).fit_resample(
        X
    ).shape == (
        20,
        2,
    )


def test_tags_follow_the_weight_source():
    tags = SIRResampler().__sklearn_tags__()
    assert tags.input_tags.allow_nan and tags.input_tags.sparse
    assert not tags.target_tags.required
    tags = SIRResampler(DensityRatioEstimator()).__sklearn_tags__()
    assert not tags.input_tags.allow_nan and tags.input_tags.sparse
    hist = DensityRatioEstimator(HistGradientBoostingClassifier())
    tags = SIRResampler(hist).__sklearn_tags__()
    assert tags.input_tags.allow_nan and not tags.input_tags.sparse


def test_collapsed_weights_warn_when_resampling_the_whole_pool():
    weights = np.full(1000, 1e-6)
    weights[:5] = 1.0
    with pytest.warns(WeightCollapseWarning, match="effective sample size"):
        SIRResampler(k=None, random_state=0).fit_resample(
            np.zeros((1000, 1)), sample_weight=weights
        )


def test_sir_moves_a_kde_toward_the_data():
    # Real data N(0, I); the model is a KDE fitted to the real data shifted by
    # (1, 0), so its samples follow N((1, 0), (1 + h^2) I). A classifier on
    # quadratic features is well specified for this pair of Gaussians.
    # Raw samples: mean error about 1 (s.e. sqrt(2 / 2000) ~ 0.03), Frechet
    # distance about 1 + 2 (sqrt(1 + h^2) - 1)^2 ~ 1.02. With the exact ratio,
    # SIR with k = 20 leaves a bias of order Var(w) / (k E[w]^2) ~ (e - 1) / 20
    # ~ 0.1 of the shift (see the 1/k expansion above); estimation error of
    # the classifier adds little with 2000 rows per domain. Half the raw error
    # is a bound with more than ten standard errors of slack.
    rng = np.random.default_rng(0)
    real = rng.normal(size=(2000, 2))
    held_out = rng.normal(size=(2000, 2))
    model = KernelDensity(bandwidth=0.3).fit(rng.normal(size=(2000, 2)) + [1.0, 0.0])
    X, y = stack_domains(model.sample(2000, random_state=1), real)
    classifier = make_pipeline(
        PolynomialFeatures(2), StandardScaler(), LogisticRegression()
    )
    ratio = DensityRatioEstimator(classifier).fit(X, y)
    raw = model.sample(2000, random_state=2)
    corrected = SIRResampler(ratio, k=20, random_state=0).sample(model, 2000)
    raw_error = np.linalg.norm(raw.mean(axis=0) - held_out.mean(axis=0))
    sir_error = np.linalg.norm(corrected.mean(axis=0) - held_out.mean(axis=0))
    assert raw_error > 0.9
    assert sir_error < 0.5 * raw_error
    assert frechet_distance(corrected, held_out) < 0.5 * frechet_distance(raw, held_out)


def test_imblearn_pipeline_resamples_only_when_fitting():
    X, y, _ = make_gaussian_shift(600, 600, random_state=0)
    labels = (X[:, 0] + X[:, 1] > 0.5).astype(int)
    ratio = DensityRatioEstimator().fit(X, y)
    pipeline = Pipeline(
        [
            ("sir", SIRResampler(FrozenEstimator(ratio), k=3, random_state=0)),
            ("clf", LogisticRegression()),
        ]
    ).fit(X, labels)
    indices = pipeline.named_steps["sir"].sample_indices_
    assert len(indices) == 400
    expected = LogisticRegression().fit(X[indices], labels[indices])
    assert np.allclose(pipeline.named_steps["clf"].coef_, expected.coef_)
    assert pipeline.predict(X).shape == (1200,)
    assert not hasattr(SIRResampler(), "transform")


@pytest.mark.parametrize(
    "sample_weight, message",
    [
        (-np.ones(30), "sample_weight must be non-negative"),
        (np.r_[np.nan, np.ones(29)], "Input sample_weight contains NaN"),
        (np.r_[np.inf, np.ones(29)], "Input sample_weight contains infinity"),
        (np.ones(29), "inconsistent numbers of samples: \\[30, 29\\]"),
        (np.zeros(30), "All weights are zero"),
    ],
)
def test_bad_sample_weight_is_an_error(sample_weight, message):
    with pytest.raises(ValueError, match=message):
        SIRResampler(k=3).fit_resample(np.zeros((30, 2)), sample_weight=sample_weight)


@pytest.mark.parametrize(
    "log_weights, message",
    [
        (np.r_[np.nan, np.zeros(29)], "predict_log_weight returned NaN weights"),
        (np.r_[np.inf, np.zeros(29)], "predict_log_weight returned infinite weights"),
        (np.zeros(10), r"one value per row, shape \(30,\)"),
        (np.full(30, -np.inf), "All weights are zero"),
    ],
)
def test_bad_estimated_weights_are_an_error(log_weights, message):
    with pytest.raises(ValueError, match=message):
        SIRResampler(BrokenRatio(log_weights), k=3).fit_resample(np.zeros((30, 2)))


@pytest.mark.parametrize(
    "log_weights, message",
    [
        (np.r_[np.nan, np.zeros(29)], "predict_log_weight returned NaN weights"),
        (np.r_[np.inf, np.zeros(29)], "predict_log_weight returned infinite weights"),
        (np.zeros(10), r"one value per row, shape \(30,\)"),
    ],
)
def test_bad_estimated_weights_of_generated_candidates_are_an_error(
    log_weights, message
):
    # One chunk of 10 blocks of 3: 30 candidates.
    sir = SIRResampler(BrokenRatio(log_weights), k=3, chunk_size=30)
    with pytest.raises(ValueError, match=message):
        sir.sample(lambda n: np.zeros((n, 2)), 10)


def test_an_estimator_outside_the_ratio_protocol_is_refused():
    # Only predict_weight: SIR asks for the whole protocol, and reads the
    # log-weights.
    class WeightOnly(BaseEstimator):
        def fit(self, X, y=None):
            return self

        def predict_weight(self, X):
            return np.ones(len(X))

    with pytest.raises(ValueError, match="'ratio_estimator' parameter"):
        SIRResampler(WeightOnly(), k=2).fit_resample(np.zeros((10, 1)))


def test_invalid_requests_are_errors():
    X = np.zeros((30, 2))
    weights = np.ones(30)
    with pytest.raises(ValueError, match="'k' parameter of SIRResampler must be"):
        SIRResampler(k=0).fit_resample(X, sample_weight=weights)
    with pytest.raises(
        ValueError, match="need 40 distinct candidates .* X has 30 rows"
    ):
        SIRResampler(k=4, n_samples=10).fit_resample(X, sample_weight=weights)
    with pytest.raises(ValueError, match="X has 30 rows, fewer than one block of k=31"):
        SIRResampler(k=31).fit_resample(X, sample_weight=weights)
    with pytest.raises(ValueError, match="SIRResampler has no weights"):
        SIRResampler().fit_resample(X)
    with pytest.raises(ValueError, match="Found input variables with inconsistent"):
        SIRResampler().fit_resample(X, np.zeros(29), sample_weight=weights)
    with pytest.raises(NotFittedError, match="FrozenEstimator"):
        SIRResampler(DensityRatioEstimator()).fit_resample(X)


def test_invalid_sample_calls_are_errors():
    generator = CategoricalGenerator(SOURCE_P)
    ratio = CategoryRatio(CATEGORY_WEIGHTS)
    with pytest.raises(ValueError, match="sample needs an integer k"):
        SIRResampler(ratio, k=None).sample(generator, 10)
    with pytest.raises(ValueError, match="SIRResampler has no weights"):
        SIRResampler(k=2).sample(generator, 10)
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        SIRResampler(ratio, k=2).sample(generator, 0)
    with pytest.raises(TypeError, match="generator must have a sample"):
        SIRResampler(ratio, k=2).sample(np.zeros((10, 1)), 10)
    with pytest.raises(ValueError, match=r"shape \(20, n_features\)"):
        SIRResampler(ratio, k=2).sample(lambda n: np.zeros((n - 1, 1)), 10)


class ImblearnTaggedSIR(SIRResampler):
    """SIRResampler declaring its tags in imbalanced-learn's Tags class.

    imbalanced-learn's checks read tags that only its own Tags class has
    (``input_tags.dataframe``, ``sampler_tags``); skratio does not import
    imbalanced-learn, so the translation is done here. Behaviour is untouched.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        input_tags = ImblearnInputTags(
            **{
                name: getattr(tags.input_tags, name)
                for name in SklearnInputTags.__slots__
            },
            dataframe=True,
        )
        return ImblearnTags(
            estimator_type="sampler",
            target_tags=tags.target_tags,
            input_tags=input_tags,
            sampler_tags=SamplerTags(sample_indices=True),
        )


def _expected_failed_checks(sampler):
    # SIR chooses rows by weight and carries y along untouched, whatever it
    # holds (class labels, regression targets): it does not balance classes.
    return {
        "check_target_type": "y is carried along, so continuous and multilabel "
        "targets are accepted rather than rejected",
        "check_samplers_one_label": "a single class is fine: classes play no role "
        "in the selection",
        "check_samplers_fit": "there is no class-balancing sampling_strategy_",
        "check_sampler_get_feature_names_out": "no fit and no transform, so no "
        "fitted feature names to give out; rows keep their columns",
        "check_sampler_get_feature_names_out_pandas": "no fit and no transform, "
        "so no fitted feature names to give out; rows keep their columns",
    }


def _listed(mark):
    """The parametrize mark with its values in a list.

    imbalanced-learn's parametrize_with_checks passes a generator, which
    pytest deprecates (PytestRemovedIn10Warning).
    """
    names, values = mark.args
    return pytest.mark.parametrize(names, list(values), **mark.kwargs)


@_listed(
    parametrize_with_checks(
        [
            ImblearnTaggedSIR(GaussianShiftRatio(shift=0.5), k=5, random_state=0),
            ImblearnTaggedSIR(
                GaussianShiftRatio(shift=0.5), k=None, n_samples=40, random_state=0
            ),
        ],
        expected_failed_checks=_expected_failed_checks,
    )
)
def test_imblearn_sampler_checks(estimator, check):
    check(estimator)
