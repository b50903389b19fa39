"""A session through the model: chunks of the turns its mode reads (map), then combined.

Each chunk's answer carries the text layer and the facts, held to the chunk (see
``grounding``); the text layers are combined by the model, the facts without it (their
evidence is already checked, and a combining request no longer has the transcript).
"""

from collections.abc import Sequence

from contracts.summary import SessionFacts
from services.worker.summarizer.base import SessionSource
from services.worker.summarizer.llm import prompts, schemas
from services.worker.summarizer.llm.asking import Asker
from services.worker.summarizer.llm.chunking import Budget, Chunk, numbered_chunks
from services.worker.summarizer.llm.digest import digest
from services.worker.summarizer.llm.grounding import Grounding, ground_facts
from services.worker.summarizer.llm.mapreduce import combine
from services.worker.summarizer.llm.parsing import MAX_FACTS, SessionAnswer, parse_session
from services.worker.summarizer.sentences import eligible_turns
from shared.logging import get_logger

log = get_logger(__name__)

Partial = tuple[SessionAnswer, SessionFacts]


def session_answer(ask: Asker, source: SessionSource, budget: Budget) -> Partial:
    """Overview, key points and topics of ``source`` as the model writes them, and the
    facts it found, each quoted from the turn it cites.

    Only the turns the mode reads are sent (SELF_REPORT: the candidate's), so it raises
    ``NothingToSummarize`` exactly as the built-in engine does, before any call.
    """
    about = {
        "guidance": prompts.guidance(source.mode),
        "mode_name": prompts.MODE_NAMES[source.mode],
    }
    limit = budget.data_tokens(prompts.overhead("session_map"))
    chunks = numbered_chunks(eligible_turns(source), limit)
    log.info("llm_session_chunks", session_id=source.session_id, chunks=len(chunks))
    partials = [
        _ask_chunk(
            ask,
            source,
            chunk,
            prompts.render("session_map", part=i + 1, parts=len(chunks), data=chunk.text, **about),
        )
        for i, chunk in enumerate(chunks)
    ]

    def reduce(data: str, count: int) -> SessionAnswer:
        user = prompts.render("session_reduce", parts=count, data=data, **about)
        check = Grounding(data, prompts.instructions(user, data))

        def parse(text: str) -> SessionAnswer:
            answer = parse_session(text)
            check.check(answer.prose(), answer.labels())
            return answer

        return ask(user, parse, schemas.SESSION_REDUCE)

    answer = combine(
        [answer for answer, _ in partials],
        _digest,
        reduce,
        budget.data_tokens(prompts.overhead("session_reduce")),
    )
    return answer, merge_facts([facts for _, facts in partials])


def _ask_chunk(ask: Asker, source: SessionSource, chunk: Chunk, user: str) -> Partial:
    turns = {number: (index, source.turns[index]) for number, index in chunk.numbers.items()}
    said = "\n".join(turn.text for _, turn in turns.values())
    check = Grounding(said, prompts.instructions(user, chunk.text))

    def parse(text: str) -> Partial:
        answer = parse_session(text)
        check.check(answer.prose(), answer.labels())
        return answer, ground_facts(answer.facts, turns, source.mode)

    return ask(user, parse, schemas.SESSION_MAP)


def merge_facts(parts: Sequence[SessionFacts]) -> SessionFacts:
    """The chunks' facts in one: each list takes every chunk's first item, then every
    chunk's second, and so on (each chunk's order is its importance), without repeating a
    value, up to ``MAX_FACTS``."""
    if len(parts) == 1:
        return parts[0]
    merged: dict[str, list[object]] = {}
    for name in SessionFacts.model_fields:
        lists = [getattr(part, name) for part in parts]
        seen: set[str] = set()
        kept: list[object] = []
        for rank in range(max(map(len, lists), default=0)):
            for items in lists:
                if rank < len(items) and items[rank].value.lower() not in seen:
                    seen.add(items[rank].value.lower())
                    kept.append(items[rank])
        merged[name] = kept[:MAX_FACTS]
    return SessionFacts.model_validate(merged)


def _digest(answer: SessionAnswer, number: int, count: int, limit: int) -> str:
    sections = [
        ("Overview", answer.overview),
        ("Key points", answer.key_points),
        ("Topics", answer.topics),
    ]
    return digest(f"Part {number} of {count}", sections, limit)
