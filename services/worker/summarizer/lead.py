"""Overview and key points that lead with the session's facts.

The overview opens with the sentences that state the most important facts (who the
candidate is, the headline result, why they move, what they want), then takes the
central sentences LexRank picked until it has its size; a verdict in notes always stays.
Key points are the other fact sentences, then the rest of the ranking. Both quote whole
sentences, never one that holds a value the speaker took back, and never the same
sentence twice.
"""

from collections.abc import Sequence

from contracts.summary import FactKind
from services.worker.summarizer.facts.classify import Candidate
from services.worker.summarizer.facts.extract import Extraction
from services.worker.summarizer.selection import Selection
from services.worker.summarizer.sentences import Sentence
from services.worker.summarizer.text import strip_leading_filler

MAX_KEY_POINTS = 8
MAX_KEY_POINT_WORDS = 45
FACT_SHARE = 0.67
"""Share of the overview given to fact sentences; the rest is central sentences."""
_LEAD_ORDER = (
    FactKind.ROLE,
    FactKind.ACHIEVEMENT,
    FactKind.REASON_FOR_LEAVING,
    FactKind.MOTIVATION,
    FactKind.EXPERIENCE,
    FactKind.COMPENSATION,
    FactKind.NOTICE,
    FactKind.LOCATION,
    FactKind.AUTHORIZATION,
    FactKind.AVAILABILITY,
    FactKind.REMOTE,
    FactKind.STATEMENT,
)

Key = tuple[int, str]
"""A sentence by turn and displayed text."""


def lead(
    sentences: Sequence[Sentence], chosen: Selection, extraction: Extraction
) -> tuple[list[str], list[str]]:
    """(overview, key points) as displayed sentences."""
    index = {(s.turn, s.text): i for i, s in enumerate(sentences)}
    barred = _superseded(extraction)
    facts = [i for i in _fact_sentences(extraction.chosen, index) if _quotable(sentences[i])]
    facts = [i for i in facts if (sentences[i].turn, sentences[i].text) not in barred]
    central = [i for i in chosen.ranked if (sentences[i].turn, sentences[i].text) not in barred]
    size = len(chosen.overview)
    verdicts = [i for i in chosen.overview if sentences[i].verdict][-1:]
    overview = verdicts + [i for i in facts if i not in verdicts][: round(size * FACT_SHARE)]
    for i in central:
        if len(overview) >= size:
            break
        if i not in overview and sentences[i].complete:
            overview.append(i)
    rest = [i for i in facts + central if i not in overview]
    points = _distinct(rest, sentences, {sentences[i].text.lower() for i in overview})
    return [sentences[i].text for i in sorted(overview)], points


def _fact_sentences(chosen: Sequence[Candidate], index: dict[Key, int]) -> list[int]:
    """Sentence indices of the chosen facts: each kind's best first, in lead order, then
    each kind's next best."""
    by_kind: dict[FactKind, list[int]] = {}
    for candidate in chosen:
        key = (candidate.span.turn, strip_leading_filler(candidate.span.text))
        if key in index:
            by_kind.setdefault(candidate.kind, []).append(index[key])
    order: list[int] = []
    for depth in range(3):
        for kind in _LEAD_ORDER:
            found = by_kind.get(kind, [])
            if depth < len(found) and found[depth] not in order:
                order.append(found[depth])
    return order


def _superseded(extraction: Extraction) -> set[Key]:
    return {(s.turn, strip_leading_filler(s.text)) for s in extraction.spans if s.superseded}


def _quotable(sentence: Sentence) -> bool:
    return sentence.complete and not sentence.question and sentence.words >= 4


def _distinct(order: Sequence[int], sentences: Sequence[Sentence], seen: set[str]) -> list[str]:
    points: list[str] = []
    for i in order:
        sentence = sentences[i]
        text = sentence.text
        if text.lower() in seen or not _quotable(sentence):
            continue
        if sentence.words > MAX_KEY_POINT_WORDS:
            continue
        seen.add(text.lower())
        points.append(text)
        if len(points) == MAX_KEY_POINTS:
            break
    return points
