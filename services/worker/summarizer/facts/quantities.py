"""A number with its unit: "forty-five minutes" -> 45 minute, "$120k" -> 120000 USD,
"a 38-bed unit" -> 38 bed, "127 percent" -> 127 percent."""

import re
from dataclasses import dataclass

from contracts.summary import Quantity
from services.worker.summarizer.facts.numbers import Number
from services.worker.summarizer.text import STOPWORDS

_UNIT_RE = re.compile(
    r"(?P<gap>\s*-?\s*)(?P<word>%|per ?cent(?:age points?)?\b|[A-Za-z]+(?:'s)?)", re.IGNORECASE
)
_NORMAL = {
    "%": "percent", "percent": "percent", "per cent": "percent", "percentage point": "percent",
    "percentage points": "percent", "minute": "minute", "minutes": "minute", "min": "minute",
    "mins": "minute", "hour": "hour", "hours": "hour", "hr": "hour", "hrs": "hour",
    "day": "day", "days": "day", "week": "week", "weeks": "week", "week's": "week",
    "weeks'": "week", "month": "month", "months": "month", "month's": "month", "year": "year",
    "years": "year", "yrs": "year", "year's": "year", "x": "times", "times": "times",
    "dollars": "USD", "dollar": "USD", "bucks": "USD", "euros": "EUR", "euro": "EUR",
    "pounds": "GBP", "quid": "GBP", "seconds": "second", "second": "second",
}  # fmt: skip
_MONEY = frozenset(["USD", "EUR", "GBP"])
DURATIONS = frozenset(["second", "minute", "hour", "day", "week", "month", "year"])


@dataclass(frozen=True, slots=True)
class Measured:
    number: Number
    unit: str
    end: int
    """Where the number and its unit end in the text."""

    def quantity(self, text: str) -> Quantity:
        """The contract's quantity, its ``text`` as said in ``text``."""
        said = text[self.number.start : self.end]
        return Quantity(
            value=self.number.value, high=self.number.high, unit=self.unit, text=said.strip()
        )

    @property
    def money(self) -> bool:
        return self.unit in _MONEY

    @property
    def duration(self) -> bool:
        return self.unit in DURATIONS


def measure(text: str, number: Number) -> Measured:
    """``number`` with the unit that follows it (or its currency sign before it)."""
    match = _UNIT_RE.match(text, number.end)
    if match is None or "\n" in match.group("gap"):
        return Measured(number, number.currency, number.end)
    word = match.group("word").lower()
    unit = _NORMAL.get(word)
    if unit is None and word.startswith("per"):
        unit = "percent"
    if unit is not None:
        return Measured(number, number.currency or unit, match.end())
    counted = word.removesuffix("'s")
    if number.currency or number.year or word in STOPWORDS or len(counted) < 3:
        return Measured(number, number.currency, number.end)
    return Measured(number, counted, match.end())
