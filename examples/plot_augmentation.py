"""
Data augmentation with importance-weighted generated rows
=========================================================

Likelihood-free importance weighting (Grover et al., 2019, section 5): rows of
a generative model added to a small labelled training set, each weighted by
its density ratio ``w(x) = p_data(x) / p_model(x)``, so that rows the model
placed where the data is not count less.

Here 20 labelled digits per class, a kernel density per class as the
generator (five generated rows per real row), and the weights of the default
ratio of :class:`skratio.CorrectedGenerator`, out of fold. A logistic
regression is trained on the real rows only, on real and generated rows, and
on real and weighted generated rows, and scored on the other digits. On this
data the weighting does not help (``benchmarks/results/augmentation.md``
over 10 seeds): check before relying on it.
"""

# %%
# Digits, dequantized and mapped to the whole line
# ------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KernelDensity, KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from skratio import DensityRatioEstimator, stack_domains
from skratio.metrics import effective_sample_size

rng = np.random.default_rng(0)
digits = load_digits()
pixels = (digits.data + rng.uniform(size=digits.data.shape)) / 17.0
X = np.log(0.05 + 0.9 * pixels) - np.log(0.95 - 0.9 * pixels)
y = digits.target

labelled = np.concatenate(
    [rng.choice(np.flatnonzero(y == c), 20, replace=False) for c in range(10)]
)
test = np.setdiff1d(np.arange(len(y)), labelled)
scaler = StandardScaler().fit(X[labelled])
Z, Z_test = scaler.transform(X[labelled]), scaler.transform(X[test])

# %%
# A generator per class, and the weights of its rows
# --------------------------------------------------
generated = np.vstack(
    [
        KernelDensity(bandwidth=1.5)
        .fit(Z[y[labelled] == c])
        .sample(100, random_state=c)
        for c in range(10)
    ]
)
y_generated = np.repeat(np.arange(10), 100)
X_domains, domains = stack_domains(generated, Z)  # 0: generated, 1: real
ratio = DensityRatioEstimator(KNeighborsClassifier(30), random_state=0)
weight = ratio.fit_predict_weight(X_domains, domains)[domains == 0]
weight /= weight.mean()
print(f"ESS of the weights: {effective_sample_size(weight) / weight.size:.2f}")

# %%
# Three training sets, one test set
# ---------------------------------
X_aug = np.vstack([Z, generated])
y_aug = np.concatenate([y[labelled], y_generated])
accuracy = {
    "real only": LogisticRegression(max_iter=2000)
    .fit(Z, y[labelled])
    .score(Z_test, y[test]),
    "augmented": LogisticRegression(max_iter=2000)
    .fit(X_aug, y_aug)
    .score(Z_test, y[test]),
    "augmented,\nweighted": LogisticRegression(max_iter=2000)
    .fit(X_aug, y_aug, sample_weight=np.r_[np.ones(len(Z)), weight])
    .score(Z_test, y[test]),
}
for name, value in accuracy.items():
    print(f"{name.replace(chr(10), ' ')}: {value:.3f}")

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.bar(list(accuracy), list(accuracy.values()), color=["gray", "C0", "C1"])
ax.set_ylim(0.8, 0.95)
ax.set_ylabel("held-out accuracy")
ax.set_title("20 labelled digits per class")
fig.tight_layout()
plt.show()
