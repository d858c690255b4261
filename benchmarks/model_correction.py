"""Correcting a learned generative model on real data (LFIW) with CorrectedGenerator.

Datasets: scikit-learn's digits, dequantized (each pixel level plus uniform
noise within the level: real pixels take 17 values, and a continuous model's
samples are told apart by that alone) and logit-transformed (see ``load``),
and mnist1d (built offline by the
``mnist1d`` package's ``make_dataset`` with its default arguments). Each seed
splits the rows into a fitting set and a held-out test set that nothing is
fitted on; all models work on the rows standardised by the fitting set.

Generators: GaussianMixture(10), KernelDensity (Scott's bandwidth), VAE, Flow
(MAF) and GAN of ``skratio.deep``, small and briefly trained (a 2-core
machine). Each is wrapped in ``CorrectedGenerator`` (its default ratio,
unless ``--ratio`` says otherwise, and its default MMD criterion computed in
the feature space below), which fits it on the fitting set less its own
held-out quarter.

Figures against the test set, each sample as large as the test set:

- Frechet distance (FD) in the hidden layer of an MLP digit (or mnist1d)
  classifier fitted on the fitting set's labels (FID-style);
- squared MMD, the mean over the four Gaussian kernels of
  ``CorrectedGenerator``'s criterion (widths from the test rows);
- classifier two-sample AUC (gradient boosting, held-out half) with DeLong's
  interval;

for the raw model, the corrected generator, the importance-weighted
evaluation of the raw samples (weights of the corrected generator's ratio,
power 1) and real rows of the fitting set (the floor). Means ± standard
errors over seeds.

Part ``ratio`` chooses the default model-against-data ratio: GaussianMixture
and VAE on both datasets, each ratio in turn (logistic regression, gradient
boosting, 30 nearest neighbours).

    python benchmarks/model_correction.py --part ratio --seeds 2
    python benchmarks/model_correction.py --part main --seeds 5
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KernelDensity, KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skratio import CorrectedGenerator, DensityRatioEstimator
from skratio._corrected import mmd_gammas, multiscale_mmd
from skratio._generators import draw_rows
from skratio.deep import GAN, VAE, Flow
from skratio.metrics import (
    classifier_two_sample_test,
    effective_sample_size,
    frechet_distance,
)

RESULTS = Path(__file__).resolve().parent / "results"
N_TEST = {"digits": 600, "mnist1d": 600}
N_FIT = {"digits": 1197, "mnist1d": 1200}
LOGIT_ALPHA = 0.05


def load(name, seed):
    """Rows and labels; digits dequantized with noise seeded by ``seed``.

    Dequantized pixels fill the box ``[0, 17)``, and an unbounded model's
    samples fall outside it in some pixel (the corners are always 0), which a
    classifier sees at once: the pixels are mapped to the whole line by
    ``logit(a + (1 - 2a) x / 17)``, ``a = 0.05``, the usual preprocessing of
    density models of images.
    """
    if name == "digits":
        data = load_digits()
        noise = np.random.default_rng(seed).uniform(size=data.data.shape)
        unit = LOGIT_ALPHA + (1 - 2 * LOGIT_ALPHA) * (data.data + noise) / 17.0
        return np.log(unit / (1 - unit)), data.target
    from mnist1d.data import get_dataset_args, make_dataset

    data = make_dataset(get_dataset_args())
    return np.vstack([data["x"], data["x_test"]]), np.concatenate(
        [data["y"], data["y_test"]]
    )


def generators(seed, quick):
    epochs = 10 if quick else 20
    deep = {"hidden_layer_sizes": (64, 64), "random_state": seed}
    return {
        "GaussianMixture": GaussianMixture(
            10, reg_covar=1e-3, max_iter=200, random_state=seed
        ),
        "KernelDensity": KernelDensity(bandwidth="scott"),
        "VAE": VAE(latent_dim=8, max_epochs=epochs, **deep),
        "Flow": Flow("maf", n_transforms=3, max_epochs=epochs, **deep),
        "GAN": GAN(latent_dim=8, max_epochs=3 * epochs, **deep),
    }


RATIOS = {
    "logistic": lambda seed: DensityRatioEstimator(),
    "boosting": lambda seed: DensityRatioEstimator(
        HistGradientBoostingClassifier(random_state=seed)
    ),
    "knn30": lambda seed: DensityRatioEstimator(KNeighborsClassifier(30)),
}


def hidden_layer(Z, y, seed):
    """The hidden layer of an MLP classifier of the labels, as a feature map."""
    mlp = MLPClassifier((64,), max_iter=100, random_state=seed).fit(Z, y)
    weights, bias = mlp.coefs_[0], mlp.intercepts_[0]
    return lambda X: np.maximum(np.asarray(X) @ weights + bias, 0.0)


def mean_se(values):
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size))


def evaluate(samples, Z_test, features, gammas, seed, sample_weight=None):
    out = {
        "frechet": frechet_distance(
            samples, Z_test, sample_weight=sample_weight, feature_map=features
        ),
        "mmd": multiscale_mmd(samples, Z_test, gammas, sample_weight=sample_weight),
    }
    if sample_weight is None:
        out["auc"] = classifier_two_sample_test(
            Z_test,
            samples,
            classifier=HistGradientBoostingClassifier(max_iter=30, random_state=seed),
            random_state=seed,
        ).auc
    return out


def run_cell(dataset, seed, quick, generator_names, ratio_name):
    X, y = load(dataset, seed)
    order = np.random.default_rng(seed).permutation(X.shape[0])
    n_test = N_TEST[dataset]
    test, fit = order[:n_test], order[n_test : n_test + N_FIT[dataset]]
    scaler = StandardScaler().fit(X[fit])
    Z_fit, Z_test = scaler.transform(X[fit]), scaler.transform(X[test])
    features = hidden_layer(Z_fit, y[fit], seed)
    gammas = mmd_gammas(Z_test)
    floor = evaluate(Z_fit[:n_test], Z_test, features, gammas, seed)
    rows = []
    for name, generator in generators(seed, quick).items():
        if name not in generator_names:
            continue
        start = time.perf_counter()
        ratio = None if ratio_name == "default" else RATIOS[ratio_name](seed)
        # The criterion in the classifier's feature space (FID-style), the
        # recipe of the user guide.
        corrected = CorrectedGenerator(
            generator,
            ratio,
            feature_map=features,
            n_repeats=5,
            random_state=seed,
        ).fit(Z_fit)
        raw = draw_rows(corrected.generator_, n_test, seed + 1000)
        log_weight = corrected.ratio_estimator_.predict_log_weight(raw)
        # Relative to the largest: the distances do not depend on the scale,
        # and exp of a nearest-neighbour log-odds can overflow.
        weight = np.exp(log_weight - log_weight.max())
        sir = corrected.sample(n_test, random_state=seed + 2000)
        row = {
            "dataset": dataset,
            "seed": seed,
            "generator": name,
            "ratio": ratio_name,
            "k": corrected.k_,
            "power": corrected.power_,
            "ess_fraction": corrected.ess_fraction_,
            "overlap_auc": corrected.overlap_auc_[0],
            "raw": evaluate(raw, Z_test, features, gammas, seed),
            "corrected": evaluate(sir, Z_test, features, gammas, seed),
            # None when one sample carries all the weight (the weights of the
            # others underflow): no weighted distance exists.
            "weighted": (
                evaluate(raw, Z_test, features, gammas, seed, weight)
                if effective_sample_size(weight) > 1.001
                else None
            ),
            "floor": floor,
            "seconds": time.perf_counter() - start,
        }
        rows.append(row)
        print(
            f"  {dataset} seed {seed} {name:15s} ratio {ratio_name}: k={row['k']} "
            f"power={row['power']} FD {row['raw']['frechet']:.3f} -> "
            f"{row['corrected']['frechet']:.3f} (floor {floor['frechet']:.3f}) "
            f"MMD {row['raw']['mmd']:.4f} -> {row['corrected']['mmd']:.4f} "
            f"({row['seconds']:.0f} s)",
            flush=True,
        )
    return rows


def _cells(rows, keys):
    groups = {}
    for row in rows:
        groups.setdefault(tuple(row[key] for key in keys), []).append(row)
    return groups


def _fmt(values, digits):
    mean, se = mean_se(values)
    return f"{mean:.{digits}f} ± {se:.{digits}f}"


def ratio_report(rows):
    lines = [
        "# Default ratio for CorrectedGenerator",
        "",
        (
            "Relative change of the held-out distance, corrected against raw "
            "(negative is better), mean ± s.e. over seeds; k chosen per seed."
        ),
        "",
        (
            "| dataset | generator | ratio | FD raw | FD change | MMD change | "
            "chosen k |"
        ),
        "|---|---|---|---:|---:|---:|---|",
    ]
    summary = {}
    for (dataset, name, ratio), cell in _cells(
        rows, ("dataset", "generator", "ratio")
    ).items():
        fd = [r["corrected"]["frechet"] / r["raw"]["frechet"] - 1 for r in cell]
        mmd = [
            (r["corrected"]["mmd"] - r["raw"]["mmd"]) / abs(r["raw"]["mmd"])
            for r in cell
        ]
        summary.setdefault(ratio, []).extend(fd + mmd)
        lines.append(
            f"| {dataset} | {name} | {ratio} | "
            f"{_fmt([r['raw']['frechet'] for r in cell], 3)} | {_fmt(fd, 3)} | "
            f"{_fmt(mmd, 3)} | {', '.join(str(r['k']) for r in cell)} |"
        )
    best = min(summary, key=lambda ratio: np.mean(summary[ratio]))
    lines += [
        "",
        "Mean relative change over all cells and both distances: "
        + ", ".join(f"{r} {np.mean(v):+.3f}" for r, v in summary.items())
        + f". Best: **{best}**.",
    ]
    return lines


def main_report(rows):
    lines = [
        "# Correcting a learned generative model (CorrectedGenerator, LFIW)",
        "",
        (
            "Held-out test rows (600 per dataset); every sample as large. "
            "FD: Frechet distance in an MLP classifier's hidden layer; MMD: squared "
            "MMD averaged over 4 Gaussian kernels (x1e3); AUC: classifier "
            "two-sample test. *raw*: the model's samples; *corrected*: "
            "`CorrectedGenerator.sample`; *IW*: the raw samples with importance "
            "weights; *floor*: real rows of the fitting set. Mean ± s.e. over "
            "seeds. Lower is better."
        ),
        "",
        (
            "| dataset | generator | FD raw | FD corrected | FD IW | FD floor | "
            "MMD raw | MMD corrected | MMD IW | MMD floor | AUC raw | "
            "AUC corrected | AUC floor | k chosen | s/fit |"
        ),
        "|---|---|" + "---:|" * 13,
    ]
    targets = []
    for (dataset, name), cell in _cells(rows, ("dataset", "generator")).items():

        def col(part, metric, scale=1.0, cell=cell):
            return [r[part][metric] * scale for r in cell if r[part] is not None]

        lines.append(
            f"| {dataset} | {name} | "
            + " | ".join(
                _fmt(col(p, "frechet"), 3)
                for p in ("raw", "corrected", "weighted", "floor")
            )
            + " | "
            + " | ".join(
                _fmt(col(p, "mmd", 1e3), 2)
                for p in ("raw", "corrected", "weighted", "floor")
            )
            + " | "
            + " | ".join(_fmt(col(p, "auc"), 3) for p in ("raw", "corrected", "floor"))
            + f" | {', '.join(str(r['k']) for r in cell)} | "
            f"{np.mean([r['seconds'] for r in cell]):.0f} |"
        )
        for metric, scale in (("frechet", 1.0), ("mmd", 1e3)):
            raw, cor = col("raw", metric, scale), col("corrected", metric, scale)
            weighted = col("weighted", metric, scale)
            floor = col("floor", metric, scale)
            # Paired by seed: the same fitted model and test rows.
            diff_mean, diff_se = mean_se(np.subtract(cor, raw))
            far = np.mean(raw) > 2 * np.mean(floor)
            targets.append(
                {
                    "dataset": dataset,
                    "generator": name,
                    "metric": metric,
                    "raw": float(np.mean(raw)),
                    "corrected": float(np.mean(cor)),
                    "floor": float(np.mean(floor)),
                    "difference": diff_mean,
                    "difference_se": diff_se,
                    "not_worse": bool(diff_mean <= diff_se),
                    "far_from_floor": bool(far),
                    "better_when_far": (bool(diff_mean < -diff_se) if far else None),
                    "weighted_closer": bool(
                        abs(np.mean(weighted) - np.mean(floor))
                        < abs(np.mean(raw) - np.mean(floor))
                    ),
                }
            )
    lines += [
        "",
        "## Targets, per cell and distance",
        "",
        (
            "Difference corrected - raw, paired by seed, mean ± s.e. *not worse*: "
            "difference <= 1 s.e.; *far*: raw more than twice the floor; *better "
            "when far*: difference < -1 s.e. in a far cell; *IW closer*: the "
            "importance-weighted distance is closer to the floor than the raw one."
        ),
        "",
        (
            "| dataset | generator | distance | raw | corrected | floor | "
            "difference | not worse | far | better when far | IW closer |"
        ),
        "|---|---|---|---:|---:|---:|---:|---|---|---|---|",
    ]
    for t in targets:
        lines.append(
            f"| {t['dataset']} | {t['generator']} | {t['metric']} | "
            f"{t['raw']:.3f} | {t['corrected']:.3f} | {t['floor']:.3f} | "
            f"{t['difference']:+.3f} ± {t['difference_se']:.3f} | "
            f"{'yes' if t['not_worse'] else 'NO'} | "
            f"{'yes' if t['far_from_floor'] else 'no'} | "
            + (
                "-"
                if t["better_when_far"] is None
                else "yes"
                if t["better_when_far"]
                else "NO"
            )
            + f" | {'yes' if t['weighted_closer'] else 'no'} |"
        )
    n = len(targets)
    far = [t for t in targets if t["far_from_floor"]]
    lines += [
        "",
        (
            "Not worse than raw by more than 1 s.e.: "
            f"{sum(t['not_worse'] for t in targets)} of {n}. Better by more than "
            "1 s.e. where raw is over twice the floor: "
            f"{sum(bool(t['better_when_far']) for t in far)} of {len(far)}. "
            f"Importance-weighted closer to the floor than unweighted: "
            f"{sum(t['weighted_closer'] for t in targets)} of {n}."
        ),
    ]
    return lines, targets


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("ratio", "main"), default="main")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="run seeds first-seed, ..., seeds - 1 (to split a run)",
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--ratio", default="default", choices=("default", *RATIOS))
    parser.add_argument("--datasets", nargs="+", default=["digits", "mnist1d"])
    parser.add_argument(
        "--ratios",
        nargs="+",
        default=list(RATIOS),
        help="ratios compared by --part ratio",
    )
    parser.add_argument(
        "--report",
        action="store_true",
        help="only rewrite the report from the saved rows",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    stem = "model_correction" + ("_ratio" if args.part == "ratio" else "")
    if args.quick:
        stem += "_quick"
    RESULTS.mkdir(exist_ok=True)
    # One file of rows per dataset, so that the datasets can run side by side.
    suffix = f"_from{args.first_seed}" if args.first_seed else ""
    parts = {d: RESULTS / f"{stem}_{d}{suffix}.json" for d in ("digits", "mnist1d")}
    saved = RESULTS / f"{stem}.json"
    start = time.perf_counter()
    if not args.report:
        rows = []
        names = (
            ("GaussianMixture", "VAE")
            if args.part == "ratio"
            else ("GaussianMixture", "KernelDensity", "VAE", "Flow", "GAN")
        )
        ratios = args.ratios if args.part == "ratio" else [args.ratio]
        for dataset in args.datasets:
            for seed in range(args.first_seed, args.seeds):
                for ratio in ratios:
                    rows += run_cell(dataset, seed, args.quick, names, ratio)
                    # Saved as they come, so that a run cut short keeps them.
                    seconds = time.perf_counter() - start
                    parts[dataset].write_text(
                        json.dumps(
                            {
                                "rows": [r for r in rows if r["dataset"] == dataset],
                                "seconds": seconds,
                            },
                            indent=1,
                        )
                    )
    # The report covers every saved part, also those of runs beside this one.
    rows, seconds = [], 0.0
    for path in sorted(RESULTS.glob(f"{stem}_*.json")):
        if path.stem.split(f"{stem}_")[1].split("_from")[0] in parts:
            previous = json.loads(path.read_text())
            rows += previous["rows"]
            seconds += previous["seconds"]
    # Parts that overlap (a split run) keep one row per cell and seed.
    unique = {(r["dataset"], r["generator"], r["ratio"], r["seed"]): r for r in rows}
    rows = list(unique.values())
    if args.part == "ratio":
        lines, extra = ratio_report(rows), {}
    else:
        lines, targets = main_report(rows)
        extra = {"targets": targets}
    lines += [
        "",
        f"Run time {seconds / 60:.1f} min (the datasets' runs added) on "
        f"{os.cpu_count()} CPU cores "
        f"(shared), torch {torch.__version__}, scikit-learn {sklearn.__version__}, "
        f"{platform.platform()}. Command: `python benchmarks/model_correction.py "
        f"--part {args.part} --seeds {args.seeds}"
        + (" --quick" if args.quick else "")
        + (f" --ratio {args.ratio}" if args.ratio != "default" else "")
        + "`.",
    ]
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n")
    saved.write_text(json.dumps({"rows": rows, "seconds": seconds, **extra}, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
