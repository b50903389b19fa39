"""Key phrases: runs of content words (1-3 words) scored by frequency times specificity.

A phrase never spans punctuation, a stopword or a filler; its score is its (weighted)
count times the sum of its words' specificity against the background list, so a
two-word phrase beats its head word when it carries at least half of that word's uses.
Phrases that share a stem set, or contain a better-ranked phrase, are dropped as repeats.
"""

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from services.worker.summarizer.background import specificity
from services.worker.summarizer.text import (
    NUMBER_WORDS,
    is_content,
    remove_fillers,
    stem,
    surface_tokens,
)

MAX_WORDS = 3
_GENERIC = frozenset(
    """
    anyway anyways plus sounds sound round year years yr yrs week weeks month months day days
    hour hours minute minutes nobody somebody everybody anybody someone everyone anyone
    nothing mostly ran box guy guys folks whatever apply replace total ago later earlier
    january february march april june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
    """.split()
)
"""Words that make no topic, however often said (besides the stopwords)."""
_CHUNK_RE = re.compile(r"[,;:()\[\]\"“”!?—–]|\.(?:\s|$)|\s-\s")


@dataclass
class _Phrase:
    words: tuple[str, ...]
    weight: float = 0.0
    count: int = 0
    shown: Counter[str] = field(default_factory=Counter)

    @property
    def score(self) -> float:
        return self.weight * sum(specificity(w) for w in self.words)

    def display(self) -> str:
        if not self.shown:
            return " ".join(self.words)
        return sorted(self.shown.items(), key=lambda item: (-item[1], item[0]))[0][0]


def key_phrases(texts: Iterable[tuple[str, float]], limit: int = 10) -> list[str]:
    """The ``limit`` best key phrases of ``texts`` (sentence, weight), best first."""
    phrases: dict[tuple[str, ...], _Phrase] = {}
    for text, weight in texts:
        for run, initial in _runs(text):
            _count(phrases, run, initial, weight)
    ranked = sorted(phrases.items(), key=lambda item: (-item[1].score, item[0]))
    ranked = [(k, p) for k, p in ranked if len(k) > 1 or _single_word_ok(p.words[0])]
    frequent: list[tuple[tuple[str, ...], _Phrase]] = [(k, p) for k, p in ranked if p.count >= 2]
    single: list[tuple[tuple[str, ...], _Phrase]] = [
        (k, p) for k, p in ranked if p.count < 2 and len(k) == 1
    ]
    chosen = _distinct(frequent, limit)
    if len(chosen) < 3:
        chosen = _distinct(frequent + single, limit)
    return [phrase.display() for _, phrase in chosen]


def _generic(word: str) -> bool:
    """A word no topic is about: a time unit, a month, a spoken number, a filler."""
    parts = word.split("-")
    return word in _GENERIC or parts[0] in NUMBER_WORDS or parts[0].isdigit()


def _single_word_ok(word: str) -> bool:
    """One word alone is a topic unless it is an adverb or a past-tense verb form."""
    return not (word.endswith("ly") or word.endswith("ed"))


def _runs(text: str) -> Iterable[tuple[list[str], bool]]:
    """Runs of content tokens as written, and whether the run opens the sentence."""
    opening = True
    for chunk in _CHUNK_RE.split(remove_fillers(text)):
        run: list[str] = []
        initial = False
        for token in surface_tokens(chunk):
            if len(token) > 1 and is_content(token.lower()) and not _generic(token.lower()):
                initial = initial or (opening and not run)
                run.append(token)
            elif run:
                yield run, initial
                run, initial = [], False
            opening = False
        if run:
            yield run, initial


def _count(
    phrases: dict[tuple[str, ...], _Phrase], run: Sequence[str], initial: bool, weight: float
) -> None:
    lowered = [t.lower() for t in run]
    for size in range(1, MAX_WORDS + 1):
        for start in range(len(run) - size + 1):
            words = tuple(lowered[start : start + size])
            if len(set(words)) < size:
                continue
            key = tuple(stem(w) for w in words)
            phrase = phrases.setdefault(key, _Phrase(words))
            phrase.weight += weight
            phrase.count += 1
            if not (initial and start == 0):
                phrase.shown[" ".join(run[start : start + size])] += 1


def _distinct(
    ranked: Sequence[tuple[tuple[str, ...], _Phrase]], limit: int
) -> list[tuple[tuple[str, ...], _Phrase]]:
    chosen: list[tuple[tuple[str, ...], _Phrase]] = []
    for key, phrase in ranked:
        stems = set(key)
        if any(stems <= set(k) or set(k) <= stems for k, _ in chosen):
            continue
        chosen.append((key, phrase))
        if len(chosen) == limit:
            break
    return chosen
