"""Data augmentation with importance-weighted generated rows (LFIW, section 5).

Digits, dequantized and logit-transformed as in ``model_correction.py``, then
standardised by the labelled rows. Each seed draws ``n`` labelled real rows
per class (``n`` in 10, 20, 50); every other row is the held-out test set. A
class-conditional generator (one KernelDensity per class, fitted on that
class's labelled rows) draws ``--ratio-generated`` times as many rows per
class, labelled by their class. A ratio, real labelled rows against all the
generated rows (the default ratio of ``CorrectedGenerator``), gives each
generated row its out-of-fold importance weight ``w = p_data / p_model``
(``fit_predict_weight``, cross-fitted: the rows it weighs are ones it
trained on).

A logistic regression is trained on

- the real rows only;
- real and generated rows, unweighted;
- real rows (weight 1) and generated rows weighted by ``w`` (self-normalised
  to mean 1 over the generated rows, so that both augmentations add the same
  total weight);

and scored by held-out accuracy. Mean ± s.e. over seeds, and the paired
difference of the weighted augmentation against the unweighted one.

    python benchmarks/augmentation.py --seeds 10
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import sklearn
from model_correction import load
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KernelDensity
from sklearn.preprocessing import StandardScaler

from skratio import stack_domains
from skratio._corrected import default_model_ratio
from skratio.metrics import effective_sample_size

RESULTS = Path(__file__).resolve().parent / "results"
METHODS = ("real only", "augmented, unweighted", "augmented, importance-weighted")


def run(n_per_class, seed, bandwidth, ratio_generated):
    X, y = load("digits", seed)
    rng = np.random.default_rng(seed)
    labelled = np.concatenate(
        [
            rng.choice(np.flatnonzero(y == c), n_per_class, replace=False)
            for c in range(10)
        ]
    )
    test = np.setdiff1d(np.arange(X.shape[0]), labelled)
    scaler = StandardScaler().fit(X[labelled])
    Z, Z_test = scaler.transform(X[labelled]), scaler.transform(X[test])
    y_real = y[labelled]
    n_generated = ratio_generated * n_per_class
    generated = np.vstack(
        [
            KernelDensity(bandwidth=bandwidth)
            .fit(Z[y_real == c])
            .sample(n_generated, random_state=seed * 10 + c)
            for c in range(10)
        ]
    )
    y_generated = np.repeat(np.arange(10), n_generated)
    X_domains, domains = stack_domains(generated, Z)
    weight = default_model_ratio(seed).fit_predict_weight(X_domains, domains)
    weight = weight[domains == 0]
    weight = weight / weight.mean()
    X_aug, y_aug = np.vstack([Z, generated]), np.concatenate([y_real, y_generated])
    fits = {
        METHODS[0]: (Z, y_real, None),
        METHODS[1]: (X_aug, y_aug, None),
        METHODS[2]: (X_aug, y_aug, np.concatenate([np.ones(len(y_real)), weight])),
    }
    accuracy = {}
    for method, (X_fit, y_fit, sample_weight) in fits.items():
        model = LogisticRegression(max_iter=2000).fit(
            X_fit, y_fit, sample_weight=sample_weight
        )
        accuracy[method] = float(model.score(Z_test, y[test]))
    return {
        "n_per_class": n_per_class,
        "seed": seed,
        "accuracy": accuracy,
        "ess_fraction": effective_sample_size(weight) / weight.size,
    }


def mean_se(values):
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size))


def report(rows, args, seconds):
    lines = [
        "# Data augmentation with importance-weighted generated rows (digits)",
        "",
        (
            f"Held-out accuracy of a logistic regression, mean ± s.e. over "
            f"{args.seeds} seeds. Generator: one KernelDensity (bandwidth "
            f"{args.bandwidth}, standardised logit pixels) per class, "
            f"{args.ratio_generated} generated rows per labelled row; weights: "
            "out-of-fold `fit_predict_weight` of `CorrectedGenerator`'s default "
            "ratio, real labelled rows against the generated ones."
        ),
        "",
        (
            "| labelled rows per class | "
            + " | ".join(METHODS)
            + " | weighted - unweighted | ESS of the weights |"
        ),
        "|---:|" + "---:|" * (len(METHODS) + 2),
    ]
    verdicts = []
    for n in sorted({r["n_per_class"] for r in rows}):
        cell = [r for r in rows if r["n_per_class"] == n]
        cols = [mean_se([r["accuracy"][m] for r in cell]) for m in METHODS]
        diff = mean_se(
            [r["accuracy"][METHODS[2]] - r["accuracy"][METHODS[1]] for r in cell]
        )
        ess = np.mean([r["ess_fraction"] for r in cell])
        lines.append(
            f"| {n} | "
            + " | ".join(f"{m:.4f} ± {s:.4f}" for m, s in cols)
            + f" | {diff[0]:+.4f} ± {diff[1]:.4f} | {ess:.2f} |"
        )
        if diff[0] > 2 * diff[1]:
            verdicts.append(f"{n} per class: weighting helps ({diff[0]:+.4f})")
        elif diff[0] < -2 * diff[1]:
            verdicts.append(f"{n} per class: weighting hurts ({diff[0]:+.4f})")
        else:
            verdicts.append(
                f"{n} per class: no difference beyond 2 s.e. ({diff[0]:+.4f} ± "
                f"{diff[1]:.4f})"
            )
    lines += [
        "",
        "Importance-weighted against unweighted augmentation: "
        + "; ".join(verdicts)
        + ".",
        "",
        (
            f"Run time {seconds / 60:.1f} min on {os.cpu_count()} CPU cores (shared), "
            f"scikit-learn {sklearn.__version__}, {platform.platform()}. Command: "
            f"`python benchmarks/augmentation.py --seeds {args.seeds} --bandwidth "
            f"{args.bandwidth} --stem {args.stem}`."
        ),
    ]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 20, 50])
    parser.add_argument("--bandwidth", type=float, default=0.5)
    parser.add_argument("--ratio-generated", type=int, default=5)
    parser.add_argument(
        "--stem", default="augmentation", help="name of the result files"
    )
    args = parser.parse_args()
    start = time.perf_counter()
    rows = []
    for n in args.sizes:
        for seed in range(args.seeds):
            rows.append(run(n, seed, args.bandwidth, args.ratio_generated))
            print(f"  {n} per class, seed {seed}: {rows[-1]['accuracy']}", flush=True)
    seconds = time.perf_counter() - start
    lines = report(rows, args, seconds)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.stem}.md").write_text("\n".join(lines) + "\n")
    (RESULTS / f"{args.stem}.json").write_text(
        json.dumps({"rows": rows, "seconds": seconds, "args": vars(args)}, indent=1)
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
