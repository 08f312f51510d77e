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


# -- the diabetes data of chapter 5 ------------------------------------------------------

import gzip  # noqa: E402
import hashlib  # noqa: E402
from importlib import resources  # noqa: E402

#: sha256 of the two files in scikit-learn 1.9.1's wheel (sklearn/datasets/data/), taken
#: when they were copied: the shipped files are byte-for-byte the wheel's
DIABETES_SHA256 = {
    "diabetes_data_raw.csv.gz": "7fc0ded571454b1982210d3bb43f0aca44eae01a0b8654a3b24022bdb6b38009",
    "diabetes_target.csv.gz": "8e53f65eb811df43c206f3534bb3af0e5fed213bc37ed6ba36310157d6023803",
}


def test_diabetes_files_are_the_wheels_files():
    for name, digest in DIABETES_SHA256.items():
        raw = resources.files("calclib").joinpath("data", name).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == digest, name


def test_diabetes_shape_and_known_values():
    X, y, names = cl.load_diabetes()
    assert X.shape == (442, 10) and y.shape == (442,)
    assert names == ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    # the first patient, from the published table (Efron et al. 2004): age 59, sex 2,
    # BMI 32.1, BP 101, S1..S6 = 157, 93.2, 38, 4, 4.8598, 87; progression 151
    raw, y_raw, _ = cl.datasets.load_diabetes(scaled=False)
    assert_allclose(raw[0], [59, 2, 32.1, 101, 157, 93.2, 38, 4, 4.8598, 87], rtol=0)
    assert y[0] == 151 and y[-1] == 57 and y.min() == 25 and y.max() == 346
    assert_allclose(y, y_raw, rtol=0)
    # scikit-learn's scaled value of the first entry (its load_diabetes().data[0, 0])
    assert_allclose(X[0, 0], 0.038075906433423026, rtol=1e-12)
    # centred, and each column's sum of squares is 1
    assert_allclose(X.mean(axis=0), 0, atol=1e-15)
    assert_allclose((X**2).sum(axis=0), 1, rtol=1e-12)
    assert_allclose(X, (raw - raw.mean(0)) / np.sqrt(((raw - raw.mean(0)) ** 2).sum(0)), rtol=1e-12)


def test_diabetes_target_matches_the_file_read_independently():
    text = gzip.decompress(resources.files("calclib").joinpath(
        "data", "diabetes_target.csv.gz").read_bytes()).decode()
    values = [float(line) for line in text.split()]
    _, y, _ = cl.load_diabetes()
    assert len(values) == 442 and y.tolist() == values


def test_diabetes_least_squares_coefficients_are_the_published_ones():
    # the ordinary least-squares fit, the end of the LARS path of Efron et al. (2004,
    # figure 1: s5 and s1 the largest, about 751 and -792); numpy's SVD solver as the oracle
    X, y, _ = cl.load_diabetes()
    A = np.column_stack([np.ones(len(y)), X])
    beta = np.linalg.lstsq(A, y, rcond=None)[0]
    assert_allclose(np.round(beta[1:]), [-10, -240, 520, 324, -792, 477, 101, 177, 751, 68])


def test_diabetes_rejects_bad_scaled():
    with pytest.raises(TypeError, match="scaled"):
        cl.load_diabetes(scaled="yes")
