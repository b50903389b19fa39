"""A session through the model: chunks of the turns its mode reads (map), then combined."""

from services.worker.summarizer.base import SessionSource
from services.worker.summarizer.llm import prompts
from services.worker.summarizer.llm.asking import Asker
from services.worker.summarizer.llm.chunking import Budget, pack, turn_units
from services.worker.summarizer.llm.digest import digest
from services.worker.summarizer.llm.mapreduce import combine
from services.worker.summarizer.llm.parsing import SessionAnswer, parse_session
from services.worker.summarizer.sentences import eligible_turns
from shared.logging import get_logger

log = get_logger(__name__)


def session_answer(ask: Asker, source: SessionSource, budget: Budget) -> SessionAnswer:
    """Overview, key points and topics of ``source`` as the model writes them.

    Only the turns the mode reads are sent (SELF_REPORT: the candidate's), so it raises
    ``NothingToSummarize`` exactly as the built-in engine does, before any call.
    """
    turns = [turn for _, turn in eligible_turns(source)]
    about = {
        "guidance": prompts.guidance(source.mode),
        "mode_name": prompts.MODE_NAMES[source.mode],
    }
    limit = budget.data_tokens(prompts.overhead("session_map"))
    chunks = pack(turn_units(turns, limit), limit)
    log.info("llm_session_chunks", session_id=source.session_id, chunks=len(chunks))
    partials = [
        ask(
            prompts.render("session_map", part=i + 1, parts=len(chunks), data=chunk, **about),
            parse_session,
        )
        for i, chunk in enumerate(chunks)
    ]

    def reduce(data: str, count: int) -> SessionAnswer:
        return ask(prompts.render("session_reduce", parts=count, data=data, **about), parse_session)

    return combine(
        partials, _digest, reduce, budget.data_tokens(prompts.overhead("session_reduce"))
    )


def _digest(answer: SessionAnswer, number: int, count: int, limit: int) -> str:
    sections = [
        ("Overview", answer.overview),
        ("Key points", answer.key_points),
        ("Topics", answer.topics),
    ]
    return digest(f"Part {number} of {count}", sections, limit)
