"""Sentence centrality (LexRank over TF-IDF cosine similarity) and MMR selection."""

import math
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

Matrix = NDArray[np.float64]


def tfidf(docs: Sequence[Sequence[str]], weight: Callable[[str], float]) -> Matrix:
    """Row-normalized TF-IDF of ``docs`` (term lists): sublinear tf, smoothed idf times
    ``weight(term)`` (how specific the term is). An empty doc gives a zero row."""
    vocab: dict[str, int] = {}
    counts = [Counter(doc) for doc in docs]
    for counter in counts:
        for term in counter:
            vocab.setdefault(term, len(vocab))
    if not vocab:
        return np.zeros((len(docs), 1))
    df = np.zeros(len(vocab))
    rows, cols, tfs = [], [], []
    for row, counter in enumerate(counts):
        for term, n in counter.items():
            col = vocab[term]
            df[col] += 1
            rows.append(row)
            cols.append(col)
            tfs.append(1.0 + math.log(n))
    idf = np.log((1.0 + len(docs)) / (1.0 + df)) + 1.0
    idf *= np.array([weight(term) for term in vocab])
    matrix = np.zeros((len(docs), len(vocab)))
    matrix[rows, cols] = np.array(tfs) * idf[cols]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    normalized: Matrix = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return normalized


def lexrank(similarity: Matrix, damping: float = 0.85, tol: float = 1e-9) -> Matrix:
    """Stationary scores of a random walk over the similarity graph (continuous LexRank)."""
    n = similarity.shape[0]
    if n == 0:
        return np.zeros(0)
    graph = similarity.copy()
    np.fill_diagonal(graph, 0.0)
    sums = graph.sum(axis=1)
    dangling = sums <= 0
    graph[dangling] = 1.0 / n
    graph[~dangling] /= sums[~dangling, None]
    scores = np.full(n, 1.0 / n)
    for _ in range(200):
        nxt: Matrix = (1.0 - damping) / n + damping * (graph.T @ scores)
        if float(np.abs(nxt - scores).sum()) < tol:
            return nxt
        scores = nxt
    return scores


def mmr(
    scores: Matrix,
    similarity: Matrix,
    k: int,
    diversity: float = 0.3,
    concepts: Matrix | None = None,
    coverage: float = 0.0,
) -> list[int]:
    """Up to ``k`` indices picked greedily for high score, low similarity to those already
    picked (maximal marginal relevance) and, given ``concepts`` (sentence x concept
    weights), many concepts not yet covered; ties go to the earlier index."""
    picked: list[int] = []
    if scores.size == 0:
        return picked
    relevance = scores / (float(scores.max()) or 1.0)
    redundancy = np.zeros(scores.size)
    available = np.ones(scores.size, dtype=bool)
    uncovered = np.ones(concepts.shape[1]) if concepts is not None else None
    while len(picked) < min(k, scores.size):
        gain = (1.0 - diversity - coverage) * relevance - diversity * redundancy
        if concepts is not None and uncovered is not None:
            novel = concepts @ uncovered
            gain += coverage * novel / (float(novel.max()) or 1.0)
        gain[~available] = -np.inf
        best = int(np.argmax(gain))
        picked.append(best)
        available[best] = False
        redundancy = np.maximum(redundancy, similarity[best])
        if concepts is not None and uncovered is not None:
            uncovered[concepts[best] > 0] = 0.0
    return picked
