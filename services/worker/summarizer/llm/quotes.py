"""Finding a model's quote in the turn it cites.

Models copy text imperfectly in ways that do not change what was said: runs of spaces
and line breaks, letter case, typographic quotes and dashes, a wrapping pair of quote
marks, an ellipsis or a closing full stop. The quote is matched with those differences
ignored, on word boundaries, and the turn's own span is returned, so the evidence stored
is always an exact substring of the turn.
"""

import re

_PLAIN = str.maketrans(
    {"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-"}
)
_WRAP = " \t\n\"'`“”‘’«»…"
_TRAILING = ".,;:!"
MIN_CHARS = 2
"""Letters or digits a quote needs (a lone "I" or "a" grounds nothing)."""


def locate(quote: str, text: str) -> str | None:
    """The span of ``text`` that ``quote`` copies, or None when ``text`` does not say it."""
    wanted = _unwrap(quote)
    if sum(c.isalnum() for c in wanted) < MIN_CHARS:
        return None
    needle, _ = _normal(wanted)
    haystack, origin = _normal(text)
    head = r"(?<!\w)" if needle[0].isalnum() else ""
    tail = r"(?!\w)" if needle[-1].isalnum() else ""
    found = re.search(head + re.escape(needle) + tail, haystack)
    if found is None:
        return None
    return text[origin[found.start()] : origin[found.end() - 1] + 1]


def _unwrap(quote: str) -> str:
    """``quote`` without wrapping marks, ellipses and closing punctuation."""
    previous = None
    while previous != quote:
        previous = quote
        quote = quote.strip(_WRAP).removeprefix("...").removesuffix("...").rstrip(_TRAILING)
    return quote


def _normal(text: str) -> tuple[str, list[int]]:
    """``text`` lower-cased, plain quotes and dashes, one space for any whitespace run;
    with, for each character of the result, its position in ``text``."""
    chars: list[str] = []
    origin: list[int] = []
    for position, char in enumerate(text):
        if char.isspace():
            if chars and chars[-1] != " ":
                chars.append(" ")
                origin.append(position)
            continue
        for piece in char.translate(_PLAIN).lower():
            chars.append(piece)
            origin.append(position)
    return "".join(chars), origin
