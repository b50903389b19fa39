"""A candidate's profile through the model: session summaries in, recurring themes out."""

from collections.abc import Sequence
from datetime import UTC, datetime

from services.worker.summarizer.base import SessionWithSummary
from services.worker.summarizer.llm import prompts, schemas
from services.worker.summarizer.llm.asking import Asker
from services.worker.summarizer.llm.chunking import SEPARATOR, Budget, pack_groups
from services.worker.summarizer.llm.digest import digest
from services.worker.summarizer.llm.grounding import Grounding
from services.worker.summarizer.llm.mapreduce import combine
from services.worker.summarizer.llm.parsing import ProfileAnswer, parse_profile


def profile_answer(
    ask: Asker,
    sessions: Sequence[SessionWithSummary],
    budget: Budget,
    superseded: Sequence[str] = (),
) -> ProfileAnswer:
    """Overview, recurring topics and highlights over ``sessions`` (oldest first), none
    repeating a ``superseded`` value.

    Sessions that do not fit one request are profiled in groups, then combined.
    """
    limit = budget.data_tokens(prompts.overhead("profile"))
    digests = [_session_digest(s, limit) for s in ordered(sessions)]
    partials = [
        _ask(ask, "profile", SEPARATOR.join(digests[i] for i in group), len(group), superseded)
        for group in pack_groups(digests, limit)
    ]

    def reduce(data: str, count: int) -> ProfileAnswer:
        return _ask(ask, "profile_reduce", data, count, superseded)

    return combine(
        partials, _profile_digest, reduce, budget.data_tokens(prompts.overhead("profile_reduce"))
    )


def _ask(
    ask: Asker, template: str, data: str, count: int, superseded: Sequence[str]
) -> ProfileAnswer:
    """The model's profile of ``data``, held to it (numbers, no echo of the prompt, no
    superseded value)."""
    user = prompts.render(template, count=count, data=data)
    instructions = prompts.instructions(user, data)
    check = Grounding(data, instructions, figures=[count], superseded=superseded)

    def parse(text: str) -> ProfileAnswer:
        answer = parse_profile(text)
        check.check(answer.prose(), answer.labels())
        return answer

    return ask(user, parse, schemas.PROFILE)


def ordered(sessions: Sequence[SessionWithSummary]) -> list[SessionWithSummary]:
    """Oldest first; undated sessions last, in their given order."""
    return sorted(sessions, key=lambda s: _moment(s.source.occurred_at))


def _session_digest(session: SessionWithSummary, limit: int) -> str:
    summary, when = session.summary, session.source.occurred_at
    day = f"{when:%Y-%m-%d}" if when else "undated"
    title = f"Session {session.source.session_id} ({day}, {prompts.MODE_NAMES[summary.mode]})"
    sections = [
        ("Overview", summary.overview),
        ("Key points", summary.key_points),
        ("Topics", summary.topics),
    ]
    return digest(title, sections, limit)


def _profile_digest(answer: ProfileAnswer, number: int, count: int, limit: int) -> str:
    topics = [f"{t.topic} ({t.sessions} sessions)" for t in answer.recurring_topics]
    sections = [
        ("Overview", answer.overview),
        ("Recurring topics", topics),
        ("Highlights", answer.highlights),
    ]
    return digest(f"Group {number} of {count}", sections, limit)


def _moment(moment: datetime | None) -> tuple[bool, datetime]:
    if moment is None:
        return (True, datetime.min.replace(tzinfo=UTC))
    return (False, moment if moment.tzinfo else moment.replace(tzinfo=UTC))
