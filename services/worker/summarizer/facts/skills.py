"""Skills: named tools, methods and languages the candidate says they use.

A skill is a name written with capitals or digits inside a sentence (Kafka, SBAR, SQL,
C++, S3) or what follows a skill cue ("fluent in Spanish", "certified in wound care").
Sentence-initial capitals, months, days, places the candidate lives in or moves to and
employers ("at Acme") are not skills.
"""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from contracts.types import Role
from services.worker.summarizer.facts.spans import Span

MAX_SKILLS = 8
_NAME_RE = re.compile(r"(?<![\w'’])[A-Z][A-Za-z0-9+#.]*[A-Za-z0-9+#]|(?<![\w'’])[A-Z](?:\+\+|#)")
_CUE_RE = re.compile(
    r"\b(?:fluent in|speak|certified in|certification in|certificate in|trained in|"
    r"proficient in|expert in|expertise in|skilled in|experience (?:with|in)|background in|"
    r"qualified in|licensed (?:in|as|for)|degree in|specialis(?:e|ed|ing) in|"
    r"speciali[sz](?:e|ed|ing) in)\s+(?P<skill>[A-Za-z][\w+#-]*(?: [a-z][\w-]*)?)",
    re.IGNORECASE,
)
_NOT_SKILLS = frozenset(
    """
    i i'm i've i'd i'll ok okay yes no so um uh and but the a an we my our you it they he she
    mr mrs ms dr monday tuesday wednesday thursday friday saturday sunday january february
    march april may june july august september october november december christmas
    god oh hi hey thanks sorry well anyway also then now right there this that english
    """.split()
)
_PLACE_OR_EMPLOYER_RE = re.compile(
    r"\b(?:at|for|from|joined|join|left|leave|leaving|to|near)\s+$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Skill:
    name: str
    span: Span
    start: int
    """Where the name starts in the turn text."""
    count: int


def find_skills(spans: Sequence[Span], places: frozenset[str]) -> list[Skill]:
    """Up to ``MAX_SKILLS`` skills, most mentioned first (first mention breaks ties)."""
    counts: Counter[str] = Counter()
    first: dict[str, tuple[str, Span, int]] = {}
    for span in spans:
        if span.role is not Role.CANDIDATE:
            continue
        for name, start in _names(span):
            key = name.lower()
            if key in _NOT_SKILLS or key in places:
                continue
            counts[key] += 1
            first.setdefault(key, (name, span, start))
    order = sorted(counts, key=lambda k: (-counts[k], first[k][1].turn, first[k][2]))
    return [Skill(first[k][0], first[k][1], first[k][2], counts[k]) for k in order[:MAX_SKILLS]]


def _names(span: Span) -> list[tuple[str, int]]:
    text = span.text
    found: list[tuple[str, int]] = []
    for match in _NAME_RE.finditer(text):
        before = text[: match.start()]
        if not before.strip() or before.rstrip()[-1] in '.!?:"“':
            continue  # opens the sentence: any word is capitalized there
        if _PLACE_OR_EMPLOYER_RE.search(before[-12:]) and not match.group().isupper():
            continue
        found.append((match.group().rstrip("."), span.start + match.start()))
    for match in _CUE_RE.finditer(text):
        found.append((match.group("skill"), span.start + match.start("skill")))
    return found
