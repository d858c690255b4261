"""Likelihood-free importance weighting (Grover et al. 2019) on scikit-learn's digits.

Real data: the 1797 digits, split at random into a generator training set
(600 rows), a real set for the domain classifier (600) and a held-out set for
evaluation (597), and mapped to the 20-dimensional PCA space of the generator
training set: the feature space where everything is fitted and measured, as
FID measures in a feature space. (In raw pixels the real digits are integers
and generated ones are not, which a flexible classifier detects perfectly:
the ratio would be degenerate.) For each generator (a GaussianMixture, and a
KernelDensity whose bandwidth is chosen by cross-validated likelihood, both
fitted on the generator training set) and each domain classifier (logistic
regression on quadratic features, gradient-boosted trees):

1. ``DensityRatioEstimator`` fits the classifier to real (y=1) against 3000
   generated (y=0) rows, giving ``w(x) = p_real(x) / p_model(x)``;
2. evaluation against the held-out rows: Frechet distance (FD), squared MMD
   (Gaussian kernel, width from the held-out rows) and the distance between
   feature means, for
   - raw samples of the generator,
   - the same raw samples evaluated with importance weights (weighted FD and
     MMD, self-normalised mean), with their effective sample size (ESS),
   - SIR samples (``SIRResampler.sample``) for several k,
   - real rows (the classifier's real set): the floor, real against real.

Every sample has the size of the held-out set, so the finite-sample biases of
the distances are comparable; a weighted evaluation rests on its ESS. Figures
are means and their standard errors over ``--seeds`` repetitions (new
samples, same fitted models).

    python benchmarks/sir_quality.py            # 10 seeds, k up to 50
    python benchmarks/sir_quality.py --quick    # 2 seeds, k in {1, 10}
"""

import argparse
import copy
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KernelDensity
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from skratio import DensityRatioEstimator, SIRResampler, stack_domains
from skratio.metrics import (
    effective_sample_size,
    frechet_distance,
    importance_weighted_mean,
    squared_mmd,
)

RESULTS = Path(__file__).parent / "results"
N_GENERATED_FOR_CLASSIFIER = 3000
N_FEATURES = 20


def raw_samples(generator, n_samples, seed):
    """Seeded rows of a fitted KernelDensity or GaussianMixture."""
    if isinstance(generator, GaussianMixture):
        # GaussianMixture.sample takes no seed: it uses its random_state.
        rows, _ = copy.copy(generator).set_params(random_state=seed).sample(n_samples)
        return rows
    return generator.sample(n_samples, random_state=seed)


def fit_generators(X_train, seed):
    mixture = GaussianMixture(
        n_components=10, covariance_type="full", reg_covar=0.1, random_state=seed
    ).fit(X_train)
    bandwidths = {"bandwidth": [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]}
    kde = GridSearchCV(KernelDensity(), bandwidths, cv=3).fit(X_train).best_estimator_
    return {
        "GaussianMixture(10 components)": mixture,
        f"KernelDensity(bandwidth={kde.bandwidth:g})": kde,
    }


# Fixed hyper-parameters (not tuned on the held-out rows): strong enough
# regularisation that the weights do not collapse on 600 real rows.
CLASSIFIERS = {
    "quadratic logistic regression": make_pipeline(
        StandardScaler(),
        PolynomialFeatures(2),
        StandardScaler(),
        LogisticRegression(C=0.01, max_iter=3000),
    ),
    "gradient boosting": HistGradientBoostingClassifier(
        max_iter=100, learning_rate=0.05, max_leaf_nodes=8, random_state=0
    ),
}


def fit_ratio(generator, classifier, X_real, seed):
    generated = raw_samples(generator, N_GENERATED_FOR_CLASSIFIER, seed)
    X, y = stack_domains(generated, X_real)
    return DensityRatioEstimator(classifier).fit(X, y)


def evaluate(sample, held_out, sample_weight=None):
    """FD, squared MMD and mean distance of (weighted) samples to held-out rows."""
    if sample_weight is None:
        mean = sample.mean(axis=0)
    else:
        mean = importance_weighted_mean(sample, sample_weight).mean
    return {
        "fd": frechet_distance(sample, held_out, sample_weight=sample_weight),
        "mmd2": squared_mmd(sample, held_out, sample_weight=sample_weight),
        "mean_distance": float(np.linalg.norm(mean - held_out.mean(axis=0))),
    }


def run(generator, ratio, X_classifier_real, held_out, ks, seeds):
    n_eval = len(held_out)
    records = {}

    def add(method, scores):
        records.setdefault(method, []).append(scores)

    for seed in seeds:
        raw = raw_samples(generator, n_eval, 1000 + seed)
        add("raw samples", evaluate(raw, held_out))
        weights = ratio.predict_weight(raw)
        weighted = evaluate(raw, held_out, sample_weight=weights)
        weighted["ess"] = effective_sample_size(weights)
        add("raw samples, importance-weighted", weighted)
        for k in ks:
            corrected = SIRResampler(ratio, k=k, random_state=seed).sample(
                generator, n_eval
            )
            add(f"SIR k={k}", evaluate(corrected, held_out))
    add("real rows (floor)", evaluate(X_classifier_real[:n_eval], held_out))
    return {
        method: {
            key: (
                float(np.mean([scores[key] for scores in runs])),
                float(np.std([scores[key] for scores in runs]) / np.sqrt(len(runs))),
            )
            for key in runs[0]
        }
        for method, runs in records.items()
    }


def markdown_table(summary):
    lines = [
        "| method | Frechet distance | squared MMD (x1e3) | mean distance | ESS |",
        "|---|---:|---:|---:|---:|",
    ]
    for method, scores in summary.items():
        fd, mmd2, mean = scores["fd"], scores["mmd2"], scores["mean_distance"]
        ess = f"{scores['ess'][0]:.0f}" if "ess" in scores else ""
        lines.append(
            f"| {method} | {fd[0]:.2f} ± {fd[1]:.2f} "
            f"| {1e3 * mmd2[0]:.2f} ± {1e3 * mmd2[1]:.2f} "
            f"| {mean[0]:.3f} ± {mean[1]:.3f} | {ess} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, k in {1, 10}")
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    n_seeds = 2 if args.quick else args.seeds
    ks = [1, 10] if args.quick else [1, 2, 5, 10, 20, 50]
    start = time.perf_counter()

    X = load_digits().data
    order = np.random.default_rng(0).permutation(len(X))
    train, classifier_real, evaluation = order[:600], order[600:1200], order[1200:]
    X = PCA(N_FEATURES, random_state=0).fit(X[train]).transform(X)
    X_generator, X_classifier_real, held_out = (
        X[train],
        X[classifier_real],
        X[evaluation],
    )
    results = {}
    sections = []
    for generator_name, generator in fit_generators(X_generator, seed=0).items():
        for classifier_name, classifier in CLASSIFIERS.items():
            ratio = fit_ratio(generator, classifier, X_classifier_real, seed=1)
            summary = run(
                generator, ratio, X_classifier_real, held_out, ks, range(n_seeds)
            )
            title = f"{generator_name}, {classifier_name}"
            results[title] = summary
            table = markdown_table(summary)
            sections.append(f"## {title}\n\n{table}\n")
            print(f"\n{title}\n{table}", flush=True)

    elapsed = time.perf_counter() - start
    name = "sir_quality_quick" if args.quick else "sir_quality"
    RESULTS.mkdir(exist_ok=True)
    meta = {
        "seeds": n_seeds,
        "values": "[mean, standard error over seeds]",
        "ks": ks,
        "n_eval": len(held_out),
        "space": f"PCA({N_FEATURES}) of the generator training set",
        "seconds": elapsed,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
    (RESULTS / f"{name}.json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=2) + "\n"
    )
    (RESULTS / f"{name}.md").write_text(
        "# SIR and importance-weighted evaluation on digits\n\n"
        f"Held-out real digits: {len(held_out)} rows; every sample has that size. "
        f"Generators, classifiers and distances in the PCA({N_FEATURES}) space of "
        "the generator training set; "
        f"mean ± standard error over {n_seeds} seeds. Lower is better; the last "
        "row is the floor (real against real). The importance-weighted rows "
        "evaluate the raw samples with the classifier's weights instead of "
        "resampling them.\n\n"
        + "\n".join(sections)
        + f"\nRun time {elapsed:.0f} s on {os.cpu_count()} shared CPUs.\n"
    )


if __name__ == "__main__":
    main()
