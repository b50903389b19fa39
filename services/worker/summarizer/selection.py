"""Which sentences carry a session.

Each sentence gets LexRank centrality over TF-IDF cosine similarity (an answer's opening
sentence also carries the question's terms) times a quality prior (whole statements,
answers, numbers, cue words, the introduction). Sentences are then picked greedily by
MMR: high score, low similarity to what is picked, new concepts covered, and spread over
the parts of the session.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from contracts.types import Mode, Role
from services.worker.summarizer.background import stem_specificity
from services.worker.summarizer.rank import Matrix, lexrank, mmr, tfidf
from services.worker.summarizer.sentences import Sentence

GRAPH_LIMIT = 300
"""Sentences in the similarity graph at most; longer sessions are pre-filtered."""
MIN_OVERVIEW, MAX_OVERVIEW = 3, 6
WORDS_PER_OVERVIEW_SENTENCE = 1000
COVERAGE = 0.3
"""Weight of covering new concepts against centrality when picking sentences."""
SECTION_OVERLAP = 0.35
"""Redundancy between two sentences of the same part of the session."""
INTRODUCTION = 0.2
"""Share of the session's words that counts as its introduction (weighted up)."""
EXTRA_KEY_POINTS = 5


@dataclass(frozen=True, slots=True)
class Selection:
    overview: list[int]
    """Indices into the session's sentences, in source order."""
    ranked: list[int]
    """Indices of the sentences worth a key point, most important first."""


def select(sentences: Sequence[Sentence], mode: Mode) -> Selection:
    """The overview sentences and the ranked key-point sentences of a session.

    A verdict ("Recommendation: ...", the last one if several) always makes the overview:
    it is what notes exist for, however little it shares with the rest.
    """
    quality = np.array([_quality(s, mode) for s in sentences]) * _introduction(sentences)
    matrix = tfidf([s.terms + s.context for s in sentences], stem_specificity)
    pool = _prefilter(matrix, quality)
    similarity = matrix[pool] @ matrix[pool].T
    scores = lexrank(similarity) * quality[pool]
    usable = [i for i, s in enumerate(pool) if _usable(sentences[s])] or list(range(len(pool)))
    preferred = [i for i in usable if _preferred(sentences[pool[i]], mode)]
    if len(preferred) >= MIN_OVERVIEW or len(preferred) == len(usable):
        usable = preferred
    words = sum(sentences[pool[i]].words for i in usable)
    size = min(MAX_OVERVIEW, MIN_OVERVIEW + words // WORDS_PER_OVERVIEW_SENTENCE)
    overlap = _section_overlap([sentences[i] for i in pool], size)
    concepts = _concepts([sentences[i] for i in pool])
    redundancy = np.maximum(similarity, overlap)
    order = _mmr_within(usable, scores, redundancy, concepts, size + EXTRA_KEY_POINTS)
    verdicts = [i for i in usable if sentences[pool[i]].verdict][-1:]
    order = verdicts + [i for i in order if i not in verdicts]
    overview = sorted(pool[i] for i in order[:size])
    return Selection(overview=overview, ranked=[pool[i] for i in order])


def term_weights(sentences: Sequence[Sentence]) -> dict[str, float]:
    """Importance of each stemmed term in the session: log frequency times specificity."""
    counts = Counter(t for s in sentences for t in s.terms)
    return {t: float(np.log1p(n)) * stem_specificity(t) for t, n in counts.items()}


def _prefilter(matrix: Matrix, quality: Matrix) -> list[int]:
    """All sentences, or the ``GRAPH_LIMIT`` closest to the session's centroid."""
    if matrix.shape[0] <= GRAPH_LIMIT:
        return list(range(matrix.shape[0]))
    closeness = (matrix @ matrix.sum(axis=0)) * quality
    keep = np.argsort(-closeness, kind="stable")[:GRAPH_LIMIT]
    return sorted(int(i) for i in keep)


def _section_overlap(sentences: Sequence[Sentence], sections: int) -> Matrix:
    """``SECTION_OVERLAP`` between sentences of the same section (the session cut into
    ``sections`` parts of equal words), else 0: so the overview spans the session."""
    words = np.array([s.words for s in sentences], dtype=float)
    before = np.cumsum(words) - words
    total = float(words.sum()) or 1.0
    section = np.minimum((before / total * sections).astype(int), sections - 1)
    same: Matrix = (section[:, None] == section[None, :]) * SECTION_OVERLAP
    return same


def _concepts(sentences: Sequence[Sentence]) -> Matrix:
    """Sentence x concept weights: a concept is a term said at least twice, weighted by
    log frequency times specificity (everyday words weigh little)."""
    weights = term_weights(sentences)
    counts = Counter(t for s in sentences for t in s.terms)
    chosen = [t for t in weights if counts[t] >= 2]
    index = {t: i for i, t in enumerate(chosen)}
    matrix = np.zeros((len(sentences), max(len(index), 1)))
    for row, sentence in enumerate(sentences):
        for term in sentence.terms:
            if term in index:
                matrix[row, index[term]] = weights[term]
    return matrix


def _mmr_within(
    members: list[int], scores: Matrix, similarity: Matrix, concepts: Matrix, k: int
) -> list[int]:
    sub = np.array(members, dtype=int)
    picked = mmr(
        scores[sub], similarity[np.ix_(sub, sub)], k, concepts=concepts[sub], coverage=COVERAGE
    )
    return [members[i] for i in picked]


def _introduction(sentences: Sequence[Sentence]) -> Matrix:
    """1.2 for sentences in the first ``INTRODUCTION`` of the words (where people say who
    they are), else 1."""
    words = np.cumsum([s.words for s in sentences])
    total = float(words[-1]) if len(words) else 0.0
    return np.where(words - np.array([s.words for s in sentences]) < INTRODUCTION * total, 1.2, 1.0)


def _quality(sentence: Sentence, mode: Mode) -> float:
    """A prior on how good a summary sentence this is, apart from its centrality.

    Favours complete statements of 8-40 words that open a turn (answers state their point
    first), hold numbers or cue words, speak in the first person (SELF_REPORT) or answer
    (INTERVIEW); disfavours questions, fillers, fragments, hypotheticals and sentences
    that lean on the one before ("That's ...").
    """
    words = sentence.words
    value = 0.05 if words < 3 else 0.3 if words < 6 else 0.7 if words < 8 else 1.0
    if words > 40:
        value = 0.85 if words <= 60 else 0.7
    value *= max(0.5, 1.0 - 2.0 * sentence.fillers / max(words, 1))
    if sentence.question:
        value *= 0.2
    if not sentence.complete:
        value *= 0.3
    if not sentence.terms:
        value *= 0.05
    if sentence.opens_turn:
        value *= 1.25
    if sentence.quantified:
        value *= 1.15
    if sentence.anaphoric:
        value *= 0.7
    if sentence.hypothetical:
        value *= 0.85
    if sentence.cue:
        value *= 1.3
    if mode is Mode.SELF_REPORT and sentence.first_person:
        value *= 1.3
    if mode is Mode.INTERVIEW:
        if sentence.role is Role.INTERVIEWER:
            value *= 0.3
        elif sentence.first_person:
            value *= 1.15
    return value


def _usable(sentence: Sentence) -> bool:
    """Whole and meaningful enough to quote (else only quoted when nothing else is)."""
    return sentence.complete and bool(sentence.terms)


def _preferred(sentence: Sentence, mode: Mode) -> bool:
    """What the overview quotes when there is enough of it: statements, answers in an
    interview, five words or more."""
    if sentence.question or sentence.words < 5:
        return False
    return not (mode is Mode.INTERVIEW and sentence.role is Role.INTERVIEWER)
