"""Embedding-level debiasing with the packaged sentence encoder (skratio[text]).

These tests load all-MiniLM-L6-v2 and embed about a thousand documents (a few
minutes on a CPU), so they run only when selected::

    python -m pytest -m encoder

and skip when the ``text`` extra is not installed.
"""

from pathlib import Path

import numpy as np
import pytest

pytestmark = [
    pytest.mark.encoder,
    pytest.mark.skipif(
        "'encoder' not in config.getoption('markexpr')",
        reason="loads the sentence encoder; select with: python -m pytest -m encoder",
    ),
]

EXAMPLE = Path(__file__).parents[1] / "examples" / "plot_embedding_debiasing.py"


@pytest.fixture(scope="module")
def example():
    """The example's namespace after running it end to end, offline."""
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("all_minilm_l6_v2")
    pytest.importorskip("data_selection")
    pytest.importorskip("matplotlib")
    import runpy

    import matplotlib

    matplotlib.use("Agg")
    with pytest.MonkeyPatch.context() as patch:
        # Any attempt to reach the model hub would fail: the weights must
        # come from the package.
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        namespace = runpy.run_path(str(EXAMPLE), run_name="__main__")
    import matplotlib.pyplot as plt

    plt.close("all")
    return namespace


def test_encoder_embeddings_are_unit_vectors(example):
    embeddings = example["embeddings"]
    assert embeddings.shape == (len(example["documents"]), 384)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)


def test_embeddings_separate_topics(example):
    # A sentence encoder puts documents of one standard-library area closer to
    # each other than to other areas: the mean within-topic cosine similarity
    # exceeds the mean between-topic one for every topic.
    embeddings, groups = example["embeddings"], example["groups"]
    for name in example["group_names"]:
        inside = embeddings[groups == name]
        outside = embeddings[groups != name]
        within = (inside @ inside.T).mean()
        between = (inside @ outside.T).mean()
        assert within > between, name


def test_weights_favour_under_represented_topics(example):
    # The pool keeps every document of the two favoured topics and 15% of the
    # others, so their true share ratio (reference / pool) is below 1 and the
    # others' above 1: the mean out-of-fold weight must order them the same way.
    pool_weights, groups, pool = (
        example["pool_weights"],
        example["groups"],
        example["pool"],
    )
    favoured = np.isin(groups[pool], example["FAVOURED"])
    assert pool_weights[favoured].mean() < 1.0 < pool_weights[~favoured].mean()


def test_dsir_weights_favour_under_represented_topics(example):
    # DSIR's log-weight of a document sums ``log p_ref - log p_pool`` over its
    # hashed n-grams, so it scales with the document's length; per word, the
    # n-grams of the over-represented topics must weigh less (checks that the
    # reference is DSIR's target and the pool its raw data, not the reverse).
    held_out, reference, pool = example["make_split"](0)
    log_weights = example["dsir_log_weights"](pool, reference)
    n_words = np.array([len(example["documents"][i].split()) for i in pool])
    per_word = log_weights / n_words
    favoured = np.isin(example["groups"][pool], example["FAVOURED"])
    assert per_word[favoured].mean() < per_word[~favoured].mean()


@pytest.mark.parametrize("method", ["skratio, Gumbel top-k", "skratio SIR (k=3)"])
def test_selection_moves_topic_shares_toward_the_reference(example, method):
    # Paired over the 10 splits of the example: the selection's topic-share
    # distance to the held-out reference must be below a uniform random
    # subset's by more than 2 standard errors of the paired difference (a
    # one-sided test at about 2.3% if the weights carried no information).
    comparison = example["comparison"]
    difference = np.array(
        [run["random"]["topic_tv"] - run[method]["topic_tv"] for run in comparison]
    )
    standard_error = difference.std(ddof=1) / np.sqrt(difference.size)
    assert difference.mean() > 2 * standard_error


def test_reweighted_classifier_beats_unweighted_on_the_reference(example):
    from sklearn.metrics import log_loss

    X = example["embeddings"][example["held_out"]]
    y = example["y_held_out"]
    labels = range(len(example["group_names"]))
    plain = log_loss(y, example["plain"].predict_proba(X), labels=labels)
    reweighted = log_loss(y, example["reweighted"].predict_proba(X), labels=labels)
    assert reweighted < plain
