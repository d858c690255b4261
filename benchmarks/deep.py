"""Deep models of skratio.deep: weighted-training overhead, fair generation, ratios.

Three parts, each against a baseline measured in the same run:

Weighted-training overhead
    Seconds per epoch of ``fit(X, sample_weight=w)`` against ``fit(X)`` for
    each generator (Flow with MAF, RealNVP and NSF transforms, VAE, GAN) on
    ``--overhead-rows`` rows of 16 features, interleaved repeats, medians of
    skorch's per-epoch durations (``net_.history_[:, "dur"]``); the target is
    a ratio <= 1.1. Also rows per second of weighted training, and the device.
Fair generation (Choi et al. 2020) on digits
    The comparison of ``benchmarks/fair_generation.py`` (same splits, held-out
    set, attribute classifier, ratio estimator and metrics) with deep
    generators instead of the kernel density: ``Flow`` and ``VAE`` trained in
    the 16-dimensional principal subspace of the weighted training rows
    (``PCAGenerator`` below), samples mapped back to pixels. Strategies
    importance, uniform and reference of ``WeightedGenerativeTrainer``;
    fairness discrepancy and Frechet distance to the held-out set; bias 0.9,
    reference sizes ``--percs``, ``--seeds`` seeds.
Domain classifiers on a non-linear shift
    ``make_gaussian_shift`` in 5 dimensions with a target scale of 1.5 (a
    quadratic log-ratio): ``DensityRatioEstimator`` with ``MLPDomainClassifier``,
    ``LogisticRegression`` and ``HistGradientBoostingClassifier``; RMSE of the
    log-ratio on fresh source rows against the analytic truth, held-out NCE
    (``score``) against the NCE of the true ratio, fit seconds.
Model correction (likelihood-free importance weighting)
    A VAE on the digits' principal subspace, its samples corrected by
    ``SIRResampler`` with a ``DensityRatioEstimator(MLPDomainClassifier)``
    ratio: Frechet distance to held-out digits of raw and corrected samples.

Usage::

    python benchmarks/deep.py [--quick] [--device {auto,cpu,cuda}]

The full run writes ``benchmarks/results/deep.{md,json}``; ``--quick`` writes
``deep_quick.*``.
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
from sklearn.base import BaseEstimator, clone
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import skratio
from skratio import (
    DensityRatioEstimator,
    SIRResampler,
    WeightedGenerativeTrainer,
    stack_domains,
)
from skratio.datasets import make_biased_split, make_gaussian_shift
from skratio.deep import GAN, VAE, Flow, MLPDomainClassifier, RealNVP
from skratio.deep._base import resolve_device
from skratio.metrics import (
    effective_sample_size,
    fairness_discrepancy,
    frechet_distance,
    negative_cross_entropy,
)

RESULTS = Path(__file__).resolve().parent / "results"
STRATEGIES = ("importance", "uniform", "reference")
N_COMPONENTS = 16
N_BIASED = 500
N_HELD_OUT = 300
N_SAMPLES = 1000
BIAS = 0.9


class PCAGenerator(BaseEstimator):
    """A generator trained in the principal subspace of the weighted rows.

    ``fit`` takes ``sample_weight`` for the principal axes (weighted mean and
    covariance) and for the generator; ``sample`` maps the drawn points back.
    """

    def __init__(self, generator, n_components=N_COMPONENTS):
        self.generator = generator
        self.n_components = n_components

    def fit(self, X, y=None, sample_weight=None):
        X = np.asarray(X, dtype=np.float64)
        weights = np.ones(X.shape[0]) if sample_weight is None else sample_weight
        self.mean_ = np.average(X, axis=0, weights=weights)
        scaled = (X - self.mean_) * np.sqrt(weights / np.sum(weights))[:, None]
        self.components_ = np.linalg.svd(scaled, full_matrices=False)[2][
            : self.n_components
        ]
        self.generator_ = clone(self.generator).fit(
            (X - self.mean_) @ self.components_.T, sample_weight=sample_weight
        )
        return self

    def sample(self, n_samples=1, random_state=None):
        drawn = self.generator_.sample(n_samples, random_state=random_state)
        return drawn @ self.components_ + self.mean_


def deep_generators(device, quick):
    epochs = 10 if quick else 30
    common = dict(hidden_layer_sizes=(64, 64), lr=1e-3, device=device)
    return {
        "Flow (MAF)": Flow("maf", n_transforms=3, max_epochs=epochs, **common),
        "VAE": VAE(latent_dim=4, max_epochs=epochs, **common),
    }


def mean_se(values):
    values = np.asarray(values, dtype=np.float64)
    se = values.std(ddof=1) / np.sqrt(values.size) if values.size > 1 else float("nan")
    return float(values.mean()), float(se)


# ----------------------------------------------------------------- overhead
def time_overhead(device, rows, repeats, epochs):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((rows, 16)) @ rng.standard_normal((16, 16)) / 4
    weights = rng.exponential(size=rows)
    common = dict(hidden_layer_sizes=(64, 64), max_epochs=epochs, device=device)
    models = {
        "Flow (MAF)": Flow("maf", **common),
        "RealNVP": RealNVP(**common),
        "Flow (NSF)": Flow("nsf", **common),
        "VAE": VAE(latent_dim=4, **common),
        "GAN": GAN(latent_dim=4, **common),
    }
    out = []
    for name, model in models.items():
        per_epoch = {True: [], False: []}
        cpu_per_epoch = {True: [], False: []}
        # A discarded warm-up fit of each kind (one-off allocations, lazy imports).
        for warm_up in (None, weights):
            clone(model).fit(X, sample_weight=warm_up)
        for repeat in range(repeats):
            # Alternate which fit goes first so that neither gains from warm caches.
            for weighted in (repeat % 2 == 0, repeat % 2 == 1):
                cpu_start = time.process_time()
                fitted = (
                    clone(model)
                    .set_params(random_state=repeat)
                    .fit(X, sample_weight=weights if weighted else None)
                )
                cpu_seconds = time.process_time() - cpu_start
                cpu_per_epoch[weighted].append(cpu_seconds / epochs)
                # Skip the first epoch (one-off allocations).
                per_epoch[weighted].extend(fitted.net_.history_[1:, "dur"])
        w, u = np.median(per_epoch[True]), np.median(per_epoch[False])
        w_cpu, u_cpu = np.median(cpu_per_epoch[True]), np.median(cpu_per_epoch[False])
        out.append(
            {
                "model": name,
                "weighted_epoch_s": float(w),
                "unweighted_epoch_s": float(u),
                "overhead_ratio": float(w / u),
                "weighted_epoch_cpu_s": float(w_cpu),
                "unweighted_epoch_cpu_s": float(u_cpu),
                "cpu_overhead_ratio": float(w_cpu / u_cpu),
                "weighted_rows_per_s": float(rows / w),
            }
        )
        print(
            f"  overhead {name}: {w / u:.3f}x wall, {w_cpu / u_cpu:.3f}x CPU, "
            f"{rows / w:,.0f} rows/s",
            flush=True,
        )
    return out


# ---------------------------------------------------------- fair generation
def held_out_split(groups, seed):
    rng = np.random.default_rng(seed)
    per_group = N_HELD_OUT // 2
    held = np.concatenate(
        [
            rng.choice(np.flatnonzero(groups == g), per_group, replace=False)
            for g in (0, 1)
        ]
    )
    return held, np.setdiff1d(np.arange(groups.shape[0]), held)


def fair_generation(device, seeds, percs, quick):
    digits = load_digits()
    X, attribute = digits.data, (digits.target >= 5).astype(int)
    attribute_clf = make_pipeline(
        StandardScaler(), LogisticRegression(C=0.1, max_iter=2000)
    ).fit(X, attribute)
    # Raw odds, clipped: the trainer's default ratio is uncalibrated too (a
    # calibration shrinks the gap between the groups the weights close).
    ratio = DensityRatioEstimator(KNeighborsClassifier(10), calibration=None, clip=20.0)
    records = []
    for gen_name, generator in deep_generators(device, quick).items():
        for perc in percs:
            for seed in range(seeds):
                held, pool = held_out_split(attribute, seed)
                proba_held = attribute_clf.predict_proba(X[held])
                Xs, y, _ = make_biased_split(
                    X[pool],
                    attribute[pool],
                    bias=BIAS,
                    reference_size=perc,
                    n_biased=N_BIASED,
                    random_state=seed,
                )
                for strategy in STRATEGIES:
                    start = time.perf_counter()
                    trainer = WeightedGenerativeTrainer(
                        PCAGenerator(clone(generator).set_params(random_state=seed)),
                        ratio,
                        strategy=strategy,
                        random_state=seed,
                    ).fit(Xs, y)
                    samples = trainer.sample(N_SAMPLES, random_state=seed)
                    records.append(
                        {
                            "generator": gen_name,
                            "perc": perc,
                            "seed": seed,
                            "strategy": strategy,
                            "discrepancy": fairness_discrepancy(
                                proba_held, attribute_clf.predict_proba(samples)
                            ),
                            "frechet": frechet_distance(samples, X[held]),
                            "fit_seconds": time.perf_counter() - start,
                        }
                    )
            print(f"  fair generation: {gen_name}, perc {perc} done", flush=True)
    summary = []
    for gen_name in deep_generators(device, quick):
        for perc in percs:
            for strategy in STRATEGIES:
                key = (gen_name, perc, strategy)
                rows = [
                    r
                    for r in records
                    if (r["generator"], r["perc"], r["strategy"]) == key
                ]
                entry = {
                    "generator": gen_name,
                    "perc": perc,
                    "strategy": strategy,
                    "seeds": len(rows),
                }
                for metric in ("discrepancy", "frechet", "fit_seconds"):
                    values = [r[metric] for r in rows]
                    entry[metric], entry[metric + "_se"] = mean_se(values)
                summary.append(entry)
    return records, summary


# ------------------------------------------------------------- classifiers
def true_log_ratio_nce(y, log_ratio, prior_ratio):
    # P(y=1 | x) of the true ratio: r / (gamma + r), computed in log space.
    logit = log_ratio - np.log(prior_ratio)
    proba = 1.0 / (1.0 + np.exp(-logit))
    return negative_cross_entropy(
        y, np.column_stack([1 - proba, proba]), prior_ratio=prior_ratio
    )


def compare_classifiers(device, quick):
    n = 2000 if quick else 5000
    X, y, _ = make_gaussian_shift(n, n, n_features=5, target_scale=1.5, random_state=0)
    X_test, y_test, log_ratio = make_gaussian_shift(
        n, n, n_features=5, target_scale=1.5, random_state=1
    )
    source = y_test == 0
    classifiers = {
        "LogisticRegression": LogisticRegression(max_iter=1000),
        "HistGradientBoostingClassifier": HistGradientBoostingClassifier(
            random_state=0
        ),
        "MLPDomainClassifier": MLPDomainClassifier(
            (64, 64),
            max_epochs=30 if quick else 60,
            lr=1e-3,
            early_stopping=True,
            device=device,
            random_state=0,
        ),
    }
    out = []
    for name, clf in classifiers.items():
        start = time.perf_counter()
        est = DensityRatioEstimator(clf).fit(X, y)
        seconds = time.perf_counter() - start
        error = est.predict_log_weight(X_test[source]) - log_ratio[source]
        rmse = np.sqrt(np.mean(error**2))
        out.append(
            {
                "classifier": name,
                "log_ratio_rmse": float(rmse),
                "held_out_nce": float(est.score(X_test, y_test)),
                "fit_seconds": seconds,
            }
        )
        print(f"  classifiers: {name} RMSE {rmse:.3f}", flush=True)
    true_nce = float(true_log_ratio_nce(y_test, log_ratio, 1.0))
    return out, true_nce, float(np.std(log_ratio[source]))


# ------------------------------------------------------------------ LFIW
def model_correction(device, seeds, quick):
    """Frechet distance of raw and SIR-corrected VAE samples, in PCA space.

    Model, ratio and metric work on the 16 principal components of the
    training digits, so that the model's samples and the real rows share a
    support (samples confined to a subspace would be told apart from real
    rows by their residual alone).
    """
    X = load_digits().data
    out = []
    for seed in range(seeds):
        order = np.random.default_rng(seed).permutation(X.shape[0])
        train, held = order[:1200], order[1200:]
        pca = PCA(N_COMPONENTS, random_state=0).fit(X[train])
        Z, Z_held = pca.transform(X[train]), pca.transform(X[held])
        floor = frechet_distance(Z[: N_SAMPLES // 2], Z_held)
        for epochs in (1, 10 if quick else 30):
            vae = VAE(latent_dim=4, max_epochs=epochs, device=device, random_state=seed)
            vae.fit(Z)
            fake = vae.sample(Z.shape[0], random_state=seed)
            raw = vae.sample(N_SAMPLES, random_state=seed + 1000)
            for power in (1.0, 0.5):
                ratio = DensityRatioEstimator(
                    MLPDomainClassifier(
                        (64, 64),
                        max_epochs=30,
                        early_stopping=True,
                        device=device,
                        random_state=seed,
                    ),
                    power=power,
                ).fit(*stack_domains(fake, Z))
                corrected = SIRResampler(ratio, k=10, random_state=seed).sample(
                    vae, N_SAMPLES
                )
                out.append(
                    {
                        "seed": seed,
                        "vae_epochs": epochs,
                        "power": power,
                        "frechet_raw": frechet_distance(raw, Z_held),
                        "frechet_sir": frechet_distance(corrected, Z_held),
                        "frechet_data_floor": floor,
                        "ess_fraction": effective_sample_size(
                            ratio.predict_weight(fake)
                        )
                        / fake.shape[0],
                    }
                )
    print("  model correction done", flush=True)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--seeds", type=int, default=None)
    args = parser.parse_args()
    device = resolve_device(args.device)
    seeds = args.seeds or (2 if args.quick else 10)
    percs = [1.0] if args.quick else [0.25, 1.0]
    name = "deep_quick" if args.quick else "deep"
    start = time.perf_counter()
    load_start = os.getloadavg()[0]

    overhead_config = {
        "rows": 2000 if args.quick else 8000,
        "repeats": 2 if args.quick else 6,
        "epochs": 3 if args.quick else 5,
    }
    overhead = time_overhead(device, **overhead_config)
    records, summary = fair_generation(device, seeds, percs, args.quick)
    classifiers, true_nce, log_ratio_sd = compare_classifiers(device, args.quick)
    correction = model_correction(device, 2 if args.quick else 5, args.quick)
    total = time.perf_counter() - start

    if device == "cuda":
        device_name = torch.cuda.get_device_name()
    else:
        device_name = platform.processor() or "CPU"
    lines = [
        "# Deep models (skratio.deep)",
        "",
        f"Produced by `python benchmarks/deep.py{' --quick' if args.quick else ''} "
        f"--device {args.device}` in {total:.0f} s on device `{device}` "
        f"({device_name}); "
        f"skratio {skratio.__version__}, torch {torch.__version__}, scikit-learn "
        f"{sklearn.__version__}, Python {platform.python_version()}, "
        f"{torch.get_num_threads()} torch thread(s), {os.cpu_count()} CPUs shared with "
        f"other processes (load average {load_start:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end).",
        "",
        "## Weighted against unweighted training (seconds per epoch, medians)",
        "",
        f"{overhead_config['rows']} rows of 16 features, {overhead_config['epochs']} "
        f"epochs per fit, {overhead_config['repeats']} interleaved repeats. Wall "
        "seconds per epoch from skorch's history (first epoch skipped); the CPU-time "
        "ratio (process time per epoch, whole fit) is less sensitive to other "
        "processes on a shared machine.",
        "",
        "| model | weighted s/epoch | unweighted s/epoch | ratio (target <= 1.1) "
        "| CPU-time ratio | weighted rows/s |",
        "|---|---|---|---|---|---|",
    ]
    for o in overhead:
        lines.append(
            f"| {o['model']} | {o['weighted_epoch_s']:.3f} | "
            f"{o['unweighted_epoch_s']:.3f} | {o['overhead_ratio']:.3f} | "
            f"{o['cpu_overhead_ratio']:.3f} | {o['weighted_rows_per_s']:,.0f} |"
        )
    lines += [
        "",
        f"## Fair generation on digits (bias {BIAS}, {seeds} seeds, mean ± s.e.)",
        "",
        f"Biased set {N_BIASED} rows, reference set perc x {N_BIASED}, held-out set "
        f"{N_HELD_OUT} balanced rows, {N_SAMPLES} samples per model; generators in the "
        f"{N_COMPONENTS}-dimensional weighted principal subspace; ratio "
        "`DensityRatioEstimator(KNeighborsClassifier(10), calibration=None, "
        "clip=20)` as in "
        "`fair_generation.py`. Lower is better for both metrics.",
        "",
        "| generator | perc | strategy | fairness discrepancy "
        "| Frechet distance (pixels) | fit s |",
        "|---|---|---|---|---|---|",
    ]
    for s in summary:
        lines.append(
            f"| {s['generator']} | {s['perc']:g} | {s['strategy']} | "
            f"{s['discrepancy']:.3f} ± {s['discrepancy_se']:.3f} | "
            f"{s['frechet']:.1f} ± {s['frechet_se']:.1f} | {s['fit_seconds']:.1f} |"
        )
    reductions = {}
    for gen in {s["generator"] for s in summary}:
        for perc in percs:
            get = {
                s["strategy"]: s["discrepancy"]
                for s in summary
                if (s["generator"], s["perc"]) == (gen, perc)
            }
            reductions[f"{gen} | perc {perc:g}"] = (
                1 - get["importance"] / get["uniform"]
            )
    lines += [
        "",
        "Reduction of the discrepancy, importance vs uniform: "
        + ", ".join(f"{k}: {v:.0%}" for k, v in sorted(reductions.items()))
        + ".",
        "",
        "## Domain classifiers on a quadratic shift (d=5, target scale 1.5)",
        "",
        f"Log-ratio RMSE on fresh source rows against the analytic truth (a constant "
        f"has RMSE {log_ratio_sd:.3f}); held-out NCE against the NCE of the true "
        "ratio, "
        f"{true_nce:.4f} (the best reachable).",
        "",
        "| classifier | log-ratio RMSE | held-out NCE | gap to true-ratio NCE "
        "| fit s |",
        "|---|---|---|---|---|",
    ]
    for c in classifiers:
        lines.append(
            f"| {c['classifier']} | {c['log_ratio_rmse']:.3f} | "
            f"{c['held_out_nce']:.4f} | "
            f"{true_nce - c['held_out_nce']:.4f} | {c['fit_seconds']:.1f} |"
        )
    lines += [
        "",
        "## Model correction: VAE samples resampled by SIR (k=10) with an MLP ratio",
        "",
        f"Frechet distance to held-out digits in the {N_COMPONENTS}-dimensional PCA "
        f"space (lower is better), mean ± s.e. over "
        f"{len({c['seed'] for c in correction})} seeds. "
        "The ratio is `DensityRatioEstimator(MLPDomainClassifier((64, 64), "
        "early_stopping=True), power=...)` fitted on as many VAE samples as training "
        "rows; ESS: effective sample size of its weights on those samples (fraction). "
        "Floor: the distance between 600 training rows and the held-out rows "
        "(sampling noise).",
        "",
        "| VAE epochs | power | raw | after SIR | ratio | SIR lower in | ESS "
        "| data floor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for epochs in sorted({c["vae_epochs"] for c in correction}):
        for power in (1.0, 0.5):
            cells = [
                c
                for c in correction
                if (c["vae_epochs"], c["power"]) == (epochs, power)
            ]
            raw = mean_se([c["frechet_raw"] for c in cells])
            sir = mean_se([c["frechet_sir"] for c in cells])
            lower = sum(c["frechet_sir"] < c["frechet_raw"] for c in cells)
            lines.append(
                f"| {epochs} | {power:g} | {raw[0]:.1f} ± {raw[1]:.1f} | "
                f"{sir[0]:.1f} ± {sir[1]:.1f} | {sir[0] / raw[0]:.2f} | "
                f"{lower} of {len(cells)} | "
                f"{np.mean([c['ess_fraction'] for c in cells]):.3f} | "
                f"{np.mean([c['frechet_data_floor'] for c in cells]):.1f} |"
            )
    lines.append("")
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.md").write_text(text)
    payload = {
        "config": {
            "quick": args.quick,
            "device": device,
            "seeds": seeds,
            "percs": percs,
            "total_seconds": total,
        },
        "overhead": overhead,
        "fair_generation_summary": summary,
        "fair_generation_reduction_vs_uniform": reductions,
        "fair_generation_records": records,
        "classifiers": classifiers,
        "true_ratio_nce": true_nce,
        "model_correction": correction,
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=1))


if __name__ == "__main__":
    # One BLAS thread and one torch thread: sized for a shared 2-core machine.
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        main()
