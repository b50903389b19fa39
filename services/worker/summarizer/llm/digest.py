"""Short plain-text renderings of summaries, shrunk to fit a token limit.

Used for what a reduce step reads: a chunk's partial summary, a session's summary in a
profile request, a group's partial profile.
"""

from collections.abc import Sequence

from services.worker.summarizer.llm.chunking import CHARS_PER_TOKEN, estimate_tokens
from services.worker.summarizer.profile import trim

Section = tuple[str, Sequence[str]]


def digest(title: str, sections: Sequence[Section], limit: int) -> str:
    """``title`` and bulleted ``sections`` within ``limit`` tokens.

    Too long: the last item of the longest section goes first (each keeps one), then the
    text is cut at a word boundary.
    """
    kept = [(name, list(items)) for name, items in sections]
    text = _render(title, kept)
    while estimate_tokens(text) > limit:
        longest = max(kept, key=lambda section: len(section[1]))
        if len(longest[1]) <= 1:
            return _cut(text, limit)
        longest[1].pop()
        text = _render(title, kept)
    return text


def _render(title: str, sections: Sequence[Section]) -> str:
    lines = [title]
    for name, items in sections:
        if items:
            lines.append(f"{name}:")
            lines.extend(f"- {item}" for item in items)
    return "\n".join(lines)


def _cut(text: str, limit: int) -> str:
    chars = int(limit * CHARS_PER_TOKEN)
    cut = trim(text, chars)
    while chars > 1 and estimate_tokens(cut) > limit:
        chars = int(chars * 0.9)
        cut = trim(text, chars)
    return cut
