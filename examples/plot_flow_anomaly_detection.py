"""
Anomaly detection with a normalizing flow
=========================================

A normalizing flow gives the exact log-likelihood of every row. Trained on
normal data only, it flags the rows it finds unlikely: here, rows whose
log-likelihood falls below the mean minus three standard deviations of the
training rows' log-likelihoods. By Cantelli's inequality at most 1 / (1 + 3^2)
= 10% of any distribution lies that far below its mean, so the rule bounds
the false alarms on the training rows whatever the shape of the data; for
roughly Gaussian log-likelihoods the rate is far smaller.

The data are two interleaved half-moons (normal) and, among new rows, uniform
"outliers" planted at least 0.5 away from every normal row. We report the
detection rate (outliers flagged) and the false-alarm rate (new normal rows
flagged).
"""

# %%
# Normal data and planted outliers
# --------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.metrics import pairwise_distances

from skratio.deep import Flow

X_train, _ = make_moons(n_samples=1000, noise=0.08, random_state=0)
X_normal, _ = make_moons(n_samples=1000, noise=0.08, random_state=1)

rng = np.random.default_rng(2)
candidates = rng.uniform([-2.0, -1.5], [3.0, 2.0], size=(3000, 2))
far = pairwise_distances(candidates, X_train).min(axis=1) > 0.5
X_outliers = candidates[far][:200]

# %%
# A flow on the normal data
# -------------------------
# A masked autoregressive flow from zuko with a standardising first layer;
# a few seconds of training on a CPU.
flow = Flow("maf", n_transforms=3, max_epochs=30, lr=3e-3, random_state=0)
flow.fit(X_train)

train_ll = flow.score_samples(X_train)
threshold = train_ll.mean() - 3 * train_ll.std()

detection_rate = np.mean(flow.score_samples(X_outliers) < threshold)
false_alarm_rate = np.mean(flow.score_samples(X_normal) < threshold)
print(f"threshold (log-likelihood): {threshold:.2f}")
print(f"detection rate:   {detection_rate:.1%} of {len(X_outliers)} planted outliers")
print(f"false-alarm rate: {false_alarm_rate:.1%} of {len(X_normal)} new normal rows")

# %%
# The flagged region
# ------------------
# Rows in the shaded region have a log-likelihood below the threshold.
grid = np.linspace(-2.0, 3.0, 200), np.linspace(-1.5, 2.0, 150)
xx, yy = np.meshgrid(*grid)
ll = flow.score_samples(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)

fig, ax = plt.subplots(figsize=(7, 5))
ax.contourf(xx, yy, ll < threshold, levels=[0.5, 1.5], colors=["#f2d0d0"])
ax.scatter(*X_normal.T, s=4, c="tab:blue", label="new normal rows")
flagged = flow.score_samples(X_outliers) < threshold
ax.scatter(*X_outliers[flagged].T, s=12, c="tab:red", label="outliers, flagged")
ax.scatter(
    *X_outliers[~flagged].T, s=12, c="black", marker="x", label="outliers, missed"
)
ax.set_title(
    f"Flow anomaly detection: {detection_rate:.0%} detected, "
    f"{false_alarm_rate:.1%} false alarms"
)
ax.legend(loc="lower left")
plt.show()
