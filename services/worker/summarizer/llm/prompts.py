"""Prompt templates (``prompts/*.txt``, ``string.Template`` syntax), loaded once per process.

Every user template puts the material in ``$data``; the other placeholders are short.
"""

from functools import cache
from importlib.resources import files
from string import Template

from contracts.types import Mode
from services.worker.summarizer.llm.chunking import MESSAGE_TOKENS, estimate_tokens

PACKAGE = "services.worker.summarizer.llm"
SLACK_TOKENS = 96
"""For the short placeholders (part numbers, mode name, counts) and the error in a retry."""
ERROR_CHARS = 200
MODE_NAMES = {Mode.SELF_REPORT: "self-report", Mode.INTERVIEW: "interview", Mode.NOTES: "notes"}


@cache
def text(name: str) -> str:
    """The template file ``prompts/{name}.txt``, stripped."""
    return (files(PACKAGE) / "prompts" / f"{name}.txt").read_text(encoding="utf-8").strip()


def render(name: str, **values: object) -> str:
    """Template ``name`` with ``values`` substituted (KeyError when one is missing)."""
    return Template(text(name)).substitute(values)


def guidance(mode: Mode) -> str:
    """What to pay attention to in ``mode``."""
    return text(f"guidance_{mode.value.lower()}")


def retry_note(error: str) -> str:
    """The follow-up message after an answer that could not be parsed."""
    return render("retry", error=error[:ERROR_CHARS])


def instructions(user: str, data: str) -> str:
    """What a request says besides its material: the system prompt, the user prompt
    without ``data``, the retry note's template (an answer must not echo any of them)."""
    return "\n".join([text("system"), user.replace(data, "\n"), text("retry")])


@cache
def overhead(name: str) -> int:
    """Tokens a request with template ``name`` spends besides ``$data`` and the answer:
    the system prompt, the template, the longest guidance, a retry note, framing, slack."""
    fixed = [text("system"), text(name), text("retry"), max(map(guidance, Mode), key=len)]
    return sum(estimate_tokens(t) for t in fixed) + 3 * MESSAGE_TOKENS + SLACK_TOKENS
