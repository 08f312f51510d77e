"""Small data sets shipped with the course, so every notebook runs offline.

``load_corpus`` is the bag-of-words corpus of section 2.2 (cosine-similarity retrieval).
"""

from __future__ import annotations

import json
import re
from importlib import resources

import numpy as np

__all__ = ["load_corpus", "tokenize", "bag_of_words", "STOPWORDS"]

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
