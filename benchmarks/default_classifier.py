"""Which default domain classifier: time, convergence and log-ratio accuracy.

The default classifier of ``DensityRatioEstimator`` meets raw features: a user
passes their table as it is. This benchmark runs one cross-fitted weighting,
``DensityRatioEstimator(classifier, cv=5).fit_predict_weight(X, y)``, the call
a user makes, on the real datasets shipped with scikit-learn at their raw scale
(breast cancer, digits, diabetes, wine), for

- ``LogisticRegression(max_iter=1000)``: the old default (the baseline);
- ``make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))``: the
  first candidate;
- ``make_pipeline(RobustScaler(), LogisticRegression(max_iter=1000))``: the
  new default (median and interquartile range: near-constant columns are
  left unscaled instead of blown up);
- the same with ``C=0.1`` (ten times the default penalty);
- ``make_pipeline(StandardScaler(), LogisticRegressionCV())``: the same with
  the regularisation chosen by an inner 5-fold search (10 values of ``C``);
- ``LogisticRegression()``: scikit-learn's own defaults (``max_iter=100``) on
  raw features, what a user gets by passing a bare classifier.

Domains with a known log-ratio
    The rows of a dataset are split into two domains by a known selection
    mechanism. With ``z`` the standardised features (mean 0, s.d. 1 over the
    dataset; constant columns stay 0), a row goes to the target (``y=1``)
    with probability ``pi(x) = sigmoid(a + b . z)``, independently, where
    ``b`` is a random direction of norm ``B`` (drawn per seed) and ``a`` an
    offset. Both domains are subsets of the same finite dataset, whose rows
    have the empirical distribution ``p(x)``, so by Bayes' rule::

        p_target(x) = p(x) pi(x) / P(T),   p_source(x) = p(x) (1 - pi(x)) / P(S),
        P(T) = mean_i pi(x_i),            P(S) = 1 - P(T),
        log w(x) = log p_target(x) - log p_source(x)
                 = a + b . z(x) + log(P(S) / P(T)).

    This truth is exact for every row (no density is estimated), and a logistic
    regression on ``x`` is well specified (``b . z`` is affine in ``x``), so the
    classifiers differ only in how well their fit reaches it: convergence,
    regularisation on a raw or a standardised scale.
Figures (mean +- standard error over seeds)
    - seconds of one cross-fitted weighting, and its ratio to the old default
      on the same seed in the same run;
    - ConvergenceWarnings raised during that call (5 folds + the final fit);
    - RMSE of the out-of-fold log-weights against the true ``log w`` over all
      rows, and the largest absolute error (a few rows with wild weights are
      what ruins importance weighting, and RMSE averages them away);
    - effective sample size of the source rows' weights, as a fraction of
      them (the true weights' is given for comparison).

Part 2 (``--calibration``): calibrating the default's log-odds
    The classifier's log-odds are a log-ratio only when calibrated. Candidates,
    each run as ``fit_predict_weight`` (5 folds) on cases with an exact
    log-ratio:

    - ``before``: ``RobustScaler + LogisticRegression``, raw log-odds (the
      default until this benchmark);
    - ``CalibratedRatio (before)``: the same classifier recalibrated by
      scikit-learn's sigmoid (Platt's smoothed labels, 5 ensembled folds);
    - ``sigmoid``: the same classifier, ``a s + b`` fitted on held-out log-odds
      by plain likelihood (``DensityRatioEstimator(calibration="sigmoid")``);
    - ``temperature``: the new default classifier, ``a s`` only;
    - ``bound + sigmoid``: the new default, ``DensityRatioEstimator()``
      (features bounded to 5 interquartile ranges after robust scaling);
    - ``C=100, raw``: a ten-times lighter penalty, raw log-odds.

    Cases: two Gaussians in 20-D (2000 + 2000 rows) whose log-ratio is linear
    (mean shift) or quadratic (target standard deviation 1.5 and a mean shift)
    at KL(target || source) = 5, 10, 20, 40 nats; separable samples (one
    feature of the target moved by +100, 3-D, 400 + 200 rows); the issue's
    breast-cancer selection (142 random reference rows; the others keep 20 %
    of the rows with mean radius > 15, so the true weight is ``P(kept) /
    P(kept | x)``; one row lies 15 interquartile ranges out); tiny-scale
    columns (a 3-D shift of 2 with one feature multiplied by 1e-15);
    near-constant digit columns (two random subsets of digits, every true
    weight 1). Figures: RMSE of the out-of-fold log-weights of the source rows
    against the truth, ESS / n of those weights, their mean (1 for a correct
    ratio), the share of runs that raised PoorOverlapWarning, seconds; on breast
    cancer the mean weight of the large- and small-radius rows (truth 1 / 0.2
    times P(kept), and P(kept)).

Usage::

    python benchmarks/default_classifier.py           # 10 seeds
    python benchmarks/default_classifier.py --quick   # 2 seeds, smoke run
    python benchmarks/default_classifier.py --calibration  # part 2

Writes ``benchmarks/results/default_classifier.{md,json}`` (``--quick``:
``default_classifier_quick.*``; ``--calibration``:
``default_classifier_calibration.*``).
"""

import os

# One core for BLAS and OpenMP (set before numpy is imported), so that timings
# depend less on the other processes' load.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from scipy.special import expit  # noqa: E402
from sklearn.datasets import (  # noqa: E402
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_wine,
)
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import RobustScaler, StandardScaler  # noqa: E402

from skratio import (  # noqa: E402
    CalibratedRatio,
    DensityRatioEstimator,
    PoorOverlapWarning,
    WeightCollapseWarning,
    stack_domains,
)
from skratio.datasets import make_gaussian_shift  # noqa: E402

RESULTS = Path(__file__).parent / "results"
# Dataset name -> (loader, norm of the selection's shift b).
DATASETS = {
    "breast cancer": (load_breast_cancer, 1.0),
    "digits": (load_digits, 1.0),
    "diabetes": (load_diabetes, 1.0),
    "wine": (load_wine, 1.0),
    # A strong shift (three standard deviations along b): weights spread over
    # orders of magnitude, where a strong penalty flattens them.
    "breast cancer, shift 3": (load_breast_cancer, 3.0),
    # The same strong shift on one Gaussian feature: few parameters, so the
    # penalty's shrinkage of the one slope is all that separates the settings.
    "Gaussian 1-D, shift 3": (lambda return_X_y: _gaussian_rows(), 3.0),
    # No shift at all: both domains are random subsets of digits, every true
    # weight is 1, and any spread of the weights is the classifier's doing.
    "digits, no shift": (load_digits, 0.0),
}


def _gaussian_rows(n_rows=1500):
    """One standard normal feature (a fixed draw), shaped like a dataset loader."""
    return np.random.default_rng(12345).standard_normal((n_rows, 1)), None


# Selection mechanism: the norm of b (a shift of one standard deviation along
# a random direction) and the offset a (about a third of the rows are target).
SHIFT_NORM = 1.0
OFFSET = -0.7
BASELINE = "LogisticRegression(max_iter=1000)"


def classifiers():
    return {
        BASELINE: LogisticRegression(max_iter=1000),
        "StandardScaler + LogisticRegression(max_iter=1000)": make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=1000)
        ),
        "RobustScaler + LogisticRegression(max_iter=1000)": make_pipeline(
            RobustScaler(), LogisticRegression(max_iter=1000)
        ),
        "StandardScaler + LogisticRegression(C=0.1, max_iter=1000)": make_pipeline(
            StandardScaler(), LogisticRegression(C=0.1, max_iter=1000)
        ),
        "StandardScaler + LogisticRegressionCV": make_pipeline(
            StandardScaler(), LogisticRegressionCV()
        ),
        "LogisticRegression() (max_iter=100)": LogisticRegression(),
    }


def make_domains(X, seed, shift_norm=SHIFT_NORM):
    """Domain labels drawn by the known mechanism, and the true log-ratio."""
    rng = np.random.default_rng(seed)
    scale = X.std(axis=0)
    z = (X - X.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
    direction = rng.standard_normal(X.shape[1])
    b = shift_norm * direction / np.linalg.norm(direction)
    logit = OFFSET + z @ b
    pi = expit(logit)
    y = (rng.random(X.shape[0]) < pi).astype(int)
    p_target = pi.mean()
    true_log_ratio = logit + np.log((1.0 - p_target) / p_target)
    return y, true_log_ratio


def run_one(classifier, X, y, seed):
    # Part 1 compares classifiers: their raw log-odds, uncalibrated.
    estimator = DensityRatioEstimator(
        classifier, cv=5, random_state=seed, calibration=None
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        warnings.simplefilter("ignore", WeightCollapseWarning)
        start = time.perf_counter()
        weights = estimator.fit_predict_weight(X, y)
        seconds = time.perf_counter() - start
    n_convergence = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    return np.log(weights), seconds, n_convergence


def ess_fraction(log_weight):
    """Effective sample size ``(sum w)^2 / sum w^2`` over the number of rows."""
    w = np.exp(log_weight - log_weight.max())
    return float(w.sum() ** 2 / (w**2).sum() / len(w))


def mean_se(values):
    values = np.asarray(values, dtype=float)
    se = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
    return float(values.mean()), float(se)


def run(seeds):
    records = []
    for dataset, (load, shift_norm) in DATASETS.items():
        X, _ = load(return_X_y=True)
        X = X.astype(np.float64)
        for seed in seeds:
            y, truth = make_domains(X, seed, shift_norm)
            baseline_seconds = None
            for name, classifier in classifiers().items():
                log_weight, seconds, n_convergence = run_one(classifier, X, y, seed)
                if name == BASELINE:
                    baseline_seconds = seconds
                records.append(
                    {
                        "dataset": dataset,
                        "seed": seed,
                        "classifier": name,
                        "n_rows": int(X.shape[0]),
                        "n_features": int(X.shape[1]),
                        "n_target": int(y.sum()),
                        "seconds": seconds,
                        "time_ratio": seconds / baseline_seconds,
                        "convergence_warnings": n_convergence,
                        "rmse": float(np.sqrt(np.mean((log_weight - truth) ** 2))),
                        "max_error": float(np.max(np.abs(log_weight - truth))),
                        "ess": ess_fraction(log_weight[y == 0]),
                        "true_ess": ess_fraction(truth[y == 0]),
                    }
                )
                print(
                    f"{dataset:<14} seed {seed} {name:<40} {seconds:7.3f} s "
                    f"x{seconds / baseline_seconds:5.2f}  warnings {n_convergence}  "
                    f"RMSE {records[-1]['rmse']:.3f}  "
                    f"max {records[-1]['max_error']:.2f}  "
                    f"ESS {records[-1]['ess']:.2f}",
                    flush=True,
                )
    return records


def summarise(records):
    rows = []
    for dataset in DATASETS:
        for name in classifiers():
            group = [
                r
                for r in records
                if r["dataset"] == dataset and r["classifier"] == name
            ]
            baseline = {
                r["seed"]: r["rmse"]
                for r in records
                if r["dataset"] == dataset and r["classifier"] == BASELINE
            }
            rows.append(
                {
                    "dataset": dataset,
                    "classifier": name,
                    # Paired by seed: the same domains for both classifiers.
                    "rmse_change": mean_se(
                        [r["rmse"] - baseline[r["seed"]] for r in group]
                    ),
                    "shape": f"{group[0]['n_rows']} x {group[0]['n_features']}",
                    "seconds": mean_se([r["seconds"] for r in group]),
                    "time_ratio": mean_se([r["time_ratio"] for r in group]),
                    "runs_with_warnings": sum(
                        r["convergence_warnings"] > 0 for r in group
                    ),
                    "convergence_warnings": sum(
                        r["convergence_warnings"] for r in group
                    ),
                    "n_runs": len(group),
                    "rmse": mean_se([r["rmse"] for r in group]),
                    "max_error": mean_se([r["max_error"] for r in group]),
                    "ess": mean_se([r["ess"] for r in group]),
                    "true_ess": mean_se([r["true_ess"] for r in group]),
                }
            )
    return rows


DECISION = (
    "**Decision.** The default is `RobustScaler + LogisticRegression(max_iter=1000)`. "
    "Any scaling makes the fit converge and 4-25x faster than the old default where "
    "that one struggles. Standardising blows up near-constant columns (a pixel "
    "non-zero in 4 of 1797 digits becomes a feature of size 35): on digits with no "
    "shift at all, where every true weight is 1, the standardised classifier's "
    "weights collapse; the robust scaler's interquartile range of such a column is "
    "0, so it is left as it is (compare the `digits, no shift` rows). A ten times "
    "stronger penalty (`C=0.1`) also tames those columns and is accurate on mild "
    "shifts, but it shrinks the log-ratio of a strong shift toward 0 (the `Gaussian "
    "1-D` rows) and its effective sample size then overstates the true one, hiding "
    "the collapse that WeightCollapseWarning reports; a default should not flatten "
    "weights on its own. The rule above picks the same classifier."
)


def verdict(rows):
    """Per classifier: datasets where it is faster, warning-free, more accurate."""
    lines = []
    scores = {}
    for name in classifiers():
        mine = [r for r in rows if r["classifier"] == name]
        faster = sum(r["time_ratio"][0] < 1 for r in mine)
        clean = sum(r["convergence_warnings"] == 0 for r in mine)
        # A change in RMSE counts when it exceeds two paired standard errors.
        better = [
            r["dataset"] for r in mine if r["rmse_change"][0] < -2 * r["rmse_change"][1]
        ]
        worse = [
            r["dataset"] for r in mine if r["rmse_change"][0] > 2 * r["rmse_change"][1]
        ]
        scores[name] = (clean, len(better) - len(worse), faster)
        if name != BASELINE:
            lines.append(
                f"- {name}: faster on {faster}/{len(mine)} datasets, no "
                f"ConvergenceWarning on {clean}/{len(mine)}, log-ratio RMSE lower on "
                f"{better or 'none'}, higher on {worse or 'none'}."
            )
    winner = max(scores, key=scores.get)
    lines.append(
        f"\nBy convergence first, then accuracy against the old default, then speed: "
        f"**{winner}**."
    )
    return "\n".join(lines)


def table(rows):
    lines = [
        "| dataset | classifier | seconds | time / old default "
        "| runs with ConvergenceWarning (warnings) | log-ratio RMSE "
        "| RMSE − old default (paired) | largest log-ratio error "
        "| ESS / n_source (truth) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} ({r['shape']}) | {r['classifier']} "
            f"| {r['seconds'][0]:.3f} ± {r['seconds'][1]:.3f} "
            f"| {r['time_ratio'][0]:.3f} ± {r['time_ratio'][1]:.3f} "
            f"| {r['runs_with_warnings']}/{r['n_runs']} ({r['convergence_warnings']}) "
            f"| {r['rmse'][0]:.3f} ± {r['rmse'][1]:.3f} "
            f"| {r['rmse_change'][0]:+.3f} ± {r['rmse_change'][1]:.3f} "
            f"| {r['max_error'][0]:.2f} ± {r['max_error'][1]:.2f} "
            f"| {r['ess'][0]:.2f} ± {r['ess'][1]:.2f} ({r['true_ess'][0]:.2f}) |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Part 2: the calibration of the default's log-odds


def _robust_logistic(C=1.0):
    return make_pipeline(RobustScaler(), LogisticRegression(C=C, max_iter=1000))


def calibration_candidates(seed):
    return {
        "before (raw log-odds)": DensityRatioEstimator(
            _robust_logistic(), calibration=None, random_state=seed
        ),
        "CalibratedRatio (before)": CalibratedRatio(
            DensityRatioEstimator(_robust_logistic(), random_state=seed)
        ),
        "sigmoid": DensityRatioEstimator(_robust_logistic(), random_state=seed),
        "temperature": DensityRatioEstimator(
            calibration="temperature", random_state=seed
        ),
        "bound + sigmoid (new default)": DensityRatioEstimator(random_state=seed),
        "C=100, raw": DensityRatioEstimator(
            _robust_logistic(100.0), calibration=None, random_state=seed
        ),
    }


QUADRATIC_SCALE = 1.5
N_FEATURES = 20


def _gaussian_case(kl, quadratic, seed):
    # KL(N(m, s^2 I) || N(0, I)) = d/2 (s^2 - 1 - log s^2) + |m|^2 / 2.
    scale = QUADRATIC_SCALE if quadratic else 1.0
    spread = N_FEATURES / 2 * (scale**2 - 1 - np.log(scale**2))
    shift = np.sqrt(2 * (kl - spread))
    X, y, truth = make_gaussian_shift(
        2000,
        2000,
        n_features=N_FEATURES,
        shift=shift,
        target_scale=scale,
        random_state=seed,
    )
    return X, y, truth, None


def _separable_case(seed):
    rng = np.random.default_rng(seed)
    source, target = rng.normal(size=(400, 3)), rng.normal(size=(200, 3))
    target[:, 0] += 100.0
    X, y = stack_domains(source, target)
    # log N(x0; 100, 1) - log N(x0; 0, 1) = 100 x0 - 5000.
    return X, y, 100.0 * X[:, 0] - 5000.0, None


def _breast_cancer_case(seed):
    X_all, _ = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(seed)
    order = rng.permutation(X_all.shape[0])
    reference, rest = order[:142], order[142:]
    large_all = X_all[:, 0] > 15
    keep = rng.random(rest.shape[0]) < np.where(large_all[rest], 0.2, 1.0)
    biased = rest[keep]
    X, y = stack_domains(X_all[biased], X_all[reference])
    kept = np.where(large_all, 0.2, 1.0)
    # stack_domains spreads the target rows among the source rows, each
    # domain in its own order.
    large = np.empty(y.shape[0], dtype=bool)
    large[y == 0], large[y == 1] = large_all[biased], large_all[reference]
    truth = np.log(kept.mean()) - np.log(np.where(large, 0.2, 1.0))
    return X, y, truth, large


def _tiny_scale_case(seed):
    X, y, truth = make_gaussian_shift(
        1000, 1000, n_features=3, shift=2.0, random_state=seed
    )
    X[:, 0] *= 1e-15
    return X, y, truth, None


def _digits_no_shift_case(seed):
    X, _ = load_digits(return_X_y=True)
    y = (np.random.default_rng(seed).random(X.shape[0]) < 1 / 3).astype(int)
    return X.astype(np.float64), y, np.zeros(X.shape[0]), None


def calibration_cases():
    cases = {}
    for quadratic in (False, True):
        for kl in (5, 10, 20, 40):
            name = f"Gaussian 20-D, {'quadratic' if quadratic else 'linear'}, KL {kl}"
            cases[name] = (
                lambda seed, kl=kl, quadratic=quadratic: _gaussian_case(
                    kl, quadratic, seed
                ),
                3,
            )
    cases["separable (+100)"] = (_separable_case, 3)
    cases["breast cancer, outlying rows"] = (_breast_cancer_case, 8)
    cases["tiny-scale column (x 1e-15)"] = (_tiny_scale_case, 3)
    cases["digits, no shift (near-constant columns)"] = (_digits_no_shift_case, 3)
    return cases


def run_calibration():
    records = []
    for case, (make, n_seeds) in calibration_cases().items():
        for seed in range(n_seeds):
            X, y, truth, large = make(seed)
            source = y == 0
            for name, estimator in calibration_candidates(seed).items():
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    start = time.perf_counter()
                    weights = estimator.fit_predict_weight(X, y)
                    seconds = time.perf_counter() - start
                log_weight = np.log(weights[source])
                record = {
                    "case": case,
                    "seed": seed,
                    "candidate": name,
                    "seconds": seconds,
                    "rmse": float(np.sqrt(np.mean((log_weight - truth[source]) ** 2))),
                    "ess": ess_fraction(log_weight),
                    "mean_weight": float(weights[source].mean()),
                    "poor_overlap_warning": any(
                        issubclass(w.category, PoorOverlapWarning) for w in caught
                    ),
                    "other_warnings": sorted(
                        {
                            w.category.__name__
                            for w in caught
                            if not issubclass(
                                w.category,
                                (PoorOverlapWarning, WeightCollapseWarning),
                            )
                        }
                    ),
                }
                if large is not None:
                    record["mean_weight_large"] = float(weights[source & large].mean())
                    record["mean_weight_small"] = float(weights[source & ~large].mean())
                    record["true_mean_large"] = float(
                        np.exp(truth[source & large]).mean()
                    )
                    record["true_mean_small"] = float(
                        np.exp(truth[source & ~large]).mean()
                    )
                records.append(record)
                print(
                    f"{case:<45} seed {seed} {name:<32} RMSE {record['rmse']:8.3f} "
                    f"ESS {record['ess']:.3f} mean w {record['mean_weight']:.3g} "
                    f"warn {record['poor_overlap_warning']} {seconds:.2f} s",
                    flush=True,
                )
    return records


CALIBRATION_DECISION = (
    "**Decision.** The default ratio calibrates its log-odds on held-out rows "
    '(`calibration="sigmoid"`: `a s + b` by plain likelihood, `fit` on two '
    "folds; `fit_predict_weight` averages, for each of its folds, the calibrated "
    "probabilities of five models fitted and calibrated on the inner folds of "
    "the fold's training rows) and its classifier bounds the "
    "robust-scaled features to 5 interquartile ranges. The calibration rescales "
    "over-confident log-odds and, in part, penalised ones; the bound keeps one "
    "outlying value from taking the weight, which no rescaling of all log-odds "
    "can undo (breast cancer and digits). Temperature alone (no `b`) does worse "
    "where the intercept is off (breast cancer). Far-apart samples (KL 20 and "
    "40, separable) stay out of any single classifier's reach: there the "
    "PoorOverlapWarning fires and TelescopingRatio is the tool."
)


def calibration_table(records):
    lines = [
        "| case | candidate | log-ratio RMSE | ESS / n | mean source weight "
        "| PoorOverlapWarning | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for case in calibration_cases():
        for name in calibration_candidates(0):
            group = [r for r in records if r["case"] == case and r["candidate"] == name]
            rmse, ess = (
                mean_se([r["rmse"] for r in group]),
                mean_se([r["ess"] for r in group]),
            )
            mean_w = mean_se([r["mean_weight"] for r in group])
            seconds = mean_se([r["seconds"] for r in group])
            warned = sum(r["poor_overlap_warning"] for r in group)
            extra = ""
            if "mean_weight_large" in group[0]:
                large = mean_se([r["mean_weight_large"] for r in group])
                small = mean_se([r["mean_weight_small"] for r in group])
                true_large = np.mean([r["true_mean_large"] for r in group])
                true_small = np.mean([r["true_mean_small"] for r in group])
                ordered = sum(
                    r["mean_weight_large"] > r["mean_weight_small"] for r in group
                )
                at_least_20 = sum(r["ess"] >= 0.2 for r in group)
                extra = (
                    f" (large/small radius {large[0]:.2f} / {small[0]:.2f}, truth "
                    f"{true_large:.2f} / {true_small:.2f}; right order in "
                    f"{ordered}/{len(group)}, ESS >= 20 % in {at_least_20}/"
                    f"{len(group)})"
                )
            lines.append(
                f"| {case} | {name} | {rmse[0]:.3f} ± {rmse[1]:.3f} "
                f"| {ess[0]:.3f} ± {ess[1]:.3f}{extra} | {mean_w[0]:.3g} "
                f"| {warned}/{len(group)} | {seconds[0]:.2f} |"
            )
    return "\n".join(lines)


def main_calibration():
    start = time.perf_counter()
    records = run_calibration()
    text = calibration_table(records) + "\n\n" + CALIBRATION_DECISION
    print(text)
    header = (
        "# Calibrating the default ratio's log-odds\n\n"
        "`fit_predict_weight` (5 folds) of each candidate (see part 2 of "
        "`benchmarks/default_classifier.py`); RMSE of the out-of-fold log-weights "
        "of the source rows against the exact log-ratio; mean ± standard error "
        "over seeds (3, or 8 on breast cancer).\n\n"
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs shared with other "
        f"processes, one BLAS/OpenMP thread; scikit-learn {sklearn.__version__}. "
        f"Total run time {time.perf_counter() - start:.0f} s.\n\n"
    )
    RESULTS.mkdir(exist_ok=True)
    name = "default_classifier_calibration"
    (RESULTS / f"{name}.md").write_text(header + text + "\n")
    (RESULTS / f"{name}.json").write_text(
        json.dumps({"records": records, "platform": platform.platform()}, indent=1)
    )
    print(f"\nwrote {RESULTS / name}.md and .json")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, smoke run")
    parser.add_argument(
        "--calibration", action="store_true", help="part 2: the calibration"
    )
    args = parser.parse_args()
    if args.calibration:
        main_calibration()
        return
    seeds = [0, 1] if args.quick else list(range(10))
    start = time.perf_counter()
    records = run(seeds)
    rows = summarise(records)
    text = table(rows) + "\n\n" + verdict(rows) + "\n\n" + DECISION
    print()
    print(text)
    name = "default_classifier_quick" if args.quick else "default_classifier"
    RESULTS.mkdir(exist_ok=True)
    header = (
        "# Default domain classifier on raw real features\n\n"
        "One cross-fitted weighting, `DensityRatioEstimator(classifier, cv=5)"
        ".fit_predict_weight(X, y)`, on scikit-learn's datasets at their raw scale; "
        "domains drawn by a known logistic selection on the standardised features "
        f"(shift norm {SHIFT_NORM} unless the name says otherwise, offset {OFFSET}), "
        "so the true log-ratio of every "
        "row is known (derivation in `benchmarks/default_classifier.py`). Mean ± "
        f"standard error over {len(seeds)} seeds; time ratios to `{BASELINE}` on the "
        "same seed in the same run. RMSE: out-of-fold log-weights against the true "
        "log-ratio, all rows; largest error: the worst row; ESS: effective sample "
        "size of the source rows' weights over their number, and of the true "
        "weights in brackets.\n\n"
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs shared with other "
        f"processes, one BLAS/OpenMP thread; scikit-learn {sklearn.__version__}, "
        f"numpy {np.__version__}. "
        f"Total run time {time.perf_counter() - start:.0f} s.\n\n"
    )
    (RESULTS / f"{name}.md").write_text(header + text + "\n")
    (RESULTS / f"{name}.json").write_text(
        json.dumps(
            {
                "seeds": seeds,
                "shift_norm": SHIFT_NORM,
                "offset": OFFSET,
                "baseline": BASELINE,
                "summary": rows,
                "records": records,
                "scikit-learn": sklearn.__version__,
                "platform": platform.platform(),
            },
            indent=1,
        )
    )
    print(f"\nwrote {RESULTS / name}.md and .json")


if __name__ == "__main__":
    main()
