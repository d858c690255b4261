"""
Sampling-importance-resampling from a generator of digits
=========================================================

Likelihood-free importance weighting (Grover et al., 2019): a domain classifier
that tells a generative model's samples (source, ``y=0``) from real data
(target, ``y=1``) gives ``w(x) = p_data(x) / p_model(x)``.
Sampling-importance-resampling (:class:`skratio.SIRResampler`) keeps one of
``k`` candidates drawn from the model with probability proportional to its
weight; as ``k`` grows the kept rows follow the data.

The generator is a kernel density fitted on scikit-learn's digits with a
flaw a model can easily have: it saw too few of the digits 5 to 9 (one in
five), so it draws them about four times too rarely. We measure the share of
digits 5 to 9 among its samples (read by a nearest-neighbour digit classifier
trained on held-out digits) and the Fréchet distance of the samples to the
held-out digits, for several ``k``.
"""

# %%
# A flawed generator of digits and a ratio estimator
# --------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KernelDensity, KNeighborsClassifier

from skratio import DensityRatioEstimator, SIRResampler, stack_domains
from skratio.metrics import effective_sample_size, frechet_distance

digits = load_digits()
real, held_out, real_digit, held_out_digit = train_test_split(
    digits.data, digits.target, test_size=0.5, random_state=0
)
rng = np.random.default_rng(0)
seen = (real_digit < 5) | (rng.random(len(real_digit)) < 0.2)
model = KernelDensity(bandwidth=1.0).fit(real[seen])  # has ``sample``

# Domain 0: the model's samples; domain 1: the real digits.
X, y = stack_domains(model.sample(2000, random_state=1), real)
# A nearest-neighbour classifier's probabilities are counts of 10 neighbours
# and reach 0 and 1: ``clip=20`` bounds the weights (see below).
ratio = DensityRatioEstimator(KNeighborsClassifier(10), clip=20, random_state=0)
ratio.fit(X, y)

# The digit classifier that reads the samples, fitted on held-out digits.
reader = KNeighborsClassifier(5).fit(held_out, held_out_digit)

# %%
# The samples as ``k`` grows
# --------------------------
# ``k=1`` keeps every candidate: the plain model. Each output row costs ``k``
# candidates, drawn from the model by :meth:`~skratio.SIRResampler.sample`.
n_samples = 500
ks = [1, 2, 5, 10, 20, 50]
shares, distances = [], []
for k in ks:
    samples = SIRResampler(ratio, k=k, random_state=0).sample(model, n_samples)
    shares.append(np.mean(reader.predict(samples) >= 5))
    distances.append(frechet_distance(samples, held_out))
    print(
        f"k={k:>2}: share of digits 5-9 {shares[-1]:.2f}, "
        f"Fréchet distance to held-out digits {distances[-1]:.1f}"
    )
print(f"real digits: share of digits 5-9 {np.mean(held_out_digit >= 5):.2f}")

# %%
# Results
# -------
# The share of the rare digits climbs toward the data's as ``k`` grows, and the
# samples move closer to the held-out digits. The model draws a digit 5 to 9
# about once in seven candidates, so small blocks often hold none to pick: the
# correction needs blocks of well over seven candidates.
#
# The bound ``clip=20`` trades some of the correction (the share stays below
# the data's) for diverse samples. Without it, candidates whose ten
# neighbours are all real digits get enormous weights: the effective sample
# size of the candidates' weights collapses, and large blocks would pick the
# same few rows over and over.
candidates = model.sample(5000, random_state=2)
unclipped = DensityRatioEstimator(KNeighborsClassifier(10)).fit(X, y)
for name, estimator in [("clip=20", ratio), ("no clip", unclipped)]:
    ess = effective_sample_size(estimator.predict_weight(candidates))
    print(f"{name}: effective sample size of 5000 candidates' weights {ess:.0f}")

fig, (ax_share, ax_fd, ax_img) = plt.subplots(1, 3, figsize=(13, 4))
ax_share.plot(ks, shares, marker="o", label="SIR samples")
ax_share.axhline(np.mean(held_out_digit >= 5), color="black", ls="--", label="data")
ax_share.set(xscale="log", xlabel="k", ylabel="share of digits 5-9")
ax_share.legend()
ax_fd.plot(ks, distances, marker="o")
ax_fd.set(xscale="log", xlabel="k", ylabel="Fréchet distance to held-out digits")
for ax in (ax_share, ax_fd):
    ax.set_xticks(ks, [str(k) for k in ks])
samples = SIRResampler(ratio, k=50, random_state=1).sample(model, 16)
grid = np.vstack(
    [np.hstack(list(row.reshape(4, 8, 8))) for row in samples.reshape(4, 4, 64)]
)
ax_img.imshow(grid, cmap="gray_r")
ax_img.set(title="SIR samples, k=50", xticks=[], yticks=[])
fig.tight_layout()
plt.show()
