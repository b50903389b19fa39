"""A trivial, fast engine so benchmarks and fault tests measure the pipeline, not the
summarizer. Its output is valid but says little: the first sentence, no topics."""

from collections.abc import Sequence

from contracts.summary import ProfileCoverage, ProfileSummary, SessionSummary, TimelineEntry
from services.worker.summarizer.base import NothingToSummarize, SessionSource, SessionWithSummary
from services.worker.summarizer.profile import NO_SESSIONS, trim
from services.worker.summarizer.sentences import eligible_turns
from services.worker.summarizer.stats import source_stats, speaker_stats
from services.worker.summarizer.text import split_sentences, strip_leading_filler

VERSION = "1.0"


class FakeSummarizer:
    """Overview = the first sentence of the first turn the mode reads."""

    name = "fake"
    version = VERSION

    def summarize_session(self, source: SessionSource) -> SessionSummary:
        _, turn = eligible_turns(source)[0]
        first = split_sentences(turn.text)[:1]
        return SessionSummary(
            mode=source.mode,
            overview=[strip_leading_filler(s) for s in first],
            key_points=[],
            topics=[],
            speakers=speaker_stats(source),
            source=source_stats(source),
            engine=self.name,
            engine_version=self.version,
        )

    def summarize_profile(
        self, candidate_id: str, sessions: Sequence[SessionWithSummary]
    ) -> ProfileSummary:
        if not sessions:
            raise NothingToSummarize(NO_SESSIONS)
        return ProfileSummary(
            candidate_id=candidate_id,
            overview=[f"{len(sessions)} session(s) summarized."],
            recurring_topics=[],
            timeline=[_entry(s) for s in sessions],
            highlights=[],
            coverage=ProfileCoverage(
                sessions=len(sessions), words=sum(s.summary.source.words for s in sessions)
            ),
            engine=self.name,
            engine_version=self.version,
        )


def _entry(session: SessionWithSummary) -> TimelineEntry:
    overview = session.summary.overview
    return TimelineEntry(
        session_id=session.source.session_id,
        date=session.source.occurred_at,
        mode=session.summary.mode,
        gist=trim(overview[0], 160) if overview else "No summary text.",
    )
