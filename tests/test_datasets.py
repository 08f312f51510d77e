"""calclib.datasets: the bag-of-words corpus of section 2.2, counted by hand."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.spatial.distance import cdist

import calclib as cl
from calclib.datasets import tokenize


@pytest.fixture(scope="module")
def corpus():
    return cl.load_corpus()


def test_corpus_has_16_documents_in_4_topics_of_4(corpus):
    assert len(corpus) == 16
    assert Counter(d["topic"] for d in corpus) == {
        "cooking": 4, "astronomy": 4, "football": 4, "machine learning": 4}
    for d in corpus:
        assert set(d) == {"topic", "text"}
        assert isinstance(d["text"], str) and len(d["text"].split()) >= 5
    assert len({d["text"] for d in corpus}) == 16


def test_load_corpus_returns_a_fresh_copy(corpus):
    docs = cl.load_corpus()
    docs[0]["text"] = "changed"
    docs.pop()
    assert len(cl.load_corpus()) == 16
    assert cl.load_corpus()[0]["text"] != "changed"


def test_bag_of_words_counts_one_document_by_hand(corpus):
    counts, vocab = cl.bag_of_words([d["text"] for d in corpus])
    assert counts.shape == (16, len(vocab))
    assert vocab == sorted(set(vocab))
    # "Simmer the tomato sauce with garlic and basil, then pour the sauce over the pasta."
    # without the stop words the, with, and, then, over:
    expected = {"simmer": 1, "tomato": 1, "sauce": 2, "garlic": 1, "basil": 1, "pour": 1,
                "pasta": 1}
    row = {w: counts[0, j] for j, w in enumerate(vocab) if counts[0, j]}
    assert row == expected
    for w in ("the", "with", "and", "then", "over"):
        assert w not in vocab
    # every count is a non-negative integer and every vocabulary word occurs somewhere
    assert np.all(counts == np.round(counts)) and counts.min() == 0
    assert np.all(counts.sum(axis=0) >= 1)


def test_bag_of_words_small_example():
    counts, vocab = cl.bag_of_words(["The Moon, the moon and a STAR!", "star dust"])
    assert vocab == ["dust", "moon", "star"]
    assert_allclose(counts, [[0, 2, 1], [1, 0, 1]], rtol=0)
    assert tokenize("The Moon!") == ["moon"]


def test_query_with_vocabulary_ignores_unknown_words(corpus):
    _, vocab = cl.bag_of_words([d["text"] for d in corpus])
    assert "pizza" not in vocab and "moon" in vocab
    q, qvocab = cl.bag_of_words(["Moon pizza, moon and telescope; pizza!"], vocabulary=vocab)
    assert qvocab == vocab
    assert q.shape == (1, len(vocab))
    assert q[0, vocab.index("moon")] == 2
    assert q[0, vocab.index("telescope")] == 1
    assert q.sum() == 3                     # "pizza" (twice) is not counted anywhere
    empty, _ = cl.bag_of_words(["pizza"], vocabulary=vocab)
    assert not empty.any()


def test_bare_string_raises():
    with pytest.raises(TypeError, match=r"list of strings; wrap a single text as \[text\]"):
        cl.bag_of_words("the moon and the stars")
    with pytest.raises(TypeError, match=r"text must be a str, got int"):
        cl.bag_of_words(["fine", 3])


def test_corpus_supports_nearest_neighbour_retrieval(corpus):
    """What section 2.2 shows: each document's nearest neighbour shares its topic."""
    counts, vocab = cl.bag_of_words([d["text"] for d in corpus])
    S = 1 - cdist(counts, counts, metric="cosine")
    np.fill_diagonal(S, -np.inf)
    for i, j in enumerate(np.argmax(S, axis=1)):
        assert corpus[i]["topic"] == corpus[j]["topic"], (corpus[i]["text"], corpus[j]["text"])
    q, _ = cl.bag_of_words(["planet moon telescope"], vocabulary=vocab)
    best = int(np.argmax(1 - cdist(q, counts, metric="cosine")))
    assert corpus[best]["topic"] == "astronomy"
