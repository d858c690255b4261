"""
Calibrating an overconfident domain classifier
==============================================

A classifier's odds are a density ratio only if its probabilities are
calibrated. Gaussian naive Bayes assumes independent features; fed the same
features several times, it counts the same evidence several times and its
log-odds are several times too large: its ratios are far too extreme, although
it ranks the rows well.

:class:`skratio.CalibratedRatio` recalibrates the classifier's log-odds with
scikit-learn's ``CalibratedClassifierCV``. Since the naive Bayes log-odds here
are an affine function of the true log-ratio, Platt's sigmoid
(``a logit c + b``) undoes the overconfidence exactly in the limit of many
rows. The truth comes from :func:`skratio.datasets.make_gaussian_shift`.
"""

# %%
# Data with a known ratio, each feature repeated four times
# ---------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB

from skratio import CalibratedRatio, DensityRatioEstimator
from skratio.datasets import make_gaussian_shift
from skratio.plotting import RatioCalibrationDisplay

X, y, log_ratio = make_gaussian_shift(
    n_source=3000, n_target=3000, n_features=2, shift=1.0, random_state=0
)
X = np.tile(X, 4)  # the copies add no information: the true ratio is unchanged
X_train, X_test, y_train, y_test, _, log_ratio_test = train_test_split(
    X, y, log_ratio, test_size=0.5, stratify=y, random_state=0
)

# %%
# Naive Bayes, before and after calibration
# -----------------------------------------
naive = DensityRatioEstimator(GaussianNB(), random_state=0).fit(X_train, y_train)
calibrated = CalibratedRatio(
    DensityRatioEstimator(GaussianNB(), random_state=0), method="sigmoid", cv=5
).fit(X_train, y_train)

for name, estimator in [("naive Bayes", naive), ("calibrated", calibrated)]:
    log_w = estimator.predict_log_weight(X_test)
    rmse = np.sqrt(np.mean((log_w - log_ratio_test) ** 2))
    slope = np.polyfit(log_ratio_test, log_w, 1)[0]
    print(
        f"{name:>12}: held-out NCE {estimator.score(X_test, y_test):.4f}, "
        f"RMSE of log w {rmse:.3f}, slope against the truth {slope:.2f}"
    )
print("expected calibration error (held out):", calibrated.calibration_error_)

# %%
# Reliability diagram and log-weights
# -----------------------------------
# Left: a calibrated classifier follows the diagonal. Right: naive Bayes'
# log-weights are about four times the true ones (one per copy); the
# calibrated ones lie on the diagonal.
fig, (ax_rel, ax_w) = plt.subplots(1, 2, figsize=(10, 4.5))
RatioCalibrationDisplay.from_estimator(calibrated, X_test, y_test, ax=ax_rel)
ax_w.scatter(
    log_ratio_test,
    naive.predict_log_weight(X_test),
    s=3,
    alpha=0.3,
    label="naive Bayes",
)
ax_w.scatter(
    log_ratio_test,
    calibrated.predict_log_weight(X_test),
    s=3,
    alpha=0.3,
    label="calibrated (sigmoid)",
)
low, high = log_ratio_test.min(), log_ratio_test.max()
ax_w.plot([low, high], [low, high], color="black", lw=1)
ax_w.set(xlabel="true log-ratio", ylabel="estimated log w", ylim=(-15, 15))
ax_w.legend(markerscale=4)
fig.tight_layout()
plt.show()
