"""
Density ratio of a Gaussian shift against the truth
===================================================

Two Gaussian samples, the source ``N(0, I)`` and the target ``N(m, s^2 I)``,
have an analytic log density ratio, which
:func:`skratio.datasets.make_gaussian_shift` returns for every row. We
estimate the ratio ``w(x) = p_target(x) / p_source(x)`` with a domain
classifier, out of fold, and compare it with the truth:

- with ``s = 1`` the log-ratio is linear in ``x``, and the default classifier
  (a standardised logistic regression) is well specified;
- with ``s = 1.4`` it is quadratic, and a logistic regression on degree-2
  features is well specified, where a linear one is not.
"""

# %%
# A linear log-ratio
# ------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from skratio import DensityRatioEstimator
from skratio.datasets import make_gaussian_shift

X, y, log_ratio = make_gaussian_shift(
    n_source=2000, n_target=1000, n_features=3, shift=1.0, random_state=0
)
ratio = DensityRatioEstimator(random_state=0)
# Out-of-fold weights: each row is weighed by a classifier that did not see it.
log_w = np.log(ratio.fit_predict_weight(X, y))
print(f"prior ratio n_0 / n_1 = {ratio.prior_ratio_:.2f}")
print(f"correlation with the true log-ratio: {np.corrcoef(log_w, log_ratio)[0, 1]:.3f}")
rmse = np.sqrt(np.mean((log_w - log_ratio) ** 2))
print(f"root mean squared error of log w: {rmse:.3f}")

# %%
# A quadratic log-ratio
# ---------------------
# A wider target makes the log-ratio quadratic. A linear classifier can only
# fit its best linear approximation; degree-2 features make the model well
# specified. (A target much wider than the source, ``s**2 >= 2``, would give
# weights of infinite variance, ``E_source[w^2]``: they would collapse however
# well estimated, so the target is only a little wider here.)
X2, y2, log_ratio2 = make_gaussian_shift(
    n_source=2000,
    n_target=1000,
    n_features=2,
    shift=0.5,
    target_scale=1.4,
    random_state=1,
)
candidates = {
    "linear": DensityRatioEstimator(random_state=0),
    "degree 2": DensityRatioEstimator(
        make_pipeline(
            PolynomialFeatures(2), StandardScaler(), LogisticRegression(max_iter=1000)
        ),
        random_state=0,
    ),
}
estimates = {}
for name, estimator in candidates.items():
    estimates[name] = np.log(estimator.fit_predict_weight(X2, y2))
    error = np.sqrt(np.mean((estimates[name] - log_ratio2) ** 2))
    print(f"{name:>8}: RMSE of log w = {error:.3f}")

# %%
# Estimated against true log-ratios
# ---------------------------------
# Points on the diagonal are exact. The direction is target over source: rows
# typical of the target get positive log-weights.
fig, axes = plt.subplots(1, 3, figsize=(12, 4), sharex=False)
panels = [("linear shift", log_ratio, log_w)] + [
    (f"quadratic shift, {name}", log_ratio2, est) for name, est in estimates.items()
]
for ax, (title, truth, estimate) in zip(axes, panels):
    ax.scatter(truth, estimate, s=3, alpha=0.4)
    low, high = truth.min(), truth.max()
    ax.plot([low, high], [low, high], color="black", lw=1)
    ax.set(title=title, xlabel="true log-ratio", ylabel="estimated log w")
fig.tight_layout()
plt.show()
