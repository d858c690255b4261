"""Dask collections: lazy weights, blockwise SIR, exact top-n sampling, cross-fitting.

Runs on a LocalCluster of 2 single-threaded workers started here (in-process
workers: the graphs are the same as with worker processes, and starting them
takes a fraction of the time). Statistical tests use fixed seeds and Pearson
chi-square tests at level ALPHA = 0.001 against probabilities computed
exactly (derivations next to each): each fails a correct sampler for about
one seed in a thousand.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from scipy import stats

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

import joblib  # noqa: E402
from sklearn.base import BaseEstimator  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from skratio import DensityRatioEstimator, SIRResampler  # noqa: E402
from skratio._dask import (  # noqa: E402
    is_dask_collection,
    partition_seed,
    predict_lazily,
)
from skratio._protocol import derive_seed  # noqa: E402
from skratio.dask import (  # noqa: E402
    sample_without_replacement,
    stratified_subsample,
)
from skratio.datasets import make_gaussian_shift  # noqa: E402

from _helpers import CategoryRatio, chi_square_pvalue  # noqa: E402

ALPHA = 0.001
SOURCE_P = np.array([0.5, 0.3, 0.2])
CATEGORY_WEIGHTS = np.array([0.2, 1.0, 4.0])


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _no_compute(*args, **kwargs):
    raise AssertionError("a dask graph was computed while it was being built")


@pytest.fixture
def forbid_compute():
    """Within the block, any compute fails: graphs must be built lazily."""
    return dask.config.set(scheduler=_no_compute)


def _fitted_ratio():
    X, y, _ = make_gaussian_shift(1500, 1500, n_features=4, random_state=0)
    return DensityRatioEstimator(LogisticRegression()).fit(X, y), X, y


def test_is_dask_collection_imports_nothing():
    code = (
        "import sys, numpy as np; import skratio; "
        "from skratio._dask import is_dask_collection; "
        "assert not is_dask_collection(np.zeros((3, 2))); "
        "assert 'dask' not in sys.modules, 'dask was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert is_dask_collection(da.zeros((3, 2)))
    assert not is_dask_collection(np.zeros((3, 2)))


def test_predict_lazily_computes_chunk_by_chunk(client, forbid_compute):
    ratio, X, _ = _fitted_ratio()
    calls = []

    def counted(block):
        calls.append(len(block))
        return block

    # Columns in two chunks: rechunked to one, lazily.
    X_dask = da.from_array(X, chunks=(700, 2)).map_blocks(
        counted, meta=np.empty((0, 0), dtype=X.dtype)
    )
    with forbid_compute:
        log_weight = predict_lazily(ratio.predict_log_weight, X_dask)
    assert calls == []
    assert isinstance(log_weight, da.Array)
    assert log_weight.chunks == ((700, 700, 700, 700, 200),)
    assert np.allclose(log_weight.compute(), ratio.predict_log_weight(X))
    # In this process (the cluster's tasks run on copies of ``counted``),
    # each chunk of rows is read once: two column chunks per row chunk.
    log_weight.compute(scheduler="sync")
    assert sorted(calls) == sorted([700, 700, 700, 700, 200] * 2)


@pytest.mark.parametrize("method", ["predict_weight", "predict_log_weight"])
def test_ratio_estimators_predict_lazily_on_dask_arrays(client, forbid_compute, method):
    ratio, X, _ = _fitted_ratio()
    X_dask = da.from_array(X, chunks=(700, 4))
    with forbid_compute:
        prediction = getattr(ratio, method)(X_dask)
    assert isinstance(prediction, da.Array)
    assert prediction.chunks == ((700, 700, 700, 700, 200),)
    assert np.allclose(prediction.compute(), getattr(ratio, method)(X))


def test_predict_lazily_keeps_dataframe_partitions(client, forbid_compute):
    ratio, X, _ = _fitted_ratio()
    frame = pd.DataFrame(X, index=np.arange(len(X)) * 3)
    frame.columns = frame.columns.astype(str)
    ratio = DensityRatioEstimator(LogisticRegression()).fit(
        frame, np.r_[np.zeros(1500), np.ones(1500)]
    )
    X_dask = dd.from_pandas(frame, npartitions=4)
    with forbid_compute:
        log_weight = predict_lazily(ratio.predict_log_weight, X_dask)
    assert log_weight.npartitions == 4
    result = log_weight.compute()
    assert result.index.equals(frame.index)
    assert np.allclose(result.to_numpy(), ratio.predict_log_weight(frame))


def test_predict_lazily_rejects_other_input():
    with pytest.raises(ValueError, match="2-D dask array"):
        predict_lazily(np.log, da.zeros(10))
    with pytest.raises(TypeError, match="dask array or a dask DataFrame"):
        predict_lazily(np.log, da.zeros((4, 2)).to_delayed()[0, 0])


def test_blockwise_sir_equals_in_memory_sir_per_chunk(client, forbid_compute):
    ratio, X, _ = _fitted_ratio()
    labels = np.arange(len(X)) % 7
    X_dask = da.from_array(X, chunks=(1000, 4))
    sir = SIRResampler(ratio, k=6, chunk_size=256, random_state=5)
    with forbid_compute:
        X_res, y_res = sir.fit_resample(X_dask, da.from_array(labels, chunks=500))
    X_res, y_res, indices = dask.compute(X_res, y_res, sir.sample_indices_)
    # Chunks of 1000 rows are realigned on multiples of k = 6 (996, 1002,
    # 1002 rows), so every row is a candidate: 3000 // 6 rows, as in memory.
    assert X_res.shape == (3000 // 6, 4)
    assert np.array_equal(X_res, X[indices]) and np.array_equal(y_res, labels[indices])
    # Chunk i is resampled as in memory with random_state=partition_seed(.., i).
    seed = derive_seed(5)
    bounds = [0, 996, 1998, 3000]
    for chunk in range(3):
        rows = slice(bounds[chunk], bounds[chunk + 1])
        in_memory = SIRResampler(
            ratio, k=6, chunk_size=256, random_state=partition_seed(seed, chunk)
        )
        expected = in_memory.fit_resample(X[rows])
        out = slice(bounds[chunk] // 6, bounds[chunk + 1] // 6)
        assert np.array_equal(X_res[out], expected)


def test_blockwise_sir_follows_the_exact_sir_distribution(client):
    # A pool of independent draws of a categorical p, cut into chunks: each
    # chunk's blocks are uniformly random disjoint k-subsets of it, drawn
    # independently of the values, so every block is k independent draws of
    # p and the output rows are independent with the exact SIR law
    # P(c) = E[N_c w_c / sum_j N_j w_j] over multinomial compositions N.
    k, n_pool = 5, 40000
    pool = np.random.default_rng(0).choice(3, size=n_pool, p=SOURCE_P)
    pool = np.sort(pool).reshape(-1, 1)
    X = da.from_array(pool, chunks=(10000, 1))
    sir = SIRResampler(CategoryRatio(CATEGORY_WEIGHTS), k=k, random_state=0)
    X_res = sir.fit_resample(X).compute()
    assert X_res.shape == (n_pool // k, 1)
    compositions = np.array(
        [(a, b, k - a - b) for a in range(k + 1) for b in range(k + 1 - a)]
    )
    # Sorted pool, chunks of consecutive rows: chunk 0 holds only category 0,
    # so the exact law is per chunk. Each chunk is a pool of known counts.
    expected = np.zeros(3)
    for chunk in range(4):
        counts = np.bincount(pool[10000 * chunk : 10000 * (chunk + 1), 0], minlength=3)
        pmf = stats.multivariate_hypergeom.pmf(compositions, m=counts, n=k)
        mass = compositions * CATEGORY_WEIGHTS
        expected += pmf @ (mass / mass.sum(axis=1, keepdims=True)) / 4
    # Within a chunk, blocks are disjoint subsets of a fixed pool, hence
    # negatively associated: the count vector varies less than a multinomial
    # one and the Pearson statistic is stochastically smaller than chi2(2),
    # so the test is conservative at level ALPHA; a wrong grouping (e.g.
    # consecutive rows of the sorted chunks) moves it by thousands.
    assert chi_square_pvalue(X_res, expected) > ALPHA


def test_blockwise_sir_on_dataframes_keeps_the_index(client, forbid_compute):
    ratio, X, y = _fitted_ratio()
    frame = pd.DataFrame(X, index=np.arange(len(X)) + 100)
    frame.columns = frame.columns.astype(str)
    ratio = DensityRatioEstimator(LogisticRegression()).fit(frame, y)
    X_dask = dd.from_pandas(frame, npartitions=3)
    sir = SIRResampler(ratio, k=4, random_state=1)
    with forbid_compute:
        X_res = sir.fit_resample(X_dask)
    # Partitions of 1000, 1000 and 1000 rows: none left over.
    assert list(X_dask.map_partitions(len).compute()) == [1000] * 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X_res = X_res.compute()
    assert len(X_res) == 3 * (1000 // 4)
    assert X_res.index.is_unique
    assert X_res.equals(frame.loc[X_res.index])
    assert not hasattr(sir, "sample_indices_")


def test_blockwise_sir_errors():
    X = da.zeros((100, 2), chunks=50)
    with pytest.raises(ValueError, match="needs an integer k and n_samples=None"):
        SIRResampler(k=None).fit_resample(X, sample_weight=da.ones(100))
    with pytest.raises(ValueError, match="needs an integer k and n_samples=None"):
        SIRResampler(k=2, n_samples=10).fit_resample(X, sample_weight=da.ones(100))
    with pytest.raises(ValueError, match="no weights"):
        SIRResampler(k=2).fit_resample(X)
    bad = SIRResampler(k=2).fit_resample(X, sample_weight=-da.ones(100, chunks=50))
    with pytest.raises(ValueError, match="negative"):
        bad.compute(scheduler="sync")


@pytest.mark.parametrize("chunks", [(1000, 4), (333, 2)])
def test_sample_without_replacement_equals_in_memory(client, chunks):
    ratio, X, _ = _fitted_ratio()
    expected = sample_without_replacement(X, 200, ratio, random_state=3)
    calls = []

    def counted(block):
        calls.append(len(block))
        return block

    X_dask = da.from_array(X, chunks=chunks).map_blocks(
        counted, meta=np.empty((0, 0), dtype=X.dtype)
    )
    # Positions are computed at once (on the cluster, where ``calls`` is not
    # seen); the rows are a lazy second pass.
    with dask.config.set(scheduler="sync"):
        drawn = sample_without_replacement(X_dask, 200, ratio, random_state=3)
        n_calls = len(calls)
        assert n_calls == X_dask.numblocks[0] * X_dask.numblocks[1]
        assert np.array_equal(drawn.compute(), expected)
    assert len(calls) > n_calls
    rows = {tuple(row) for row in expected}
    assert len(rows) == 200
    # The most heavily weighted rows are favoured.
    assert ratio.predict_weight(expected).mean() > ratio.predict_weight(X).mean()


def test_sample_without_replacement_is_exact():
    # Six rows of weights w, two draws without replacement. Successive
    # sampling: the first row is i with probability w_i / W; the second is j
    # with probability sum_{i != j} (w_i / W) w_j / (W - w_i). 1000
    # independent draws (seeds 0..999); each of the two tests is at level
    # ALPHA. The draws are in memory: a dask collection of any chunking
    # gives the same rows for the same seed (the next test, on the cluster),
    # so this is the law of the distributed sampler too, at a thousandth of
    # the scheduling cost.
    weights = np.array([1.0, 2.0, 5.0, 1.0, 3.0, 0.5])
    total = weights.sum()
    first = weights / total
    second = np.array(
        [
            sum(
                first[i] * weights[j] / (total - weights[i]) for i in range(6) if i != j
            )
            for j in range(6)
        ]
    )
    X = np.arange(6).reshape(-1, 1)
    draws = np.array(
        [
            sample_without_replacement(X, 2, sample_weight=weights, random_state=seed)
            for seed in range(1000)
        ]
    )[:, :, 0]
    assert chi_square_pvalue(draws[:, 0], first) > ALPHA
    assert chi_square_pvalue(draws[:, 1], second) > ALPHA


def test_sample_without_replacement_on_the_cluster_equals_in_memory(client):
    weights = np.array([1.0, 2.0, 5.0, 1.0, 3.0, 0.5])
    X = np.arange(6).reshape(-1, 1)
    X_dask, w_dask = da.from_array(X, chunks=(3, 1)), da.from_array(weights, chunks=2)
    on_cluster = dask.compute(
        *[
            sample_without_replacement(X_dask, 2, sample_weight=w_dask, random_state=s)
            for s in range(10)
        ]
    )
    for seed, drawn in enumerate(on_cluster):
        expected = sample_without_replacement(
            X, 2, sample_weight=weights, random_state=seed
        )
        assert np.array_equal(drawn, expected)


def test_sample_without_replacement_on_dataframes(client, forbid_compute):
    frame = pd.DataFrame({"c": np.repeat([0, 1, 2], 40)}, index=np.arange(120) * 2)
    ratio = CategoryRatio([0.0, 1.0, 1.0])
    with forbid_compute:
        drawn = sample_without_replacement(
            dd.from_pandas(frame, npartitions=3), 60, ratio, random_state=0
        )
    drawn = drawn.compute()
    # Only rows of positive weight, each once, index kept.
    assert len(drawn) == 60 and drawn.index.is_unique
    assert (drawn["c"] > 0).all()
    assert drawn.equals(frame.loc[drawn.index])
    too_many = sample_without_replacement(
        dd.from_pandas(frame, npartitions=3), 81, ratio, random_state=0
    )
    with pytest.raises(ValueError, match="Fewer rows of positive weight"):
        too_many.compute()


def test_sample_without_replacement_errors():
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="needs weights"):
        sample_without_replacement(X, 3)
    with pytest.raises(ValueError, match="from 10 rows"):
        sample_without_replacement(X, 11, sample_weight=np.ones(10))
    with pytest.raises(ValueError, match="Fewer rows of positive weight"):
        sample_without_replacement(X, 3, sample_weight=np.r_[1.0, 1.0, np.zeros(8)])
    with pytest.raises(ValueError, match="non-negative"):
        sample_without_replacement(X, 3, sample_weight=-np.ones(10))


def test_stratified_subsample_equals_in_memory(client):
    _, X, y = _fitted_ratio()
    expected_X, expected_y = stratified_subsample(
        X, y, {0: 300, 1: 100}, random_state=2
    )
    X_sub, y_sub = stratified_subsample(
        da.from_array(X, chunks=(700, 4)),
        da.from_array(y, chunks=900),
        {0: 300, 1: 100},
        random_state=2,
    )
    assert np.array_equal(X_sub, expected_X) and np.array_equal(y_sub, expected_y)
    assert np.bincount(y_sub).tolist() == [300, 100]
    # Rows are drawn from their own domain, each at most once.
    positions = [np.flatnonzero((X == row).all(axis=1))[0] for row in X_sub]
    assert np.array_equal(y[positions], y_sub) and len(set(positions)) == 400
    with pytest.raises(ValueError, match="has 1500 rows; cannot draw 5000"):
        stratified_subsample(
            da.from_array(X, chunks=(700, 4)), da.from_array(y, chunks=900), 5000
        )


def test_stratified_subsample_is_uniform_within_a_domain():
    # Domain 1 has N = 10 rows, n = 3 are drawn in each of T = 500 runs. The
    # count vector of how often each row is drawn is a sum of T independent
    # uniformly random 3-subsets: mean T n / N per row, covariance
    # T (n / N)(1 - n / N) N / (N - 1) (I - 1 1' / N), so the Pearson
    # statistic times (N - 1) / (N (1 - n / N)) is chi-square with N - 1
    # degrees of freedom.
    X = np.arange(30).reshape(-1, 1)
    y = np.r_[np.zeros(20, dtype=int), np.ones(10, dtype=int)]
    drawn = np.concatenate(
        [
            stratified_subsample(X, y, {1: 3}, random_state=seed)[0].ravel()
            for seed in range(500)
        ]
    )
    assert (drawn >= 20).all()
    observed = np.bincount(drawn - 20, minlength=10)
    expected = 500 * 3 / 10
    statistic = np.sum((observed - expected) ** 2 / expected) * 9 / (10 * 0.7)
    assert stats.chi2.sf(statistic, df=9) > ALPHA


def test_cross_fitting_runs_on_the_cluster(client):
    X, y, _ = make_gaussian_shift(300, 300, n_features=4, random_state=0)
    ratio = DensityRatioEstimator(LogisticRegression(), cv=3, random_state=0)
    expected = ratio.fit_predict_weight(X, y)
    ratio.set_params(n_jobs=2)
    with warnings.catch_warnings():
        # The dask backend notes that the data is large enough to scatter.
        warnings.simplefilter("ignore", UserWarning)
        with joblib.parallel_backend("dask"):
            on_cluster = ratio.fit_predict_weight(X, y)
    assert np.allclose(on_cluster, expected, rtol=1e-10, atol=0)


def test_blockwise_sir_realigns_chunks_smaller_than_k(client, forbid_compute):
    # Chunks of 5 rows with k = 10 used to give no row at all. Realigned on
    # multiples of 10, block i holds rows 10 i, ..., 10 i + 9: with the row
    # number as its weight, each output row comes from its own block.
    X = da.from_array(np.arange(52.0).reshape(-1, 1), chunks=5)
    sir = SIRResampler(k=10, random_state=0)
    with forbid_compute:
        X_res, y_res = sir.fit_resample(
            X, da.arange(52, chunks=5), sample_weight=da.arange(52.0, chunks=5) + 1
        )
    X_res, y_res = dask.compute(X_res, y_res)
    assert X_res.shape == (52 // 10, 1)
    assert np.array_equal(X_res[:, 0] // 10, np.arange(5))
    assert np.array_equal(X_res[:, 0], y_res)


def test_blockwise_sir_pool_smaller_than_k_is_an_error():
    X = da.zeros((7, 2), chunks=3)
    with pytest.raises(ValueError, match="X has 7 rows, fewer than one block of k=10"):
        SIRResampler(k=10).fit_resample(X, sample_weight=da.ones(7, chunks=3))


def test_blockwise_sir_warns_of_rows_left_over_in_chunks_of_unknown_length():
    # Row counts known only when computed (here after a filter) cannot be
    # realigned: each chunk that leaves rows out says how many.
    X = da.from_array(np.zeros((25, 1)), chunks=5)
    X = X[X[:, 0] == 0]
    sir = SIRResampler(CategoryRatio(), k=4, random_state=0)
    left_over = r"chunk \d has 5 rows, so 1 of them"
    with pytest.warns(UserWarning, match=left_over) as record:
        X_res = sir.fit_resample(X).compute(scheduler="sync")
    assert len(X_res) == 5 * (5 // 4)
    assert sum("Blockwise SIR" in str(w.message) for w in record) == 5


def test_blockwise_sir_on_dataframes_warns_of_rows_left_over():
    frame = pd.DataFrame({"c": np.zeros(30)})
    X = dd.from_pandas(frame, npartitions=3)  # 10 rows each
    sir = SIRResampler(CategoryRatio(), k=4, random_state=0)
    with pytest.warns(UserWarning, match="has 10 rows, so 2 of them") as record:
        X_res = sir.fit_resample(X).compute(scheduler="sync")
    assert len(X_res) == 3 * 2
    assert sum("Blockwise SIR" in str(w.message) for w in record) == 3


@pytest.mark.parametrize(
    "y, sample_weight, message",
    [
        (da.zeros(40, chunks=10), None, r"y must have one entry per row of X: X has 5"),
        (np.zeros(51), None, r"y .* has shape \(51,\)"),
        (None, da.ones(49, chunks=7), r"sample_weight must have one value per row"),
        (None, da.ones((50, 2)), r"sample_weight .* shape \(50, 2\)"),
    ],
)
def test_blockwise_sir_rows_of_the_wrong_length_are_an_error(y, sample_weight, message):
    X = da.zeros((50, 2), chunks=10)
    weights = da.ones(50, chunks=10) if sample_weight is None else sample_weight
    with pytest.raises(ValueError, match=message):
        SIRResampler(k=2).fit_resample(X, y, sample_weight=weights)


def test_predict_lazily_refuses_a_prediction_of_the_wrong_length():
    # dask would otherwise declare chunks the values do not fill.
    def one_too_many(rows):
        return np.zeros(len(rows) + 1)

    prediction = predict_lazily(one_too_many, da.zeros((10, 2), chunks=5))
    with pytest.raises(ValueError, match=r"one value per row, shape \(5,\)"):
        prediction.compute(scheduler="sync")


def test_blockwise_sir_positions_of_chunks_of_unknown_length():
    # A filter makes the chunks' lengths unknown until computed (6 or 7 of
    # each 10 rows are kept): the positions are still those of X's rows.
    X = da.from_array(np.arange(60.0).reshape(-1, 1), chunks=10)
    X = X[X[:, 0] % 3 != 0]
    kept = np.arange(60.0)[np.arange(60) % 3 != 0]
    sir = SIRResampler(k=2, random_state=0)
    with pytest.warns(UserWarning, match="Blockwise SIR"):
        X_res, indices = dask.compute(
            sir.fit_resample(X, sample_weight=X[:, 0] + 1.0),
            sir.sample_indices_,
            scheduler="sync",
        )
    assert indices.dtype.kind == "i"
    assert len(indices) == 3 * 3 + 3 * 3
    assert np.array_equal(X_res[:, 0], kept[indices])


@pytest.mark.parametrize("weighed_by", ["sample_weight", "ratio_estimator"])
def test_blockwise_sir_passes_over_a_chunk_emptied_by_a_filter(weighed_by):
    X = da.from_array(np.arange(30.0).reshape(-1, 1), chunks=10)
    X = X[X[:, 0] >= 10]
    if weighed_by == "sample_weight":
        sir, weights = SIRResampler(k=4, random_state=0), X[:, 0]
    else:
        sir, weights = SIRResampler(CategoryRatio(np.ones(30)), k=4), None
    # Chunk 0 has no row left; chunks 1 and 2 leave 2 of their 10 rows out.
    with pytest.warns(UserWarning, match="has 10 rows, so 2 of them") as record:
        X_res, indices = dask.compute(
            sir.fit_resample(X, sample_weight=weights),
            sir.sample_indices_,
            scheduler="sync",
        )
    assert sum("Blockwise SIR" in str(w.message) for w in record) == 2
    assert len(X_res) == 2 + 2
    assert np.array_equal(X_res[:, 0], indices + 10.0)


def test_sample_without_replacement_asks_for_the_ratio_protocol():
    class WeightOnly(BaseEstimator):
        def fit(self, X, y=None):
            return self

        def predict_weight(self, X):
            return np.ones(len(X))

    message = "'ratio_estimator' parameter of sample_without_replacement"
    with pytest.raises(TypeError, match=message):
        sample_without_replacement(np.zeros((10, 1)), 3, WeightOnly())
