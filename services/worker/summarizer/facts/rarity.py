"""How unlike the rest of its session a sentence is: a statement made once is made of
words said once, where centrality (LexRank) favours the words said everywhere."""

from collections import Counter
from collections.abc import Sequence

from services.worker.summarizer.background import stem_specificity
from services.worker.summarizer.facts.spans import Span
from services.worker.summarizer.text import is_content, stem, tokenize


def rarity(spans: Sequence[Span], only: Sequence[Span]) -> dict[int, float]:
    """id(span) -> 0..1 for the spans in ``only``: the specificity-weighted share of its
    terms no other sentence of ``spans`` has."""
    terms = {id(s): _terms(s.text) for s in spans}
    wanted = {id(s) for s in only}
    spread = Counter(t for words in terms.values() for t in set(words))
    out: dict[int, float] = {}
    for key, words in terms.items():
        if key not in wanted:
            continue
        weights = [stem_specificity(t) for t in words]
        if not weights:
            continue
        once = sum(w for t, w in zip(words, weights, strict=True) if spread[t] == 1)
        out[key] = once / sum(weights)
    return out


def _terms(text: str) -> list[str]:
    return [stem(t) for t in tokenize(text) if is_content(t)]
