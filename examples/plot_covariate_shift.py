"""
Covariate shift: reweighting a downstream model
===============================================

Labelled rows come from a source distribution, the model will be used on a
shifted target distribution of which we only have unlabelled rows, and the
relation ``y | x`` is the same in both (covariate shift). A misspecified model
fitted on the source rows is then good where the source has mass and poor
where the target has it. Weighting the training loss by
``w(x) = p_target(x) / p_source(x)`` makes it target the right population
(Shimodaira, 2000).

:class:`skratio.ReweightedEstimator` does this in one ``fit``: the labelled
and the unlabelled rows are stacked in one ``X``, the unlabelled ones marked
in ``y`` (``NaN`` for regression, ``-1`` for classification), it estimates
out-of-fold weights with :class:`skratio.DensityRatioEstimator`, and fits the
model with them. :mod:`skratio.model_selection` scores candidates by the
importance-weighted validation loss (Sugiyama et al., 2007), which estimates
the target loss, so a grid search can choose the flattening ``power``, the
``clip`` and the model itself.
"""

# %%
# Data: a quadratic relation seen through a shifted window
# --------------------------------------------------------
# Source ``x ~ N(0, 1)``, target ``x ~ N(1, 1)``, ``y = x^2 - x`` plus
# noise, and a straight line as the model.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LinearRegression

from skratio import ReweightedEstimator
from skratio.model_selection import LabeledKFold, importance_weighted_scorer

rng = np.random.default_rng(0)
n_source, n_target = 500, 300
X_source = rng.normal(0.0, 1.0, size=(n_source, 1))
X_target = rng.normal(1.0, 1.0, size=(n_target, 1))


def f(x):
    return x**2 - x


y_source = f(X_source[:, 0]) + 0.3 * rng.normal(size=n_source)
X = np.vstack([X_source, X_target])
y = np.concatenate([y_source, np.full(n_target, np.nan)])  # NaN: unlabelled

# %%
# Unweighted and reweighted fits
# ------------------------------
# ``power="auto"`` picks the flattening ``w ** power`` among 0, 0.25, ..., 1 by
# importance-weighted cross-validation on the source rows.

plain = LinearRegression().fit(X_source, y_source)
reweighted = ReweightedEstimator(LinearRegression(), random_state=0).fit(X, y)
auto = ReweightedEstimator(
    LinearRegression(), power="auto", scoring="neg_mean_squared_error", random_state=0
).fit(X, y)
print(f"power chosen by IWCV: {auto.power_}")
print({power: round(score, 3) for power, score in auto.cv_scores_.items()})

X_eval = rng.normal(1.0, 1.0, size=(100_000, 1))  # fresh target rows
for name, model in [
    ("unweighted", plain),
    ("reweighted", reweighted),
    ("power=auto", auto),
]:
    mse = np.mean((model.predict(X_eval) - f(X_eval[:, 0])) ** 2)
    print(f"{name:<11} target MSE {mse:.3f}")

# %%
# The fits and the weights
# ------------------------

grid = np.linspace(-3, 4, 200)[:, None]
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
left.scatter(X_source[:, 0], y_source, s=4, alpha=0.4, label="source rows")
left.plot(grid[:, 0], f(grid[:, 0]), "k:", label="y = x² - x")
left.plot(grid[:, 0], plain.predict(grid), label="unweighted")
left.plot(grid[:, 0], reweighted.predict(grid), label="reweighted")
left.hist(X_target[:, 0], bins=30, density=True, bottom=-3, alpha=0.3, label="target x")
left.set_ylim(-3, 10)
left.legend()
right.scatter(X_source[:, 0], reweighted.weights_, s=4)
right.set_xlabel("x")
right.set_ylabel("out-of-fold training weight (mean 1)")
plt.tight_layout()

# %%
# Choosing the model and its settings by importance-weighted CV
# -------------------------------------------------------------
# :class:`~skratio.model_selection.LabeledKFold` validates on labelled rows only
# and keeps every target row in training; the scorer weighs the validation
# loss by each candidate's own ratio estimate (``predict_weight``, before
# ``power`` and ``clip``).

from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.tree import DecisionTreeRegressor  # noqa: E402

search = GridSearchCV(
    ReweightedEstimator(LinearRegression(), random_state=0),
    {
        "estimator": [LinearRegression(), DecisionTreeRegressor(min_samples_leaf=20)],
        "power": [0.0, 0.5, 1.0],
        "clip": [None, 20.0],
    },
    scoring=importance_weighted_scorer("neg_mean_squared_error"),
    cv=LabeledKFold(5, shuffle=True, random_state=0),
).fit(X, y)
print(search.best_params_)
best_mse = np.mean((search.predict(X_eval) - f(X_eval[:, 0])) ** 2)
print(f"best candidate's target MSE {best_mse:.3f}")
plt.show()
