"""End-to-end throughput and peak memory of SIRResampler against a per-block loop.

For N candidates in blocks of k, each measurement keeps one candidate per
block with probability proportional to its weight:

- ``sample``: ``SIRResampler.sample`` with a generator that hands out
  precomputed candidates and a ratio estimator that reads their log-weight
  from a column, so that only the resampler's own work is timed (drawing
  candidates in chunks, weighing them, shuffling each chunk into blocks,
  selection, gathering rows).
- ``fit_resample``: ``SIRResampler.fit_resample`` on a pool of N rows with
  ``sample_weight``, as a user calls it: validation, the random order of
  the pool's rows that makes the disjoint blocks (revealed only where the
  selection looks), the selection, gathering rows.
- ``loop``: the baseline, ``numpy.random.Generator.choice(k, p=w / w.sum())``
  for one block at a time, over consecutive blocks (it skips the shuffle).
  Its cost per block does not depend on N, so above ``--loop-blocks`` blocks
  its rate is measured on the first ``--loop-blocks`` blocks only.

The targets (N = 10^7, k = 10: >= 40 M candidates/s and >= 50x the loop,
end to end, wall clock) are checked for ``sample`` and ``fit_resample``, with
weights uniform on (0, 1). The cost of SIR depends on the spread of the
weights (how far the largest is above the typical one), so N = 10^7 is also
run with heavy-tailed log-normal weights (sigma = 3), where most blocks
reveal all their candidates.

Times are the best of ``--repeats`` runs on one thread (threadpoolctl), the
methods interleaved so that each meets the same load on a shared machine;
headline figures are wall clock, CPU time of the process is kept in the JSON.
Peak memory is the largest extra allocation traced by ``tracemalloc``
during one run (numpy reports its buffers to it), inputs excluded. Ratios
compare rates measured in the same run.

The second part times ``DensityRatioEstimator.predict_weight`` (default
classifier and a bare LogisticRegression, fitted on 16 features) against
the fitted classifier's own ``predict_proba`` on the same 10^6 rows (target:
at most 1.05x), and traces the peak memory of ``predict_weight`` on 10^7 rows
next to that of ``predict_proba``, which holds the classifier's full-size
intermediates.

    python benchmarks/sir_throughput.py            # N up to 10^7
    python benchmarks/sir_throughput.py --quick    # N up to 10^5, smoke run
"""

import argparse
import json
import os
import platform
import time
import tracemalloc
from functools import partial
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from skratio import DensityRatioEstimator, SIRResampler
from skratio.datasets import make_gaussian_shift

RESULTS = Path(__file__).parent / "results"
METHODS = ("sample", "fit_resample")
# Weight distributions: name -> log-weights of n candidates.
WEIGHTS = {
    "uniform": lambda rng, n: np.log(rng.random(n)),
    "log-normal(3)": lambda rng, n: rng.normal(0.0, 3.0, n),
}
TARGET_N, TARGET_K = 10**7, 10
TARGET_RATE, TARGET_SPEEDUP = 40e6, 50.0


class ColumnLogWeight(BaseEstimator):
    """A fitted ratio estimator whose log-weight is the first column of X."""

    def fit(self, X, y=None):
        return self

    def __sklearn_is_fitted__(self):
        return True

    def predict_log_weight(self, X):
        return X[:, 0]

    def predict_weight(self, X):
        return np.exp(X[:, 0])


class CandidateStream:
    """A generator handing out consecutive rows of precomputed candidates."""

    def __init__(self, candidates):
        self.candidates = candidates
        self.position = 0

    def __call__(self, n_rows):
        rows = self.candidates[self.position : self.position + n_rows]
        self.position += n_rows
        return rows


def loop_resample(weights, k, rng):
    """The baseline: one ``Generator.choice`` per block of k consecutive weights."""
    n_blocks = len(weights) // k
    chosen = np.empty(n_blocks, dtype=np.intp)
    for block in range(n_blocks):
        block_weights = weights[block * k : (block + 1) * k]
        chosen[block] = block * k + rng.choice(k, p=block_weights / block_weights.sum())
    return chosen


def traced_peak(run):
    """Largest extra memory traced by tracemalloc during ``run()``."""
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def benchmark(n_candidates, k, loop_blocks, repeats, weight_kind="uniform", seed=0):
    rng = np.random.default_rng(seed)
    log_weight = WEIGHTS[weight_kind](rng, n_candidates)
    weights = np.exp(log_weight)
    candidates = log_weight.reshape(-1, 1)
    n_rows = n_candidates // k
    ratio = ColumnLogWeight()

    def run_sample():
        SIRResampler(ratio, k=k, random_state=seed).sample(
            CandidateStream(candidates), n_rows
        )

    def run_fit_resample():
        SIRResampler(k=k, random_state=seed).fit_resample(
            candidates, sample_weight=weights
        )

    n_loop = min(n_rows, loop_blocks) * k

    def run_loop():
        loop_resample(weights[:n_loop], k, np.random.default_rng(seed))

    runs = {
        "sample": (run_sample, n_candidates),
        "fit_resample": (run_fit_resample, n_candidates),
        "loop": (run_loop, n_loop),
    }
    cpu = dict.fromkeys(runs, np.inf)
    wall = dict.fromkeys(runs, np.inf)
    # The repeats interleave the methods, so that each meets the same load on
    # the shared machine.
    for _ in range(repeats):
        for name, (run, _) in runs.items():
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            run()
            cpu[name] = min(cpu[name], time.process_time() - cpu_start)
            wall[name] = min(wall[name], time.perf_counter() - wall_start)
    row = {
        "n_candidates": n_candidates,
        "k": k,
        "weights": weight_kind,
        "loop_candidates": n_loop,
    }
    for name, (run, count) in runs.items():
        row[f"{name}_cpu_seconds"] = cpu[name]
        row[f"{name}_wall_seconds"] = wall[name]
        row[f"{name}_rate"] = count / wall[name]
        row[f"{name}_cpu_rate"] = count / cpu[name]
        row[f"{name}_peak_mib"] = traced_peak(run) / 2**20
    for name in METHODS:
        row[f"{name}_speedup"] = row[f"{name}_rate"] / row["loop_rate"]
        row[f"{name}_cpu_speedup"] = row[f"{name}_cpu_rate"] / row["loop_cpu_rate"]
    return row


def markdown_table(rows):
    lines = [
        "| N | k | weights | sample | fit_resample | loop | sample / loop "
        "| fit_resample / loop | fit_resample / loop, CPU time "
        "| peak MiB sample | peak MiB fit_resample | peak MiB loop |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        loop_note = "" if row["loop_candidates"] == row["n_candidates"] else "*"
        cells = [
            f"{row['n_candidates']:.0e}",
            f"{row['k']}",
            row["weights"],
            *(f"{row[f'{name}_rate'] / 1e6:.1f}" for name in METHODS),
            f"{row['loop_rate'] / 1e6:.3f}{loop_note}",
            *(f"{row[f'{name}_speedup']:.0f}x" for name in METHODS),
            f"{row['fit_resample_cpu_speedup']:.0f}x",
            f"{row['sample_peak_mib']:.1f}",
            f"{row['fit_resample_peak_mib']:.1f}",
            f"{row['loop_peak_mib']:.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def best_time(run, repeats):
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def predict_costs(n_rows, n_large, repeats, seed=0):
    """predict_weight against the classifier's predict_proba, and peak memory."""
    X, y, _ = make_gaussian_shift(20000, 20000, n_features=16, random_state=seed)
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(n_rows, 16))
    results = []
    for label, classifier in (
        ("default (RobustScaler + LogisticRegression)", None),
        ("LogisticRegression", LogisticRegression()),
    ):
        ratio = DensityRatioEstimator(classifier).fit(X, y)
        weigh = ratio.predict_weight
        proba = ratio.classifier_.predict_proba
        # Interleaved, best of the repeats each.
        weight_seconds, proba_seconds = np.inf, np.inf
        for _ in range(repeats):
            weight_seconds = min(weight_seconds, best_time(partial(weigh, rows), 1))
            proba_seconds = min(proba_seconds, best_time(partial(proba, rows), 1))
        results.append(
            {
                "classifier": label,
                "n_rows": n_rows,
                "predict_weight_seconds": weight_seconds,
                "predict_proba_seconds": proba_seconds,
                "ratio": weight_seconds / proba_seconds,
            }
        )
    large = rng.normal(size=(n_large, 16))
    ratio = DensityRatioEstimator().fit(X, y)
    memory = {
        "n_rows": n_large,
        "input_mib": large.nbytes / 2**20,
        "output_mib": n_large * 8 / 2**20,
        "predict_weight_peak_mib": traced_peak(lambda: ratio.predict_weight(large))
        / 2**20,
        "predict_proba_peak_mib": traced_peak(
            lambda: ratio.classifier_.predict_proba(large)
        )
        / 2**20,
    }
    return results, memory


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, smoke run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--loop-blocks",
        type=int,
        default=20000,
        help="blocks timed for the loop baseline (its rate does not depend on N)",
    )
    args = parser.parse_args()
    # One core: no BLAS or OpenMP thread pools.
    threadpool_limits(1)
    sizes = [10**4, 10**5] if args.quick else [10**5, 10**6, 10**7]
    loop_blocks = 2000 if args.quick else args.loop_blocks
    load_before = os.getloadavg()
    settings = [(n, k, "uniform") for n in sizes for k in (2, 10, 100)]
    settings += [(sizes[-1], k, "log-normal(3)") for k in (2, 10, 100)]
    rows = []
    for n_candidates, k, weights in settings:
        row = benchmark(n_candidates, k, loop_blocks, args.repeats, weights)
        rows.append(row)
        rates = ", ".join(
            f"{name} {row[f'{name}_rate'] / 1e6:.2f} M/s" for name in (*METHODS, "loop")
        )
        print(
            f"N={n_candidates:.0e} k={k:>3} {weights} (wall clock): {rates}", flush=True
        )
    n_predict, n_large = (10**4, 10**5) if args.quick else (10**6, 10**7)
    predict, memory = predict_costs(n_predict, n_large, args.repeats)
    load_after = os.getloadavg()
    target = next(
        (
            r
            for r in rows
            if r["n_candidates"] == TARGET_N
            and r["k"] == TARGET_K
            and r["weights"] == "uniform"
        ),
        None,
    )
    summary = {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "numpy": np.__version__,
            "load_average_before": load_before,
            "load_average_after": load_after,
        },
        "threads": 1,
        "repeats": args.repeats,
        "quick": args.quick,
        "rows": rows,
        "predict_weight_vs_predict_proba": predict,
        "predict_memory": memory,
    }
    table = markdown_table(rows)
    verdict = ""
    if target is not None:
        checks = {}
        lines = []
        for name in ("sample", "fit_resample"):
            rate, speedup = target[f"{name}_rate"], target[f"{name}_speedup"]
            checks[name] = {
                "rate": rate,
                "speedup": speedup,
                "cpu_rate": target[f"{name}_cpu_rate"],
                "cpu_speedup": target[f"{name}_cpu_speedup"],
                "rate_met": rate >= TARGET_RATE,
                "speedup_met": speedup >= TARGET_SPEEDUP,
            }
            lines.append(
                f"- {name}: {rate / 1e6:.1f} M candidates/s "
                f"({'met' if rate >= TARGET_RATE else 'NOT met'}), {speedup:.0f}x "
                f"the loop ({'met' if speedup >= TARGET_SPEEDUP else 'NOT met'}); "
                f"CPU time: {target[f'{name}_cpu_rate'] / 1e6:.1f} M/s, "
                f"{target[f'{name}_cpu_speedup']:.0f}x."
            )
        summary["target"] = {
            "n_candidates": TARGET_N,
            "k": TARGET_K,
            "required_rate": TARGET_RATE,
            "required_speedup": TARGET_SPEEDUP,
            **checks,
        }
        verdict = (
            "Target at N = 10^7, k = 10, uniform weights, end to end, wall clock "
            "(>= 40 M candidates/s and >= 50x the loop):\n" + "\n".join(lines)
        )
    predict_lines = "\n".join(
        f"| {r['classifier']} | {r['n_rows']:.0e} | {r['predict_weight_seconds']:.3f} "
        f"| {r['predict_proba_seconds']:.3f} | {r['ratio']:.2f}x "
        f"({'met' if r['ratio'] <= 1.05 else 'NOT met'}) |"
        for r in predict
    )
    predict_table = (
        "| classifier | rows | predict_weight s | predict_proba s | ratio (target "
        "<= 1.05x) |\n|---|---:|---:|---:|---:|\n" + predict_lines
    )
    memory_text = (
        f"Peak memory traced while predicting {memory['n_rows']:.0e} rows of 16 "
        f"float64 features ({memory['input_mib']:.0f} MiB of input, not counted): "
        f"`predict_weight` {memory['predict_weight_peak_mib']:.0f} MiB (its output "
        f"alone is {memory['output_mib']:.0f} MiB), the default classifier's "
        f"`predict_proba` {memory['predict_proba_peak_mib']:.0f} MiB."
    )
    print()
    print(table)
    print(verdict)
    print(predict_table)
    print(memory_text)
    name = "sir_throughput_quick" if args.quick else "sir_throughput"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(
        "# SIR throughput\n\n"
        "Candidates per second (M = 10^6), end to end, of `SIRResampler.sample` and "
        "`SIRResampler.fit_resample` as a user calls them, against a per-block "
        "`Generator.choice` loop, one thread, best of "
        f"{args.repeats} interleaved runs, wall clock (the machine is shared with "
        "other processes; the speed-up in CPU time is shown for fit_resample, and "
        "every CPU-time figure is in the JSON). Peak memory traced by tracemalloc, "
        "inputs excluded. `*`: loop rate measured on the first "
        f"{loop_blocks} blocks. Weights: `uniform` draws w uniformly on (0, 1), "
        "the largest about twice the mean; `log-normal(3)` draws log w from "
        "N(0, 3^2), the largest far above most blocks' weights, so that most "
        "blocks reveal all their candidates.\n\n"
        f"{table}\n\n{verdict}\n\n"
        "## predict_weight against the classifier's predict_proba\n\n"
        "Best of interleaved runs, one thread, 16 features, same rows.\n\n"
        f"{predict_table}\n\n{memory_text}\n\n"
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs shared with other "
        f"processes (load average {load_before[0]:.1f} before, {load_after[0]:.1f} "
        f"after), numpy {np.__version__}.\n"
    )


if __name__ == "__main__":
    main()
