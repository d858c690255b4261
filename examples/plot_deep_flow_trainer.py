"""
A normalizing flow trained on biased plus reference data
========================================================

Algorithm 1 of Choi et al. (2020) with a deep generative model: a
:class:`skratio.deep.Flow` inside :class:`skratio.WeightedGenerativeTrainer`.
The flow's ``fit`` takes ``sample_weight`` (it minimises the weighted negative
log-likelihood), so the trainer can give the biased rows their out-of-fold
ratio ``p_ref / p_bias`` and the reference rows weight 1.

The data are two Gaussian clusters in two dimensions. The biased dataset has
90% of its rows in the left cluster; the reference dataset, a fifth of its
size, is balanced. We compare the share of the right cluster among the flow's
samples after uniform and after importance-weighted training. Needs
``pip install torch==2.13.0 && pip install -e ".[deep]"``; the flow is small
so that the example runs in seconds on a CPU.
"""

# %%
# Biased and reference data
# -------------------------
import matplotlib.pyplot as plt
import numpy as np

from skratio import WeightedGenerativeTrainer, stack_domains
from skratio.deep import Flow

rng = np.random.default_rng(0)


def clusters(n, share_right):
    right = rng.random(n) < share_right
    centers = np.where(right[:, None], [2.0, 0.0], [-2.0, 0.0])
    return centers + 0.5 * rng.normal(size=(n, 2)), right


biased, _ = clusters(1500, 0.1)
reference, _ = clusters(300, 0.5)
X, y = stack_domains(biased, reference)

# %%
# Uniform and importance-weighted training
# ----------------------------------------
# The default ratio estimator (a logistic regression) suffices: the log-ratio
# is a function of the first coordinate that a linear model approximates well.
flow = Flow(
    architecture="nsf",
    n_transforms=3,
    hidden_layer_sizes=(32, 32),
    max_epochs=40,
    batch_size=128,
    random_state=0,
)
samples = {}
for strategy in ["uniform", "importance"]:
    trainer = WeightedGenerativeTrainer(flow, strategy=strategy, random_state=0)
    trainer.fit(X, y)
    samples[strategy] = trainer.sample(2000, random_state=0)
    share = np.mean(samples[strategy][:, 0] > 0)
    print(f"{strategy:>10}: share of the right cluster {share:.2f} (reference: 0.50)")

# %%
# Samples of the two flows
# ------------------------
fig, axes = plt.subplots(1, 3, figsize=(12, 4), sharex=True, sharey=True)
axes[0].scatter(*biased.T, s=2, alpha=0.3, label="biased")
axes[0].scatter(*reference.T, s=2, alpha=0.5, label="reference")
axes[0].set_title("training data")
axes[0].legend(markerscale=5)
for ax, (strategy, rows) in zip(axes[1:], samples.items()):
    ax.scatter(*rows.T, s=2, alpha=0.3)
    ax.set_title(f"flow samples, strategy={strategy!r}")
fig.tight_layout()
plt.show()
