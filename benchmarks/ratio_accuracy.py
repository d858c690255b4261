"""Density-ratio accuracy and speed: skratio against densratio's uLSIF, RuLSIF, KLIEP.

Setting
-------
``skratio.datasets.make_gaussian_shift``: source ``N(0, I_d)``, target
``N(m, I_d)`` with ``|m| = 1`` spread evenly over the coordinates, so the true
log-ratio ``log p_target(x) - log p_source(x) = m.x - |m|^2 / 2`` is known in
closed form. Each cell (dimension ``d``, training size ``n``) trains every
method on ``n`` rows split equally between the domains and scores it on the
same held-out rows of the *source* domain (the rows importance weights are
applied to): RMSE of the estimated against the analytic log-ratio, and the
wall-clock seconds of fit + predict (predicting those held-out rows).

Methods
-------
- skratio ``DensityRatioEstimator()`` exactly as a user types it (its
  default classifier ``skratio.default_classifier()``: a robust scaler,
  features bounded to 5 interquartile ranges and
  ``LogisticRegression(max_iter=1000)``; its log-odds calibrated by a sigmoid
  fitted on two held-out folds, which also give the overlap diagnostics).
- The previous default, the baseline of the issue's "at most 5x the fit time
  of today's default": ``DensityRatioEstimator(make_pipeline(RobustScaler(),
  LogisticRegression(max_iter=1000)), calibration=None)``, the default
  classifier before the feature bound and without the held-out calibration.
- skratio ``DensityRatioEstimator(HistGradientBoostingClassifier(...))`` (early
  stopping on the log-loss of a 10% validation split, up to 1000 iterations,
  other parameters at their defaults, and the estimator's default sigmoid
  calibration): the ratio needs calibrated log-odds,
  and stopping on held-out log-loss keeps the trees from overfitting them.
- densratio's ``uLSIF``, ``RuLSIF`` (``alpha = 0.1``, densratio's default) and
  ``KLIEP`` with their defaults: 100 Gaussian kernels centred on target rows,
  bandwidth (and regulariser) chosen by densratio's own cross-validation.
  ``densratio(x, y)`` estimates ``p_x / p_y``, so target rows go in ``x`` and
  source rows in ``y`` (checked on a 1-D case before the run). RuLSIF estimates
  the relative ratio ``r = p_t / (alpha p_t + (1 - alpha) p_s)``, converted
  back with ``w = (1 - alpha) r / (1 - alpha r)``. densratio 0.4's
  leave-one-out search for uLSIF/RuLSIF multiplies by dense ``(n/2, n/2)``
  diagonal matrices, so its time grows like ``n^2`` and its memory like
  ``8 (n/2)^2`` bytes (80 GB at ``n = 200 000``).

Kernel estimates can be exactly 0 far from every centre (and RuLSIF's
conversion has no finite value where ``alpha r >= 1``), where the log-ratio is
infinite. Every method's log-ratio is therefore clipped to
``[-LOG_RATIO_BOUND, LOG_RATIO_BOUND]`` before the RMSE, and the number of
clipped rows is reported.

Every method runs in a fresh child process with the same wall-clock limit
(``--peer-timeout``, default 600 s, the issue's limit), address-space limit
(``--memory-limit-gib``, default 8) and BLAS/OpenMP threads (``--threads``,
default 1, for timings that hold still on a shared machine). A run past
either limit is recorded as skipped, with the reason. The peers are first
timed at half the smallest size; before each larger size their time is
extrapolated with the power law through their last two measured sizes
(exponent at least 1: every row is touched), and a run whose estimate exceeds
``FAR_BEYOND`` times the limit is skipped up front, with that estimate
recorded; a peer that failed at a smaller size is not run at larger ones.

Usage::

    python benchmarks/ratio_accuracy.py          # d: 2, 10, 50; n: 2e3, 2e4, 2e5
    python benchmarks/ratio_accuracy.py --quick  # smoke run, small sizes
    python benchmarks/ratio_accuracy.py --dims 10 --sizes 20000 --peers KLIEP

The full run writes ``benchmarks/results/ratio_accuracy.{md,json}``; ``--quick``
writes ``ratio_accuracy_quick.{md,json}`` and a run restricted by ``--dims``,
``--sizes`` or ``--peers`` (e.g. the issue's speed cell on a busy machine, where
uLSIF and RuLSIF take minutes) a file named after the restriction, e.g.
``ratio_accuracy_d10_n20000_KLIEP.{md,json}``, so neither overwrites the full
figures.
"""

import argparse
import importlib.util
import json
import multiprocessing
import os
import platform
import resource
import sys
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import sklearn
from densratio import densratio
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import RobustScaler
from threadpoolctl import threadpool_limits

from skratio import DensityRatioEstimator
from skratio.datasets import make_gaussian_shift

RESULTS_DIR = Path(__file__).resolve().parent / "results"
NAME = "ratio_accuracy"

FULL = {"dims": (2, 10, 50), "sizes": (2_000, 20_000, 200_000), "n_eval": 10_000}
QUICK = {"dims": (2, 10), "sizes": (1_000, 4_000), "n_eval": 2_000}

# The skratio methods the goals apply to, and the previous default (baseline).
SKRATIO_METHODS = ("skratio default", "skratio HistGradientBoosting")
BASELINE = "skratio previous default"
PEER_METHODS = ("densratio uLSIF", "densratio RuLSIF", "densratio KLIEP")
METHODS = SKRATIO_METHODS + (BASELINE,) + PEER_METHODS

SHIFT = 1.0
RULSIF_ALPHA = 0.1
LOG_RATIO_BOUND = 20.0
# A peer whose extrapolated time exceeds this multiple of the limit is not run.
FAR_BEYOND = 3.0
# The speed goal (skratio >= 100x faster) applies from this n on.
SPEED_GOAL_FROM = 20_000
SPEED_GOAL = 100.0
# The bound on the default's seconds over the previous default's.
SLOWDOWN_BOUND = 5.0
# Runs are repeated, up to TIMING_REPEATS times, while their total stays under
# TIMING_BUDGET seconds (and a tenth of the limit), and the median is kept:
# fast runs are noisy on a shared machine, slow runs are timed once. The same
# rule holds for every method.
TIMING_REPEATS = 5
TIMING_BUDGET = 10.0
# Seconds a child may take to start Python and generate its data.
STARTUP_TIMEOUT = 120.0


def _seed(*keys):
    """A reproducible integer seed for the given keys."""
    return int(np.random.default_rng(list(keys)).integers(2**31 - 1))


def make_training_data(n_features, n_samples, seed):
    """``n_samples`` rows split equally between the domains, as ``(X, y)``."""
    X, y, _ = make_gaussian_shift(
        n_samples // 2,
        n_samples - n_samples // 2,
        n_features=n_features,
        shift=SHIFT,
        random_state=_seed(seed, n_features, n_samples),
    )
    return X, y


def make_evaluation_data(n_features, n_eval, seed):
    """Held-out source rows and their analytic log-ratio."""
    # make_gaussian_shift needs at least one target row; it is dropped.
    X, y, log_ratio = make_gaussian_shift(
        n_eval,
        1,
        n_features=n_features,
        shift=SHIFT,
        random_state=_seed(seed, n_features, 0),
    )
    return X[y == 0], log_ratio[y == 0]


def make_skratio_estimator(method, seed):
    """The unfitted skratio estimator of ``method``."""
    if method == "skratio default":
        return DensityRatioEstimator()
    if method == BASELINE:
        previous = make_pipeline(RobustScaler(), LogisticRegression(max_iter=1000))
        return DensityRatioEstimator(previous, calibration=None)
    return DensityRatioEstimator(
        HistGradientBoostingClassifier(
            early_stopping=True, max_iter=1000, random_state=seed
        )
    )


def _peer_log_ratio(method, X_source, X_target, X_eval, seed):
    """densratio's log-ratio estimate on ``X_eval``, before clipping."""
    # densratio draws its kernel centres and folds from numpy's global RNG.
    np.random.seed(seed)
    name = method.removeprefix("densratio ")
    result = densratio(
        X_target, X_source, method=name, alpha=RULSIF_ALPHA, verbose=False
    )
    ratio = np.asarray(result.compute_density_ratio(X_eval), dtype=np.float64)
    ratio = ratio.ravel()
    if name == "RuLSIF":
        # r = w / (alpha w + 1 - alpha)  <=>  w = (1 - alpha) r / (1 - alpha r);
        # no finite w where alpha r >= 1.
        relative = ratio
        denominator = 1.0 - RULSIF_ALPHA * relative
        finite = denominator > 0
        ratio = np.full_like(relative, np.inf)
        ratio[finite] = (1.0 - RULSIF_ALPHA) * relative[finite] / denominator[finite]
    with np.errstate(divide="ignore"):
        log_ratio = np.log(ratio)
    details = {"sigma": float(result.kernel_info.sigma)}
    if result.lambda_ is not None:
        details["lambda"] = float(result.lambda_)
    return log_ratio, details


def estimate_log_ratio(method, X, y, X_eval, seed):
    """Fit ``method`` on ``(X, y)``; return its log-ratio on ``X_eval`` and details."""
    if method in PEER_METHODS:
        return _peer_log_ratio(method, X[y == 0], X[y == 1], X_eval, seed)
    estimator = make_skratio_estimator(method, seed).fit(X, y)
    log_ratio = estimator.predict_log_weight(X_eval)
    classifier = estimator.classifier_
    final = classifier[-1] if hasattr(classifier, "steps") else classifier
    n_iter = int(np.max(final.n_iter_))
    return log_ratio, {"n_iter": n_iter}


def score_log_ratio(log_ratio_hat, log_ratio_true):
    """RMSE after clipping to ``LOG_RATIO_BOUND``, and the number of clipped rows."""
    if np.isnan(log_ratio_hat).any():
        raise ValueError("The estimated log-ratio contains NaN.")
    out_of_bounds = np.abs(log_ratio_hat) > LOG_RATIO_BOUND
    clipped = np.clip(log_ratio_hat, -LOG_RATIO_BOUND, LOG_RATIO_BOUND)
    rmse = float(np.sqrt(np.mean((clipped - log_ratio_true) ** 2)))
    return rmse, int(out_of_bounds.sum())


def _time_method(spec, X, y, X_eval):
    """Median seconds of fit + predict, and the estimate with its details."""
    budget = min(TIMING_BUDGET, spec["timeout"] / 10)
    timings = []
    while len(timings) < TIMING_REPEATS and sum(timings) < budget:
        start = time.perf_counter()
        # The same seed every repeat: the repeats compute the same estimate.
        log_ratio_hat, details = estimate_log_ratio(
            spec["method"], X, y, X_eval, _seed(spec["seed"], spec["d"], spec["n"], 1)
        )
        timings.append(time.perf_counter() - start)
    return float(np.median(timings)), timings, log_ratio_hat, details


def _child_main(conn, spec):
    """Run one method on one cell in this fresh process and send the outcome."""
    limit = spec["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # Every method gets the same BLAS/OpenMP threads. On a busy machine more
    # threads than free cores make OpenBLAS spin and times swing tenfold.
    threadpool_limits(spec["threads"])
    try:
        X, y = make_training_data(spec["d"], spec["n"], spec["seed"])
        X_eval, log_ratio_eval = make_evaluation_data(
            spec["d"], spec["n_eval"], spec["seed"]
        )
        conn.send(("ready", None))
        with warnings.catch_warnings():
            # KLIEP's bandwidth search takes logs of zero kernel sums; what
            # matters is the estimate it ends with, which is scored below.
            warnings.simplefilter("ignore", RuntimeWarning)
            seconds, timings, log_ratio_hat, details = _time_method(spec, X, y, X_eval)
        rmse, n_clipped = score_log_ratio(log_ratio_hat, log_ratio_eval)
        outcome = {
            "rmse": rmse,
            "seconds": seconds,
            "timings": timings,
            "n_clipped": n_clipped,
            **details,
        }
        conn.send(("ok", outcome))
    except MemoryError as error:
        message = f"MemoryError under the {limit / 2**30:g} GiB limit: {error}"
        conn.send(("memory", message))
    except Exception as error:  # any failure is recorded in the results
        conn.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        conn.close()


def run_in_child(spec):
    """Run one method on one cell in a child process, within the spec's limits.

    Returns a record whose ``status`` is ``"ok"`` (with ``rmse``, ``seconds``),
    ``"timeout"``, ``"memory"`` or ``"error"`` (with a ``reason``).
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child_main, args=(sender, spec))
    process.start()
    sender.close()
    try:
        if not receiver.poll(STARTUP_TIMEOUT):
            reason = f"did not start within {STARTUP_TIMEOUT:g} s"
            return {"status": "error", "reason": reason}
        status, payload = receiver.recv()
        if status == "ready":
            if not receiver.poll(spec["timeout"]):
                return {
                    "status": "timeout",
                    "reason": f"exceeded the {spec['timeout']:g} s limit",
                    "seconds_at_least": spec["timeout"],
                }
            status, payload = receiver.recv()
        if status == "ok":
            return {"status": "ok", **payload}
        return {"status": status, "reason": payload}
    except EOFError:
        process.join()
        # SIGKILL without a message: the kernel's out-of-memory killer.
        return {
            "status": "memory" if process.exitcode == -9 else "error",
            "reason": f"the child process died (exit code {process.exitcode})",
        }
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()


def extrapolate_seconds(history, n_samples):
    """Power-law time at ``n_samples`` through the last two ``(n, seconds)`` points."""
    (n0, t0), (n1, t1) = history[-2:]
    exponent = max(1.0, float(np.log(t1 / t0) / np.log(n1 / n0)))
    return float(t1 * (n_samples / n1) ** exponent), exponent


def run_peer(spec, history, failure):
    """Run a peer, unless it failed at a smaller n or would take far too long."""
    if failure is not None:
        record = {
            "status": "skipped",
            "reason": f"not run: {failure['status']} at n={failure['n']}",
        }
        if failure["status"] == "timeout":
            # A larger n takes longer still: the smaller run's bound holds.
            record["seconds_at_least"] = failure["seconds_at_least"]
        return record
    if len(history) >= 2:
        estimate, exponent = extrapolate_seconds(history, spec["n"])
        if estimate > FAR_BEYOND * spec["timeout"]:
            (n0, _), (n1, _) = history[-2:]
            return {
                "status": "skipped",
                "reason": (
                    f"not run: estimated {estimate:.3g} s (time ~ n^{exponent:.2f} "
                    f"from n={n0} and n={n1}), over {FAR_BEYOND:g}x the "
                    f"{spec['timeout']:g} s limit"
                ),
                "seconds_estimated": estimate,
            }
    return run_in_child(spec)


def check_peer_direction(seed):
    """Check that ``densratio(target, source)`` estimates ``p_target / p_source``.

    On a 1-D shift the true ratio increases with ``x``: the estimate must
    correlate positively with the true log-ratio (the inverse ratio would
    correlate negatively). A fixed bandwidth and regulariser keep it fast.
    """
    X, y, _ = make_gaussian_shift(
        500, 500, n_features=1, shift=SHIFT, random_state=seed
    )
    X_eval, log_ratio_eval = make_evaluation_data(1, 1_000, seed)
    np.random.seed(seed)
    result = densratio(
        X[y == 1], X[y == 0], method="uLSIF", sigma=1.0, lambda_=0.1, verbose=False
    )
    estimate = result.compute_density_ratio(X_eval)
    correlation = float(np.corrcoef(estimate, log_ratio_eval)[0, 1])
    if not correlation > 0.5:
        raise RuntimeError(
            "densratio(target, source) does not estimate p_target / p_source: "
            f"correlation {correlation:.2f} with the true log-ratio."
        )
    return correlation


def _fastest_peer_seconds(records):
    """The fastest peer's seconds and how they are known.

    ``"measured"`` when a peer finished; otherwise ``"at least"`` (a peer ran
    out of time) or ``"estimated"`` (extrapolated); ``(None, None)`` when no
    peer gives a time (e.g. all ran out of memory).
    """
    peers = [records[method] for method in PEER_METHODS]
    for kind, key in (
        ("measured", "seconds"),
        ("at least", "seconds_at_least"),
        ("estimated", "seconds_estimated"),
    ):
        times = [record[key] for record in peers if key in record]
        if times:
            return min(times), kind
    return None, None


def summarize_cell(records, n_samples):
    """Best peer, fastest peer, and the issue's goals for one cell.

    Accuracy goal: skratio's RMSE <= the most accurate finished peer's.
    Speed goal (from ``SPEED_GOAL_FROM`` rows): fastest peer's seconds /
    skratio's seconds >= ``SPEED_GOAL``. Against the fastest peer the ratio
    is the smallest, so a met goal holds against every peer. A lower bound on
    the peers' time can only show the goal met; an extrapolated one decides
    nothing. Slowdown: the default's seconds / the previous default's, in the
    same run, at most ``SLOWDOWN_BOUND``.
    """
    finished = {
        method: records[method]["rmse"]
        for method in PEER_METHODS
        if records[method]["status"] == "ok"
    }
    best_peer = min(finished, key=finished.get) if finished else None
    peer_seconds, peer_seconds_kind = _fastest_peer_seconds(records)
    goals = {}
    for method in SKRATIO_METHODS:
        record = records[method]
        goal = {"rmse_goal_met": None, "speed_ratio": None, "speed_goal_met": None}
        if record["status"] == "ok":
            if best_peer is not None:
                goal["rmse_goal_met"] = bool(record["rmse"] <= finished[best_peer])
            if peer_seconds is not None:
                goal["speed_ratio"] = peer_seconds / record["seconds"]
            if n_samples >= SPEED_GOAL_FROM and peer_seconds is not None:
                met = goal["speed_ratio"] >= SPEED_GOAL
                if peer_seconds_kind == "measured":
                    goal["speed_goal_met"] = bool(met)
                elif peer_seconds_kind == "at least" and met:
                    goal["speed_goal_met"] = True
        goals[method] = goal
    slowdown = None
    default, baseline = records[SKRATIO_METHODS[0]], records[BASELINE]
    if default["status"] == "ok" and baseline["status"] == "ok":
        slowdown = default["seconds"] / baseline["seconds"]
    return {
        "slowdown": slowdown,
        "slowdown_goal_met": None if slowdown is None else slowdown <= SLOWDOWN_BOUND,
        "best_peer": best_peer,
        "best_peer_rmse": finished.get(best_peer),
        "fastest_peer_seconds": peer_seconds,
        "fastest_peer_seconds_kind": peer_seconds_kind,
        "skratio": goals,
    }


def run_dimension(d, grid, args):
    """Every cell of dimension ``d``; also returns the peers' measured times."""
    history = {method: [] for method in PEER_METHODS}
    failure = dict.fromkeys(PEER_METHODS)
    limits = {
        "timeout": args.peer_timeout,
        "memory_bytes": int(args.memory_limit_gib * 2**30),
        "threads": args.threads,
    }
    # The peers are timed at half the smallest size first, to extrapolate.
    pilot = [("pilot", grid["sizes"][0] // 2, PEER_METHODS)]
    cells = []
    for stage, n, methods in pilot + [("cell", n, METHODS) for n in grid["sizes"]]:
        records = {}
        for method in methods:
            spec = {"method": method, "d": d, "n": n, "n_eval": grid["n_eval"]}
            spec.update(seed=args.seed, **limits)
            if method in PEER_METHODS and method not in grid["peers"]:
                record = {"status": "skipped", "reason": "not selected (--peers)"}
            elif method in PEER_METHODS:
                record = run_peer(spec, history[method], failure[method])
                if record["status"] == "ok":
                    history[method].append((n, record["seconds"]))
                elif record["status"] != "skipped":
                    failure[method] = {**record, "n": n}
            else:
                record = run_in_child(spec)
            records[method] = record
            print(f"{stage} d={d} n={n} {method}: {record}", flush=True)
        if stage == "cell":
            summary = summarize_cell(records, n)
            cells.append({"d": d, "n": n, "records": records, "summary": summary})
    return cells, {f"{method}, d={d}": history[method] for method in PEER_METHODS}


def _format_number(value):
    return "-" if value is None else f"{value:.3g}"


def _format_goal(met):
    return {True: "yes", False: "**no**", None: "n/a"}[met]


def _format_record(record, field):
    if record["status"] != "ok":
        return record["status"]
    text = _format_number(record[field])
    if field == "rmse" and record["n_clipped"]:
        text += f" ({record['n_clipped']} clipped)"
    return text


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(value) for value in row) + " |" for row in rows]
    return lines


def write_markdown(results, path):
    """Write the results as Markdown."""
    settings, environment = results["settings"], results["environment"]
    cells = results["cells"]
    command = settings["command"]
    short = {method: method.split(" ", 1)[1] for method in METHODS}
    lines = [
        "# Density-ratio accuracy and speed: skratio vs densratio",
        "",
        f"Generated by `{command}` on {environment['date']}.",
        "",
        "## Setting",
        "",
        (
            f"- Data: `make_gaussian_shift`, source N(0, I_d), target N(m, I_d), "
            f"|m| = {SHIFT:g} spread evenly over the coordinates (a linear log-ratio). "
            "Training: n rows, half from each domain. RMSE of the log-ratio on the "
            f"same {settings['n_eval']} held-out source rows for every method at a "
            "given d."
        ),
        (
            "- Seconds: wall clock of fit + predict (the held-out rows), median of up "
            f"to {TIMING_REPEATS} repeats while they total under {TIMING_BUDGET:g} s. "
            "Each method runs in a fresh process with the same limits: "
            f"{settings['peer_timeout']:g} s, {settings['memory_limit_gib']:g} GiB "
            f"of address space and {settings['threads']} BLAS/OpenMP thread(s)."
        ),
        (
            "- skratio default: `DensityRatioEstimator()` as a user types it: "
            "the classifier `skratio.default_classifier()` (robust scaling, "
            "features bounded to 5 interquartile ranges, "
            "`LogisticRegression(max_iter=1000)`), its log-odds calibrated by a "
            "sigmoid fitted on two held-out folds (which also give the overlap "
            "diagnostics)."
        ),
        (
            "- skratio previous default (the baseline of the slowdown): "
            "`DensityRatioEstimator(make_pipeline(RobustScaler(), "
            "LogisticRegression(max_iter=1000)), calibration=None)`, the default "
            "before the feature bound and the held-out calibration."
        ),
        (
            "- skratio HistGradientBoosting: `DensityRatioEstimator("
            "HistGradientBoostingClassifier(early_stopping=True, max_iter=1000))`: "
            "stops on the log-loss of a 10% validation split; learning rate 0.1 and "
            "the rest at their defaults; the estimator's default sigmoid calibration."
        ),
        (
            f"- densratio {environment['densratio']}: uLSIF, RuLSIF "
            f"(alpha = {RULSIF_ALPHA:g}; its relative ratio converted back to p_t/p_s) "
            "and KLIEP with their defaults: 100 kernels, bandwidth (and lambda) by "
            "their own cross-validation. `densratio(target, source)` checked to "
            "estimate p_t/p_s: correlation "
            f"{results['direction_check_correlation']:.2f} with the true log-ratio "
            "on a 1-D shift."
        ),
        (
            f"- Log-ratio estimates are clipped to +-{LOG_RATIO_BOUND:g} (a kernel "
            "ratio of exactly 0 has log -inf); the number of clipped rows is given in "
            "brackets."
        ),
        (
            "- Speed ratio: fastest peer's seconds / skratio's seconds, the most "
            "conservative ratio. Goals: skratio's RMSE <= the best peer's in every "
            f"cell, speed ratio >= {SPEED_GOAL:g} from n = {SPEED_GOAL_FROM}. '>=' "
            "marks a lower bound (a peer ran out of time), '~' an extrapolated time."
            " Slowdown: the default's seconds / the previous default's, at most "
            f"{SLOWDOWN_BOUND:g} (the issue asks it at d = 10, n = 20000)."
        ),
        "",
        "## Log-ratio RMSE (lower is better)",
        "",
    ]
    header = ["d", "n"] + list(METHODS)
    lines += _table(
        header,
        [
            [cell["d"], cell["n"]]
            + [_format_record(cell["records"][m], "rmse") for m in METHODS]
            for cell in cells
        ],
    )
    lines += ["", "## Fit + predict seconds", ""]
    lines += _table(
        header,
        [
            [cell["d"], cell["n"]]
            + [_format_record(cell["records"][m], "seconds") for m in METHODS]
            for cell in cells
        ],
    )
    lines += ["", "## Goals", ""]
    header = ["d", "n", "best peer (RMSE)", "fastest peer s"]
    for method in SKRATIO_METHODS:
        header += [
            f"{short[method]}: RMSE <= best peer",
            "speed ratio",
            f">= {SPEED_GOAL:g}x",
        ]
    header += ["default slowdown", f"<= {SLOWDOWN_BOUND:g}x"]
    rows = []
    for cell in cells:
        summary = cell["summary"]
        best = "none finished"
        if summary["best_peer"] is not None:
            rmse = _format_number(summary["best_peer_rmse"])
            best = f"{short[summary['best_peer']]} ({rmse})"
        mark = {"at least": ">= ", "estimated": "~"}.get(
            summary["fastest_peer_seconds_kind"], ""
        )
        row = [cell["d"], cell["n"], best]
        row.append(mark + _format_number(summary["fastest_peer_seconds"]))
        for method in SKRATIO_METHODS:
            goal = summary["skratio"][method]
            ratio = goal["speed_ratio"]
            row += [
                _format_goal(goal["rmse_goal_met"]),
                "-" if ratio is None else mark + _format_number(ratio),
                _format_goal(goal["speed_goal_met"]),
            ]
        row += [
            _format_number(summary["slowdown"]),
            _format_goal(summary["slowdown_goal_met"]),
        ]
        rows.append(row)
    lines += _table(header, rows)
    lines += ["", "## Skipped or failed runs", ""]
    failed = [
        f"- d={cell['d']}, n={cell['n']}, {method}: {record['reason']}"
        for cell in cells
        for method, record in cell["records"].items()
        if record["status"] != "ok"
    ]
    lines += failed or ["None."]
    lines += [
        "",
        "## Peer seconds used to extrapolate (pilot: half the smallest n)",
        "",
    ]
    for key, history in results["peer_seconds"].items():
        points = ", ".join(f"n={n}: {seconds:.3g} s" for n, seconds in history)
        lines.append(f"- {key}: {points or 'none finished'}")
    kernels = "numba" if environment["numba"] else "numpy (no numba)"
    lines += [
        "",
        "## Environment",
        "",
        (
            f"- Python {environment['python']}, numpy {environment['numpy']}, "
            f"scikit-learn {environment['sklearn']}, "
            f"densratio {environment['densratio']} with {kernels} kernels; "
            f"{environment['cpu_count']} CPUs, "
            f"{environment['platform']}."
        ),
        (
            f"- 1-minute load average {environment['load_start']:.2f} at the start, "
            f"{environment['load_end']:.2f} at the end (above 0 means other processes "
            f"ran too); total wall time {environment['wall_seconds']:.0f} s."
        ),
        "",
    ]
    path.write_text("\n".join(lines))


def _environment():
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "sklearn": sklearn.__version__,
        "densratio": version("densratio"),
        # densratio computes its kernels with numba when it is installed.
        "numba": importlib.util.find_spec("numba") is not None,
        "cpu_count": os.cpu_count(),
        "load_start": os.getloadavg()[0],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: smoke run")
    parser.add_argument(
        "--peer-timeout",
        type=float,
        default=600.0,
        help="wall-clock seconds allowed to each run (default 600)",
    )
    parser.add_argument(
        "--memory-limit-gib",
        type=float,
        default=8.0,
        help="address space allowed to each run, in GiB (default 8)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS/OpenMP threads of every method (default 1: stable on a shared "
        "machine)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dims", type=int, nargs="+", help="only these d")
    parser.add_argument("--sizes", type=int, nargs="+", help="only these n")
    parser.add_argument(
        "--peers",
        nargs="+",
        choices=[method.removeprefix("densratio ") for method in PEER_METHODS],
        help="only these densratio methods",
    )
    args = parser.parse_args(argv)
    grid = dict(QUICK if args.quick else FULL, peers=PEER_METHODS)
    # A restricted run is named after its restriction, e.g. _d10_n20000_KLIEP.
    subset = ""
    if args.dims is not None:
        grid["dims"] = tuple(args.dims)
        subset += "_d" + "-".join(map(str, grid["dims"]))
    if args.sizes is not None:
        grid["sizes"] = tuple(sorted(args.sizes))
        subset += "_n" + "-".join(map(str, grid["sizes"]))
    if args.peers is not None:
        grid["peers"] = tuple(f"densratio {name}" for name in args.peers)
        subset += "_" + "-".join(args.peers)

    wall_start = time.perf_counter()
    environment = _environment()
    correlation = check_peer_direction(args.seed)
    print(f"densratio(target, source) direction check: correlation {correlation:.3f}")
    cells, peer_seconds = [], {}
    for d in grid["dims"]:
        dimension_cells, dimension_seconds = run_dimension(d, grid, args)
        cells += dimension_cells
        peer_seconds.update(dimension_seconds)
    environment["load_end"] = os.getloadavg()[0]
    environment["wall_seconds"] = time.perf_counter() - wall_start

    results = {
        "settings": {
            "command": " ".join(
                [f"python benchmarks/{NAME}.py"]
                + (sys.argv[1:] if argv is None else list(argv))
            ),
            "quick": args.quick,
            "dims": list(grid["dims"]),
            "sizes": list(grid["sizes"]),
            "peers": list(grid["peers"]),
            "n_eval": grid["n_eval"],
            "shift": SHIFT,
            "split": "n/2 source rows, n/2 target rows",
            "evaluation": "held-out source rows",
            "rulsif_alpha": RULSIF_ALPHA,
            "log_ratio_bound": LOG_RATIO_BOUND,
            "peer_timeout": args.peer_timeout,
            "memory_limit_gib": args.memory_limit_gib,
            "threads": args.threads,
            "far_beyond": FAR_BEYOND,
            "speed_goal": SPEED_GOAL,
            "speed_goal_from": SPEED_GOAL_FROM,
            "slowdown_bound": SLOWDOWN_BOUND,
            "timing_repeats": TIMING_REPEATS,
            "timing_budget": TIMING_BUDGET,
            "seed": args.seed,
        },
        "environment": environment,
        "direction_check_correlation": correlation,
        "peer_seconds": peer_seconds,
        "cells": cells,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stem = NAME + ("_quick" if args.quick else "") + subset
    (RESULTS_DIR / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    write_markdown(results, RESULTS_DIR / f"{stem}.md")
    print((RESULTS_DIR / f"{stem}.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
