"""Displays render with the Agg backend and carry the right data."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

from skratio import CalibratedRatio, DensityRatioEstimator
from skratio.datasets import make_biased_split, make_gaussian_shift
from skratio.plotting import RatioCalibrationDisplay, WeightDistributionDisplay


@pytest.fixture(autouse=True)
def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


# ---------------------------------------------------------------------------
# WeightDistributionDisplay


def test_weight_distribution_data_and_artists(pyplot):
    rng = np.random.default_rng(0)
    weights = np.concatenate(
        [rng.lognormal(-0.5, 0.3, 80), rng.lognormal(1.0, 0.3, 20)]
    )
    groups = np.repeat(["common", "rare"], [80, 20])
    display = WeightDistributionDisplay.from_weights(
        weights, groups, bins=20, name="demo"
    )
    assert display.group_labels.tolist() == ["common", "rare"]
    np.testing.assert_array_equal(display.group_weights[0], weights[:80])
    np.testing.assert_array_equal(display.group_weights[1], weights[80:])
    np.testing.assert_allclose(
        display.mean_weights, [weights[:80].mean(), weights[80:].mean()]
    )
    # Log-spaced bins covering all weights, shared by both groups.
    np.testing.assert_allclose(
        display.bin_edges_[[0, -1]], [weights.min(), weights.max()]
    )
    np.testing.assert_allclose(
        np.diff(np.log(display.bin_edges_)), np.log(weights.max() / weights.min()) / 20
    )
    for counts, rows in zip(display.counts_, (weights[:80], weights[80:])):
        np.testing.assert_array_equal(counts, np.histogram(rows, display.bin_edges_)[0])
    for line, mean_weight, patches in zip(
        display.mean_lines_, display.mean_weights, display.hists_
    ):
        assert line.get_xdata()[0] == pytest.approx(mean_weight)
        assert line.get_color() == patches[0].get_edgecolor()
    assert display.reference_line_.get_xdata()[0] == 1.0
    assert display.ax_.get_xscale() == "log"
    assert display.ax_.get_title() == "demo"
    assert display.figure_ is display.ax_.figure
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert any("rare" in text for text in legend) and any(
        "common" in text for text in legend
    )


def test_weight_distribution_linear_scale_single_group_and_given_axes(pyplot):
    _, ax = pyplot.subplots()
    weights = np.array([0.0, 0.5, 1.0, 2.0])
    display = WeightDistributionDisplay.from_weights(
        weights, log_scale=False, ref_line=False, ax=ax
    )
    assert display.ax_ is ax
    assert display.ax_.get_xscale() == "linear"
    assert display.reference_line_ is None
    assert display.mean_weights.tolist() == [0.875]
    assert display.counts_[0].sum() == 4


def test_weight_distribution_init_stores_and_plot_draws_the_given_values(pyplot):
    # Values computed beforehand, e.g. group means over more rows than the
    # ones drawn: the constructor keeps them as given, and plot draws them
    # without computing them again.
    group_weights = [np.array([1.0, 2.2, 1.4]), np.array([3.9, 5.0])]
    group_labels = np.array(["common", "rare"])
    mean_weights = np.array([1.5, 4.5])
    display = WeightDistributionDisplay(
        group_weights, group_labels, mean_weights, name="given"
    )
    assert display.group_weights is group_weights
    assert display.group_labels is group_labels
    assert display.mean_weights is mean_weights
    assert display.name == "given"
    assert not hasattr(display, "ax_") and not hasattr(display, "bin_edges_")
    assert display.plot(bins=4, log_scale=False) is display
    np.testing.assert_allclose(display.bin_edges_, [1.0, 2.0, 3.0, 4.0, 5.0])
    assert [counts.tolist() for counts in display.counts_] == [
        [2, 1, 0, 0],
        [0, 0, 1, 1],
    ]
    assert [line.get_xdata()[0] for line in display.mean_lines_] == [1.5, 4.5]
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend[:2] == ["group common (mean 1.5)", "group rare (mean 4.5)"]
    assert display.ax_.get_title() == "given"


def test_weight_distribution_init_needs_one_entry_per_group():
    with pytest.raises(ValueError, match="one entry per group"):
        WeightDistributionDisplay([np.array([1.0])], np.array([0, 1]), [1.0])


def test_weight_distribution_rejects_bad_weights(pyplot):
    with pytest.raises(ValueError, match="log scale"):
        WeightDistributionDisplay.from_weights([0.0, 1.0])
    with pytest.raises(ValueError, match="non-negative"):
        WeightDistributionDisplay.from_weights([-1.0, 1.0])
    with pytest.raises(ValueError, match="NaN"):
        WeightDistributionDisplay.from_weights([np.nan, 1.0])
    with pytest.raises(ValueError, match="inconsistent"):
        WeightDistributionDisplay.from_weights([1.0, 1.0], groups=[0, 1, 1])


def test_weight_distribution_shows_figure_2_of_choi_et_al(pyplot):
    # Biased set: 90% digits < 5; reference: balanced. The true ratio of each
    # group is p_ref(z) / p_bias(z): 0.5 / 0.9 = 0.56 for digits < 5 and
    # 0.5 / 0.1 = 5 for digits >= 5. Any classifier that tells the groups
    # apart puts the under-represented group's mean weight above 1 and the
    # over-represented group's below 1.
    digits = load_digits()
    X, y, groups = make_biased_split(
        digits.data, digits.target >= 5, bias=0.9, reference_size=0.25, random_state=0
    )
    ratio = DensityRatioEstimator(
        LogisticRegression(C=0.01, max_iter=1000), random_state=0
    )
    weights = ratio.fit_predict_weight(X, y)
    source = y == 0
    display = WeightDistributionDisplay.from_weights(weights[source], groups[source])
    assert display.group_labels.tolist() == [False, True]
    over_represented, under_represented = display.mean_weights
    assert over_represented < 1.0 < under_represented
    from_estimator = WeightDistributionDisplay.from_estimator(
        ratio, X[source], groups[source]
    )
    np.testing.assert_allclose(
        from_estimator.mean_weights,
        [
            ratio.predict_weight(X[source][groups[source] == g]).mean()
            for g in (False, True)
        ],
    )
    assert from_estimator.ax_.get_title() == "DensityRatioEstimator"


# ---------------------------------------------------------------------------
# RatioCalibrationDisplay


def _overconfident_case():
    X, y, _ = make_gaussian_shift(1500, 1500, n_features=2, random_state=0)
    X_test, y_test, _ = make_gaussian_shift(1500, 1500, n_features=2, random_state=1)
    return np.repeat(X, 5, axis=1), y, np.repeat(X_test, 5, axis=1), y_test


def _reliability_bins(y, proba, n_bins, strategy):
    """Target fraction, mean probability and count of each non-empty bin, by hand.

    Edges at multiples of 1 / n_bins ("uniform") or at the quantiles of the
    probabilities, each the smallest value reaching its level ("quantile");
    a probability equal to an edge falls in the lower bin, as in
    sklearn.calibration.calibration_curve.
    """
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    else:
        levels = np.arange(1, n_bins) / n_bins
        edges = np.quantile(proba, levels, method="inverted_cdf")
    index = np.searchsorted(edges, proba, side="left")
    bins = np.unique(index)
    return (
        np.array([np.mean(y[index == b]) for b in bins]),
        np.array([np.mean(proba[index == b]) for b in bins]),
        np.array([np.sum(index == b) for b in bins]),
    )


def test_calibration_display_before_and_after(pyplot):
    X, y, X_test, y_test = _overconfident_case()
    calibrated = CalibratedRatio(DensityRatioEstimator(GaussianNB())).fit(X, y)
    display = RatioCalibrationDisplay.from_estimator(calibrated, X_test, y_test)
    assert len(display.lines_) == 2
    before, after = display.labels
    assert "before" in before and "after" in after
    after_proba = calibrated.predict_proba(X_test)[:, 1]
    before_proba = calibrated.predict_uncalibrated_proba(X_test)[:, 1]
    for line, proba, error in zip(
        display.lines_, (before_proba, after_proba), display.calibration_errors
    ):
        prob_true, prob_pred, count = _reliability_bins(y_test, proba, 10, "uniform")
        np.testing.assert_allclose(line.get_xdata(), prob_pred)
        np.testing.assert_allclose(line.get_ydata(), prob_true)
        by_hand = np.average(np.abs(prob_true - prob_pred), weights=count)
        assert error == pytest.approx(by_hand)
        assert f"{error:.3f}" in line.get_label()
    # The overconfident naive Bayes is far off the diagonal, the calibrated one
    # is not (same bounds as the calibration tests: > 0.1 and < 0.075).
    assert display.calibration_errors[0] > 0.1
    assert display.calibration_errors[1] < 0.075
    np.testing.assert_array_equal(
        display.reference_line_.get_xydata(), [[0, 0], [1, 1]]
    )


def test_calibration_display_of_an_uncalibrated_estimator(pyplot):
    X, y, X_test, y_test = _overconfident_case()
    labels = np.where(y_test == 1, "ref", "bias")
    ratio = DensityRatioEstimator(GaussianNB(), target_label="ref").fit(
        X, np.where(y == 1, "ref", "bias")
    )
    display = RatioCalibrationDisplay.from_estimator(
        ratio,
        X_test,
        labels,
        n_bins=5,
        strategy="quantile",
        name="naive Bayes",
        ref_line=False,
    )
    assert len(display.lines_) == 1 and display.reference_line_ is None
    assert display.labels == ["naive Bayes"]
    prob_true, prob_pred, _ = _reliability_bins(
        y_test, ratio.predict_proba(X_test)[:, 1], 5, "quantile"
    )
    np.testing.assert_allclose(display.lines_[0].get_xdata(), prob_pred)
    np.testing.assert_allclose(display.lines_[0].get_ydata(), prob_true)
    with pytest.raises(ValueError, match="not seen in fit"):
        RatioCalibrationDisplay.from_estimator(ratio, X_test, y_test)


def test_calibration_display_sample_weight_equals_repeated_rows(pyplot):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    proba = np.clip(0.5 * y + 0.5 * rng.random(200), 0, 1)
    counts = rng.integers(0, 4, 200)
    weighted = RatioCalibrationDisplay.from_predictions(
        y, proba, sample_weight=counts, strategy="quantile"
    )
    repeated = RatioCalibrationDisplay.from_predictions(
        np.repeat(y, counts), np.repeat(proba, counts), strategy="quantile"
    )
    np.testing.assert_allclose(weighted.prob_true[0], repeated.prob_true[0])
    np.testing.assert_allclose(weighted.prob_pred[0], repeated.prob_pred[0])
    np.testing.assert_allclose(weighted.calibration_errors, repeated.calibration_errors)
    unweighted = RatioCalibrationDisplay.from_predictions(y, proba, strategy="quantile")
    assert not np.allclose(unweighted.calibration_errors, weighted.calibration_errors)


def test_calibration_display_from_predictions_before_and_after(pyplot):
    y = np.array([0, 0, 1, 1])
    display = RatioCalibrationDisplay.from_predictions(
        y, [0.05, 0.1, 0.9, 0.95], y_proba_calibrated=[0.3, 0.4, 0.6, 0.7], n_bins=2
    )
    # Bins [0, 0.5] and (0.5, 1]: before, mean predictions 0.075 and 0.925
    # against frequencies 0 and 1; after, 0.35 and 0.65.
    np.testing.assert_allclose(display.lines_[0].get_xdata(), [0.075, 0.925])
    np.testing.assert_allclose(display.lines_[1].get_xdata(), [0.35, 0.65])
    for line in display.lines_:
        np.testing.assert_array_equal(line.get_ydata(), [0.0, 1.0])
    assert display.calibration_errors == pytest.approx([0.075, 0.35])


def test_calibration_display_init_stores_and_plot_draws_the_given_values(pyplot):
    prob_true = [np.array([0.1, 0.6]), np.array([0.3, 0.7])]
    prob_pred = [np.array([0.2, 0.8]), np.array([0.25, 0.75])]
    display = RatioCalibrationDisplay(prob_true, prob_pred, [0.05, 0.02], ["a", "b"])
    assert display.prob_true is prob_true and display.prob_pred is prob_pred
    assert not hasattr(display, "lines_")
    _, ax = pyplot.subplots()
    assert display.plot(ax=ax, ref_line=False) is display
    assert display.ax_ is ax and display.reference_line_ is None
    for line, x, y in zip(display.lines_, prob_pred, prob_true):
        np.testing.assert_array_equal(line.get_xdata(), x)
        np.testing.assert_array_equal(line.get_ydata(), y)
    assert [line.get_label() for line in display.lines_] == [
        "a (ECE 0.050)",
        "b (ECE 0.020)",
    ]
    with pytest.raises(ValueError, match="one entry per curve"):
        RatioCalibrationDisplay(prob_true, prob_pred, [0.05], ["a", "b"])


# ---------------------------------------------------------------------------
# matplotlib is optional


def _hide_matplotlib(monkeypatch):
    # A module set to None in sys.modules fails to import, as if not installed.
    for name in ("matplotlib", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)


INSTALL_HINT = r'pip install -e "\.\[plot\]"'


@pytest.mark.parametrize(
    "build, caller",
    [
        (
            lambda: WeightDistributionDisplay.from_weights([1.0, 2.0]),
            "WeightDistributionDisplay.from_weights",
        ),
        (
            lambda: RatioCalibrationDisplay.from_predictions([0, 1], [0.2, 0.7]),
            "RatioCalibrationDisplay.from_predictions",
        ),
        (
            lambda: WeightDistributionDisplay([np.ones(2)], np.zeros(1), [1.0]).plot(),
            "WeightDistributionDisplay.plot",
        ),
        (
            lambda: RatioCalibrationDisplay([[0.5]], [[0.5]], [0.0], ["a"]).plot(),
            "RatioCalibrationDisplay.plot",
        ),
    ],
)
def test_clear_error_without_matplotlib(monkeypatch, build, caller):
    # The constructors store values and need no matplotlib; building from data
    # or plotting on new axes names the plot extra, after scikit-learn's check.
    _hide_matplotlib(monkeypatch)
    with pytest.raises(ImportError, match=INSTALL_HINT) as error:
        build()
    assert str(error.value).startswith(f"{caller} needs matplotlib.")
    assert isinstance(error.value.__cause__, ImportError)
    assert f"{caller} requires matplotlib" in str(error.value.__cause__)


@pytest.mark.parametrize(
    "display", [WeightDistributionDisplay, RatioCalibrationDisplay]
)
def test_from_estimator_checks_matplotlib_before_any_work(monkeypatch, display):
    # An unfitted estimator would raise NotFittedError, were it looked at first.
    _hide_matplotlib(monkeypatch)
    with pytest.raises(ImportError, match=INSTALL_HINT):
        display.from_estimator(DensityRatioEstimator(), [[0.0], [1.0]], [0, 1])


def test_drawing_on_given_axes_does_not_import_pyplot():
    # The command line draws on a bare Figure; importing pyplot would pick a
    # backend (maybe a GUI one) for nothing.
    code = (
        "import sys\n"
        "from matplotlib.figure import Figure\n"
        "from skratio.plotting import RatioCalibrationDisplay, "
        "WeightDistributionDisplay\n"
        "WeightDistributionDisplay.from_weights([0.5, 2.0], ax=Figure().subplots())\n"
        "RatioCalibrationDisplay.from_predictions(\n"
        "    [0, 1], [0.2, 0.7], ax=Figure().subplots())\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_importing_skratio_does_not_import_matplotlib():
    code = (
        "import sys, skratio, skratio.plotting, skratio.metrics; "
        "print('matplotlib' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
