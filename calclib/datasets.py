"""Small data sets shipped with the course, so every notebook runs offline.

``load_corpus`` is the bag-of-words corpus of section 2.2 (cosine-similarity retrieval);
``load_diabetes`` is the regression data of chapter 5 (least squares and ridge).
"""

from __future__ import annotations

import gzip
import json
import re
from importlib import resources

import numpy as np

__all__ = ["load_corpus", "tokenize", "bag_of_words", "STOPWORDS", "load_diabetes",
           "DIABETES_FEATURES"]

#: Function words dropped before counting (they carry no topic).
STOPWORDS = frozenset(
    "a an and as at but by for in into it its of on once or out over so the then to "
    "until when with".split()
)


def load_corpus() -> list[dict]:
    """The 16-document corpus: a list of ``{"topic": str, "text": str}``. Section 2.2."""
    raw = resources.files("calclib").joinpath("data", "tiny_corpus.json").read_text(encoding="utf-8")
    return json.loads(raw)["documents"]


def tokenize(text: str) -> list[str]:
    """Lower-case words of ``text`` without stop words: ``"The Moon!" -> ["moon"]``."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return [w for w in re.findall(r"[a-z]+", text.lower()) if w not in STOPWORDS]


def bag_of_words(texts, vocabulary=None):
    """Count vectors of ``texts``: returns ``(counts, vocabulary)``.

    ``counts`` has shape (n_texts, n_words), ``counts[i, j]`` = how often word
    ``vocabulary[j]`` occurs in text ``i``. Without a ``vocabulary`` it is the sorted set of
    words in ``texts``; with one (e.g. to encode a query), unknown words are ignored.
    Section 2.2.
    """
    if isinstance(texts, str):
        raise TypeError("texts must be a list of strings; wrap a single text as [text]")
    tokens = [tokenize(t) for t in texts]
    if vocabulary is None:
        vocabulary = sorted({w for ts in tokens for w in ts})
    vocabulary = list(vocabulary)
    index = {w: j for j, w in enumerate(vocabulary)}
    counts = np.zeros((len(tokens), len(vocabulary)))
    for i, ts in enumerate(tokens):
        for w in ts:
            if w in index:
                counts[i, index[w]] += 1
    return counts, vocabulary


#: The ten baseline variables of the diabetes data, in column order.
DIABETES_FEATURES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")


def _read_gz_table(name: str) -> np.ndarray:
    raw = resources.files("calclib").joinpath("data", name).read_bytes()
    return np.loadtxt(gzip.decompress(raw).decode("ascii").splitlines(), ndmin=2)


def load_diabetes(scaled: bool = True):
    r"""The diabetes data: ``X`` of shape (442, 10), ``y`` of shape (442,), feature names.

    For each of N = 442 diabetes patients, d = 10 baseline variables: ``age``, ``sex``,
    ``bmi`` (body mass index), ``bp`` (average blood pressure) and six blood serum
    measurements ``s1`` … ``s6`` (total cholesterol, LDL, HDL, total cholesterol / HDL,
    log of serum triglycerides, blood sugar). The target ``y`` is a quantitative measure
    of disease progression one year after baseline (values 25 to 346).

    Parameters
    ----------
    scaled : bool
        ``True`` (default, as in scikit-learn's ``load_diabetes``): every column of ``X``
        is centred and divided by its standard deviation times :math:`\sqrt N`, so each
        column has mean 0 and sum of squares 1. ``False``: the raw measurements (age in
        years, sex coded 1/2, ...). ``y`` is never scaled.

    Returns
    -------
    X : ndarray, shape (442, 10)
    y : ndarray, shape (442,)
    feature_names : list of str, length 10

    Notes
    -----
    Source: B. Efron, T. Hastie, I. Johnstone and R. Tibshirani (2004), "Least Angle
    Regression", *Annals of Statistics* 32(2), 407–499
    (https://www4.stat.ncsu.edu/~boos/var.select/diabetes.html). The files
    ``diabetes_data_raw.csv.gz`` and ``diabetes_target.csv.gz`` are copied unchanged from
    scikit-learn 1.9.1 (``sklearn/datasets/data/``), which distributes them under its
    BSD 3-clause licence (Copyright the scikit-learn developers). Chapter 5 (section 5.2).
    """
    if not isinstance(scaled, (bool, np.bool_)):
        raise TypeError(f"scaled must be True or False, got {scaled!r}")
    X = _read_gz_table("diabetes_data_raw.csv.gz")
    y = _read_gz_table("diabetes_target.csv.gz").ravel()
    if scaled:
        X = (X - X.mean(axis=0)) / (X.std(axis=0) * np.sqrt(X.shape[0]))
    return X, y, list(DIABETES_FEATURES)
