"""Numbers as people say them, with where they are in the text.

"twenty-eight" -> 28, "one hundred and twenty" -> 120, "1.2 million", "120k", "$95,000",
"twenty twenty-one" -> 2021 (a spoken year), "a dozen" -> 12. Ranges ("12 to 15",
"between 120 and 140k", "three or four") become one number with ``high`` set; a scale said
once applies to both ends ("120 to 140k" -> 120000-140000). "from X to Y" is a change,
not a range, so it stays two numbers.
"""

import re
from dataclasses import dataclass, replace

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "k": 1e3, "grand": 1e3}
_SUFFIX_SCALES = {"k": 1e3, "m": 1e6, "mm": 1e6, "bn": 1e9, "b": 1e9}
_TOKEN_RE = re.compile(
    r"\d+(?:,\d{3})*(?:\.\d+)?(?:k|m|mm|bn|b)?(?![\w.]\d)|[A-Za-z]+", re.IGNORECASE
)
_WORD_GAPS = (" ", "-", " - ")
_DIGITS_RE = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)(k|m|mm|bn|b)?$", re.IGNORECASE)
_RANGE_GAP_RE = re.compile(r"^\s*(?:-|–|—|to|or|and|-to-)\s*$", re.IGNORECASE)
_HALF_RE = re.compile(r"\s+and a half\b", re.IGNORECASE)
_CURRENCY_BEFORE = {"$": "USD", "€": "EUR", "£": "GBP"}


@dataclass(frozen=True, slots=True)
class Number:
    start: int
    end: int
    value: float
    high: float | None = None
    currency: str = ""
    year: bool = False
    """A calendar year (1950-2049 said as one), not a count."""
    weak: bool = False
    """A lone "one" or "a dozen": too common to mark a sentence as quantified."""
    scaled: bool = False
    """Said with a scale ("k", "million"), which a range's other end may share."""


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    word: str


def find_numbers(text: str) -> list[Number]:
    """Every number in ``text``, in order, ranges merged."""
    tokens = [_Token(m.start(), m.end(), m.group().lower()) for m in _TOKEN_RE.finditer(text)]
    found: list[Number] = []
    i = 0
    while i < len(tokens):
        parsed = _parse_at(tokens, i, text)
        if parsed is None:
            i += 1
            continue
        number, i = parsed
        found.append(_and_a_half(number, text))
    return _merge_ranges(_spoken_hundreds(_spoken_years(found, text), text), text)


def _and_a_half(number: Number, text: str) -> Number:
    half = _HALF_RE.match(text, number.end)
    if half is None or number.year:
        return number
    return replace(number, end=half.end(), value=number.value + 0.5)


def _parse_at(tokens: list[_Token], i: int, text: str) -> tuple[Number, int] | None:
    token = tokens[i]
    digits = _DIGITS_RE.match(token.word)
    if digits:
        return _digit_number(tokens, i, text, digits)
    if token.word == "a" and i + 1 < len(tokens) and tokens[i + 1].word in ("hundred", "dozen"):
        value = 100.0 if tokens[i + 1].word == "hundred" else 12.0
        return Number(token.start, tokens[i + 1].end, value, weak=value == 12.0), i + 2
    return _word_number(tokens, i, text)


def _digit_number(
    tokens: list[_Token], i: int, text: str, digits: re.Match[str]
) -> tuple[Number, int]:
    token = tokens[i]
    value = float(digits.group(1).replace(",", ""))
    start, end, nxt = token.start, token.end, i + 1
    scale = _SUFFIX_SCALES.get((digits.group(2) or "").lower())
    if _scale_word_follows(tokens, nxt, text, end) and scale is None:
        scale, end, nxt = _SCALES[tokens[nxt].word], tokens[nxt].end, nxt + 1
    currency = _CURRENCY_BEFORE.get(text[start - 1 : start], "") if start else ""
    if currency:
        start -= 1
    year = (
        scale is None and "." not in token.word and 1950 <= value <= 2049 and "," not in token.word
    )
    number = Number(
        start, end, value * (scale or 1.0), currency=currency, year=year, scaled=bool(scale)
    )
    return number, nxt


def _scale_word_follows(tokens: list[_Token], nxt: int, text: str, end: int) -> bool:
    """ "1.2 million", "120 grand": a scale word right after the digits."""
    return (
        nxt < len(tokens)
        and tokens[nxt].word in _SCALES
        and not text[end : tokens[nxt].start].strip()
    )


def _word_number(tokens: list[_Token], i: int, text: str) -> tuple[Number, int] | None:
    total, current, last, j, end = 0.0, 0.0, "", i, -1
    while j < len(tokens):
        if j > i and text[tokens[j - 1].end : tokens[j].start] not in _WORD_GAPS:
            break
        word = tokens[j].word
        kind = _kind(word, last)
        if kind == "and":
            if j + 1 < len(tokens) and _kind(tokens[j + 1].word, last) in ("unit", "teen", "ten"):
                j += 1
                continue
            break
        if kind is None:
            break
        if kind in ("unit", "teen", "ten"):
            current += _UNITS.get(word, 0) + _TENS.get(word, 0)
        elif kind == "hundred":
            current = (current or 1.0) * 100
        elif kind == "dozen":
            current = (current or 1.0) * 12
        else:
            total += (current or 1.0) * _SCALES[word]
            current = 0.0
        last, end, j = kind, tokens[j].end, j + 1
    if end < 0:
        return None
    value = total + current
    lone_one = j == i + 1 and tokens[i].word == "one"
    return Number(tokens[i].start, end, value, weak=lone_one, scaled=total > 0), j


def _kind(word: str, last: str) -> str | None:
    """The word's part in a spoken number, given the part before it ("" at the start)."""
    if word in _UNITS:
        value = _UNITS[word]
        allowed = ("", "hundred", "scale", "and") + (("ten",) if value < 10 else ())
        return ("unit" if value < 10 else "teen") if last in allowed else None
    if word in _TENS:
        return "ten" if last in ("", "hundred", "scale") else None
    if word == "hundred":
        return "hundred" if last in ("unit", "teen", "ten") else None
    if word == "dozen":
        return "dozen" if last in ("unit",) else None
    if word in ("thousand", "million", "billion"):
        return "scale" if last in ("unit", "teen", "ten", "hundred") else None
    if word == "and":
        return "and" if last in ("hundred", "scale") else None
    return None


def _spoken_years(numbers: list[Number], text: str) -> list[Number]:
    """ "twenty twenty-one" and "nineteen ninety-eight" are one year each."""
    out: list[Number] = []
    for number in numbers:
        if out and _is_year_pair(out[-1], number, text):
            first = out.pop()
            out.append(Number(first.start, number.end, first.value * 100 + number.value, year=True))
            continue
        out.append(number)
    return out


def _spoken_hundreds(numbers: list[Number], text: str) -> list[Number]:
    """ "one seventy" and "two fifty" are 170 and 250 (how amounts are said)."""
    out: list[Number] = []
    for number in numbers:
        previous = out[-1] if out else None
        if previous is not None and _is_hundreds_pair(previous, number, text):
            out[-1] = Number(previous.start, number.end, previous.value * 100 + number.value)
            continue
        out.append(number)
    return out


def _is_hundreds_pair(first: Number, second: Number, text: str) -> bool:
    said = text[first.start : first.end].lower()
    words = text[second.start : second.end].replace("-", "").isalpha()
    adjacent = text[first.end : second.start] == " "
    return (
        adjacent and said in _UNITS and 1 <= first.value <= 9 and words and 10 <= second.value <= 99
    )


def _is_year_pair(first: Number, second: Number, text: str) -> bool:
    adjacent = text[first.end : second.start] == " "
    century = text[first.start : first.end].lower() in ("nineteen", "twenty")
    words = text[second.start : second.end].isalpha() or "-" in text[second.start : second.end]
    return adjacent and century and words and 10 <= second.value <= 99


def _merge_ranges(numbers: list[Number], text: str) -> list[Number]:
    out: list[Number] = []
    for number in numbers:
        if out and _is_range(out[-1], number, text):
            low = out.pop()
            value = low.value
            scale = _scale_of(number)
            if number.scaled and not low.scaled and value * scale <= number.value:
                value *= scale
            currency = low.currency or number.currency
            out.append(
                replace(
                    low,
                    end=number.end,
                    value=value,
                    high=number.value,
                    currency=currency,
                    scaled=low.scaled or number.scaled,
                )
            )
            continue
        out.append(number)
    return out


def _scale_of(number: Number) -> float:
    """The scale word's value: 1000 for "140k", a million for "1.2 million"."""
    return next((scale for scale in (1e9, 1e6, 1e3) if number.value >= scale), 1.0)


def _is_range(low: Number, high: Number, text: str) -> bool:
    gap = text[low.end : high.start]
    if not _RANGE_GAP_RE.match(gap) or low.year != high.year or low.high is not None:
        return False
    before = text[max(0, low.start - 8) : low.start].lower()
    if "from" in before.split()[-1:]:
        return False
    joiner = gap.strip().lower()
    if joiner == "and" and "between" not in before:
        return False
    return high.value > low.value or (high.scaled and not low.scaled)
