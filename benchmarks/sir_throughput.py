"""Throughput and peak memory of SIRResampler against a per-block loop.

For N candidates in blocks of k, each measurement keeps one candidate per
block with probability proportional to its weight:

- ``sample``: ``SIRResampler.sample`` with a generator that hands out
  precomputed candidates and a ratio estimator that reads their log-weight
  from a column, so that only the resampler's own work is timed (drawing
  candidates in chunks, weighing them, shuffling each chunk into blocks,
  Gumbel-max selection, gathering rows).
- ``fit_resample``: ``SIRResampler.fit_resample`` on a pool of N rows with
  ``sample_weight``; it also validates the weights and shuffles the pool into
  disjoint blocks (random memory access over the whole pool).
- ``selection``: the Gumbel-max step that both methods share, on consecutive
  blocks in chunks of 65536 candidates: the same work as the loop below.
- ``loop``: the baseline, ``numpy.random.Generator.choice(k, p=w / w.sum())``
  for one block at a time, over consecutive blocks (it skips the shuffle that
  ``sample`` does). Its cost per block does not depend on N, so above
  ``--loop-blocks`` blocks its rate is measured on the first
  ``--loop-blocks`` blocks only.

The targets (N = 10^7, k = 10: >= 40 M candidates/s and >= 50x the loop) are
checked for ``selection`` and for ``sample``.

Times are the best of ``--repeats`` runs on one thread, the methods
interleaved, in CPU time of the process: on a shared machine, wall-clock time
also counts the time other processes held the core (wall-clock figures are
kept in the JSON and as a speed-up column). Peak memory is the largest extra
allocation traced by ``tracemalloc`` during one run (numpy reports its buffers
to it), inputs excluded. Ratios compare rates measured in the same run.

    python benchmarks/sir_throughput.py            # N up to 10^7
    python benchmarks/sir_throughput.py --quick    # N up to 10^5, smoke run
"""

import argparse
import json
import os
import platform
import time
import tracemalloc
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator
from threadpoolctl import threadpool_limits

from skratio import SIRResampler
from skratio._sir import _choose_in_blocks

RESULTS = Path(__file__).parent / "results"
METHODS = ("selection", "sample", "fit_resample")
SELECTION_CHUNK = 65536
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


def benchmark(n_candidates, k, loop_blocks, repeats, seed=0):
    rng = np.random.default_rng(seed)
    log_weight = np.log(rng.random(n_candidates))
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

    def run_selection():
        rng = np.random.default_rng(seed)
        step = max(1, SELECTION_CHUNK // k) * k
        for start in range(0, n_rows * k, step):
            blocks = np.arange(start, min(start + step, n_rows * k)).reshape(-1, k)
            _choose_in_blocks(log_weight, blocks, rng)

    n_loop = min(n_rows, loop_blocks) * k

    def run_loop():
        loop_resample(weights[:n_loop], k, np.random.default_rng(seed))

    runs = {
        "selection": (run_selection, n_candidates),
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
    row = {"n_candidates": n_candidates, "k": k, "loop_candidates": n_loop}
    for name, (run, count) in runs.items():
        row[f"{name}_cpu_seconds"] = cpu[name]
        row[f"{name}_wall_seconds"] = wall[name]
        row[f"{name}_rate"] = count / cpu[name]
        row[f"{name}_wall_rate"] = count / wall[name]
        row[f"{name}_peak_mib"] = traced_peak(run) / 2**20
    for name in METHODS:
        row[f"{name}_speedup"] = row[f"{name}_rate"] / row["loop_rate"]
        row[f"{name}_wall_speedup"] = row[f"{name}_wall_rate"] / row["loop_wall_rate"]
    return row


def markdown_table(rows):
    lines = [
        "| N | k | selection | sample | fit_resample | loop | selection / loop "
        "| sample / loop | fit_resample / loop | sample / loop, wall clock "
        "| peak MiB sample | peak MiB fit_resample | peak MiB loop |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        loop_note = "" if row["loop_candidates"] == row["n_candidates"] else "*"
        cells = [
            f"{row['n_candidates']:.0e}",
            f"{row['k']}",
            *(f"{row[f'{name}_rate'] / 1e6:.1f}" for name in METHODS),
            f"{row['loop_rate'] / 1e6:.3f}{loop_note}",
            *(f"{row[f'{name}_speedup']:.0f}x" for name in METHODS),
            f"{row['sample_wall_speedup']:.0f}x",
            f"{row['sample_peak_mib']:.1f}",
            f"{row['fit_resample_peak_mib']:.1f}",
            f"{row['loop_peak_mib']:.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


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
    rows = []
    for n_candidates in sizes:
        for k in (2, 10, 100):
            row = benchmark(n_candidates, k, loop_blocks, args.repeats)
            rows.append(row)
            rates = ", ".join(
                f"{name} {row[f'{name}_rate'] / 1e6:.2f} M/s"
                for name in (*METHODS, "loop")
            )
            print(f"N={n_candidates:.0e} k={k:>3} (CPU time): {rates}", flush=True)
    load_after = os.getloadavg()
    target = next(
        (r for r in rows if r["n_candidates"] == TARGET_N and r["k"] == TARGET_K), None
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
    }
    table = markdown_table(rows)
    verdict = ""
    if target is not None:
        checks = {}
        lines = []
        for name in ("selection", "sample"):
            rate, speedup = target[f"{name}_rate"], target[f"{name}_speedup"]
            checks[name] = {
                "rate": rate,
                "speedup": speedup,
                "wall_rate": target[f"{name}_wall_rate"],
                "wall_speedup": target[f"{name}_wall_speedup"],
                "passed": rate >= TARGET_RATE and speedup >= TARGET_SPEEDUP,
            }
            lines.append(
                f"- {name}: {rate / 1e6:.1f} M candidates/s, {speedup:.0f}x the "
                f"loop: {'met' if checks[name]['passed'] else 'NOT met'} (wall "
                f"clock: {target[f'{name}_wall_rate'] / 1e6:.1f} M/s, "
                f"{target[f'{name}_wall_speedup']:.0f}x)."
            )
        summary["target"] = {
            "n_candidates": TARGET_N,
            "k": TARGET_K,
            "required_rate": TARGET_RATE,
            "required_speedup": TARGET_SPEEDUP,
            **checks,
        }
        verdict = (
            "Target at N = 10^7, k = 10 (>= 40 M candidates/s and >= 50x the "
            "loop, CPU time):\n" + "\n".join(lines)
        )
    print()
    print(table)
    print(verdict)
    name = "sir_throughput_quick" if args.quick else "sir_throughput"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(
        "# SIR throughput\n\n"
        "Candidates per second (M = 10^6) of the Gumbel-max selection step, "
        "`SIRResampler.sample` and `SIRResampler.fit_resample` against a per-block "
        "`Generator.choice` loop, "
        f"one thread, best of {args.repeats} interleaved runs, timed in CPU time "
        "of the process (the machine is shared: CPU time leaves out the time other "
        "processes held the core); the speed-up by wall clock is shown too. Peak "
        "memory traced by tracemalloc, inputs excluded. `*`: loop rate measured "
        f"on the first {loop_blocks} blocks.\n\n"
        f"{table}\n\n{verdict}\n\n"
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs shared with other "
        f"processes (load average {load_before[0]:.1f} before, {load_after[0]:.1f} "
        f"after), numpy {np.__version__}.\n"
    )


if __name__ == "__main__":
    main()
