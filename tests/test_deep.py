"""The MLP domain classifier of skratio.deep, the import guard and persistence."""

import pickle
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")
pytest.importorskip("zuko")

from sklearn.base import clone  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402

from skratio import CalibratedRatio, DensityRatioEstimator  # noqa: E402
from skratio.datasets import make_gaussian_shift  # noqa: E402
from skratio.deep import MLPDomainClassifier  # noqa: E402
from skratio.deep._base import weighted_mean  # noqa: E402


def small_mlp(**params):
    return MLPDomainClassifier(
        **{
            "hidden_layer_sizes": (32, 32),
            "max_epochs": 20,
            "lr": 1e-2,
            "batch_size": 250,
            "random_state": 0,
            **params,
        }
    )


@pytest.fixture(scope="module")
def scaled_gaussian_shift():
    # Source N(0, I), target N(m, 1.5^2 I) in 2-D: the log-ratio is quadratic,
    # so a linear logistic regression is misspecified and a network is not.
    train = make_gaussian_shift(1000, 1000, shift=1.0, target_scale=1.5, random_state=0)
    test = make_gaussian_shift(2000, 2000, shift=1.0, target_scale=1.5, random_state=1)
    return train, test


def test_import_guard():
    # "import skratio" must not import torch; then a finder ahead of the
    # others makes "import torch" fail as if torch were not installed
    # (sys.modules["torch"] = None would also break scipy's array-API helpers,
    # which look torch up in sys.modules). One interpreter for both checks.
    code = """
import importlib.abc, sys
import skratio
print("torch imported:", "torch" in sys.modules)

class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "torch":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NoTorch())
try:
    import skratio.deep
except ImportError as exc:
    print(exc)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "torch imported: False" in out.stdout
    assert "the deep extra" in out.stdout
    assert "pip install torch==2.13.0" in out.stdout
    assert 'pip install -e ".[deep]"' in out.stdout


def test_weighted_mean_is_algorithm_one():
    loss = torch.tensor([1.0, 2.0, 3.0, 4.0])
    weight = torch.tensor([0.0, 1.0, 1.0, 2.0])
    # mean(w_i * l_i) = (0 + 2 + 3 + 8) / 4; self-normalised: 13 / (0 + 1 + 1 + 2).
    assert weighted_mean(loss, weight, normalize=False).item() == pytest.approx(13 / 4)
    assert weighted_mean(loss, weight, normalize=True).item() == pytest.approx(13 / 4)
    weight = torch.tensor([1.0, 1.0, 1.0, 5.0])
    assert weighted_mean(loss, weight, normalize=True).item() == pytest.approx(26 / 8)
    assert weighted_mean(loss, None, normalize=True).item() == pytest.approx(2.5)


def test_mlp_recovers_quadratic_log_ratio(scaled_gaussian_shift):
    (X, y, _), (X_test, y_test, log_ratio) = scaled_gaussian_shift
    source = y_test == 0
    mlp = DensityRatioEstimator(small_mlp()).fit(X, y)
    linear = DensityRatioEstimator(LogisticRegression()).fit(X, y)
    truth = log_ratio[source]
    rmse = {
        name: np.sqrt(np.mean((est.predict_log_weight(X_test[source]) - truth) ** 2))
        for name, est in [("mlp", mlp), ("linear", linear)]
    }
    # Scale of the problem: a constant log-ratio has RMSE sd(log r) over the
    # source rows (0.72 here); the linear fit, which cannot bend, about 0.6.
    # The parametric error of a quadratic fit to 2000 rows is O(sqrt(6/2000))
    # = 0.05 per coefficient; the network has no such closed form, and is
    # asked for half the constant predictor's error, and at most half the
    # linear fit's error measured in the same run.
    assert np.std(log_ratio[source]) > 0.6
    assert rmse["mlp"] < 0.5 * np.std(log_ratio[source])
    assert rmse["mlp"] < 0.5 * rmse["linear"]


def test_grid_search_picks_the_mlp_by_held_out_nce(scaled_gaussian_shift):
    (X, y, _), _ = scaled_gaussian_shift
    search = GridSearchCV(
        DensityRatioEstimator(),
        {"classifier": [LogisticRegression(), small_mlp(max_epochs=15)]},
        cv=3,
    ).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    # The score is the held-out NCE (a mean log-likelihood, so negative); the
    # network sees the quadratic shift the linear model cannot.
    assert np.all(scores < 0)
    assert isinstance(search.best_estimator_.classifier_, MLPDomainClassifier)
    assert scores[1] > scores[0]


def test_calibrated_ratio_passes_sample_weight_to_the_mlp(scaled_gaussian_shift):
    (X, y, _), (X_test, y_test, log_ratio) = scaled_gaussian_shift
    # Weighting every target row by 2 doubles the classifier's odds and halves
    # the prior ratio n_0 / n_1 (weighted counts): p_1 / p_0 is unchanged, so
    # the recalibrated ratio must still recover the truth, to the bound of
    # test_mlp_recovers_quadratic_log_ratio.
    ratio = CalibratedRatio(DensityRatioEstimator(small_mlp()), cv=2)
    ratio.fit(X, y, sample_weight=np.where(y == 1, 2.0, 1.0))
    source = y_test == 0
    error = ratio.predict_log_weight(X_test[source]) - log_ratio[source]
    assert np.sqrt(np.mean(error**2)) < 0.5 * np.std(log_ratio[source])


def test_sample_weight_shifts_the_log_odds_by_log_of_the_class_weight():
    # Weighting every target row by 3 multiplies the target's share of the
    # (weighted) loss by 3: the optimal logit moves by log 3 = 1.10 everywhere.
    # Labels independent of X make the optimum a constant: logit 0 unweighted,
    # log 3 weighted; the bounds leave 0.25 for the optimisation noise.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 2))
    y = rng.integers(0, 2, 1000)
    unweighted = small_mlp(max_epochs=15).fit(X, y).decision_function(X).mean()
    weighted = (
        (small_mlp(max_epochs=15).fit(X, y, sample_weight=np.where(y == 1, 3.0, 1.0)))
        .decision_function(X)
        .mean()
    )
    assert abs(unweighted) < 0.25
    assert abs(weighted - np.log(3.0)) < 0.25


def test_dataframe_and_float64_input_are_cast(scaled_gaussian_shift):
    pd = pytest.importorskip("pandas")
    (X, y, _), _ = scaled_gaussian_shift
    frame = pd.DataFrame(X, columns=["a", "b"])
    from_frame = small_mlp(max_epochs=2).fit(frame, y)
    from_array = small_mlp(max_epochs=2).fit(X.astype(np.float32), y)
    np.testing.assert_array_equal(from_frame.feature_names_in_, ["a", "b"])
    np.testing.assert_allclose(
        from_frame.predict_proba(frame), from_array.predict_proba(X), rtol=1e-6
    )


def test_random_state_reproducible_and_global_rng_untouched(scaled_gaussian_shift):
    (X, y, _), _ = scaled_gaussian_shift
    state = torch.get_rng_state()
    first = small_mlp(max_epochs=2, dropout=0.2).fit(X, y).decision_function(X)
    np.testing.assert_array_equal(torch.get_rng_state(), state)
    second = small_mlp(max_epochs=2, dropout=0.2).fit(X, y).decision_function(X)
    other = small_mlp(max_epochs=2, dropout=0.2, random_state=1).fit(X, y)
    np.testing.assert_array_equal(first, second)
    assert not np.allclose(first, other.decision_function(X))


def test_early_stopping_stops_on_noise():
    # Labels independent of X: the validation loss stops improving at once,
    # so training ends long before max_epochs.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2))
    y = rng.integers(0, 2, 400)
    clf = small_mlp(max_epochs=200, early_stopping=True, n_iter_no_change=3).fit(X, y)
    assert len(clf.net_.history_) < 100


def test_verbose_progress_and_callbacks(scaled_gaussian_shift, capsys):
    (X, y, _), _ = scaled_gaussian_shift

    class CountEpochs(Callback):
        def initialize(self):
            self.epochs = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.epochs += 1

    counter = CountEpochs()
    clf = small_mlp(max_epochs=3, verbose=1, callbacks=[counter]).fit(X, y)
    assert capsys.readouterr().out.count("train_loss") >= 1  # skorch's epoch table
    assert len(clf.net_.history_) == 3
    assert counter.epochs == 3


@pytest.mark.parametrize("device", ["cuda"])
def test_cuda_without_gpu_is_a_clear_error(scaled_gaussian_shift, device):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    (X, y, _), _ = scaled_gaussian_shift
    with pytest.raises(ValueError, match='device="cuda".*no CUDA GPU'):
        small_mlp(device=device).fit(X, y)


def test_bad_inputs(scaled_gaussian_shift):
    (X, y, _), _ = scaled_gaussian_shift
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        small_mlp().fit(bad, y)
    with pytest.raises(ValueError, match="Negative values"):
        small_mlp().fit(X, y, sample_weight=np.r_[-1.0, np.ones(len(y) - 1)])
    fitted = small_mlp(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        fitted.predict_proba(X[:, :1])
    # Training needs two rows, prediction one.
    with pytest.raises(ValueError, match="1 sample"):
        small_mlp().fit(X[:1], y[:1])
    assert fitted.predict_proba(X[:1]).shape == (1, 2)


def test_pickle_and_safetensors_round_trips(scaled_gaussian_shift, tmp_path):
    (X, y, _), _ = scaled_gaussian_shift
    clf = small_mlp(max_epochs=3, batch_norm=True).fit(X, y)
    expected = clf.predict_proba(X)
    unpickled = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(unpickled.predict_proba(X), expected)

    path = tmp_path / "mlp.safetensors"
    clf.net_.save_params(f_params=str(path), use_safetensors=True)
    # A fresh model of the same architecture (one epoch of other training)
    # takes the saved parameters and predicts exactly as the original.
    other = clone(clf).set_params(max_epochs=1, random_state=1).fit(X, y)
    assert not np.allclose(other.predict_proba(X), expected)
    other.net_.load_params(f_params=str(path), use_safetensors=True)
    np.testing.assert_array_equal(other.predict_proba(X), expected)


def test_values_beyond_float32_are_a_clear_error(scaled_gaussian_shift):
    (X, y, _), _ = scaled_gaussian_shift
    with pytest.raises(ValueError, match="beyond float32's range .* column 0"):
        small_mlp(max_epochs=1).fit(X * 1e40, y)
    fitted = small_mlp(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="beyond float32's range"):
        fitted.predict_proba(X * 1e40)


@pytest.mark.parametrize("scale", [1e40, 1e-50])
def test_weight_scale_beyond_float32_changes_nothing(scaled_gaussian_shift, scale):
    # Only the weights' ratios matter; 1e40 overflows float32 and 1e-50
    # underflows to 0 unless the weights are rescaled before the cast.
    (X, y, _), _ = scaled_gaussian_shift
    weights = np.where(y == 1, 3.0, 1.0)
    reference = small_mlp(max_epochs=3).fit(X, y, sample_weight=weights)
    scaled = small_mlp(max_epochs=3).fit(X, y, sample_weight=weights * scale)
    proba = scaled.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba, reference.predict_proba(X), rtol=1e-5)


def test_a_non_finite_loss_stops_training(scaled_gaussian_shift, poison_parameters):
    from sklearn.exceptions import NotFittedError

    (X, y, _), _ = scaled_gaussian_shift
    clf = small_mlp(callbacks=[poison_parameters("on_epoch_begin")])
    with pytest.raises(ValueError, match="train loss became nan at epoch 1"):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        clf.predict_proba(X)


def test_a_model_that_ends_with_nan_is_not_returned_fitted(
    scaled_gaussian_shift, poison_parameters
):
    (X, y, _), _ = scaled_gaussian_shift
    clf = small_mlp(max_epochs=2, callbacks=[poison_parameters("on_train_end")])
    with pytest.raises(ValueError, match="non-finite log-odds for 2000 of the 2000"):
        clf.fit(X, y)
    assert not hasattr(clf, "net_")


def test_verbose_shows_one_plain_epoch_table(scaled_gaussian_shift, capsys):
    (X, y, _), _ = scaled_gaussian_shift
    small_mlp(max_epochs=3, verbose=1).fit(X, y)
    out, err = capsys.readouterr()
    lines = out.splitlines()
    # A header, a rule, then one line per epoch; no progress bar anywhere.
    assert lines[0].split()[:2] == ["epoch", "train_loss"]
    assert [line.split()[0] for line in lines[2:]] == ["1", "2", "3"]
    assert "\x1b[" not in out and "\x1b[" not in err
    assert "it/s" not in err and "0/" not in err
    small_mlp(max_epochs=2).fit(X, y)
    assert capsys.readouterr() == ("", "")


def test_epoch_table_keeps_its_colours_on_a_terminal(monkeypatch, capsys):
    import io

    from skratio.deep._base import print_epoch_table

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    coloured = "\x1b[36m0.6931\x1b[0m"
    print_epoch_table(coloured)
    assert capsys.readouterr().out == "0.6931\n"
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    print_epoch_table(coloured)
    assert terminal.getvalue() == coloured + "\n"


def test_device_auto_records_the_device_used(scaled_gaussian_shift):
    (X, y, _), _ = scaled_gaussian_shift
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert small_mlp(max_epochs=1, device="auto").fit(X, y).device_ == expected
    assert small_mlp(max_epochs=1, device="cpu").fit(X, y).device_ == "cpu"
