"""Time the built-in engines on 1k, 10k and 20k-word sessions, one core.

    python -m bench.summarizer [--runs 7]

``legacy`` is the engine before the fact layer.
Sessions are built from the transcripts in tests/data/transcripts, concatenated (and
repeated) turn by turn up to the word count. Prints the median of ``--runs`` timed runs
after one warm-up, in CPU time of this process (one thread): on a shared machine wall
time also counts the neighbours' work. Not a test.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy loads: one BLAS thread

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from itertools import cycle  # noqa: E402

from contracts.types import Mode  # noqa: E402
from services.worker.summarizer import SessionSource, Summarizer, Turn  # noqa: E402
from services.worker.summarizer.extractive import LegacyExtractiveSummarizer  # noqa: E402
from services.worker.summarizer.registry import build_summarizer  # noqa: E402
from services.worker.summarizer.text import word_count  # noqa: E402
from tests.transcripts import load_transcripts, to_source  # noqa: E402

SIZES = (1_000, 10_000, 20_000)


def session_of(words: int) -> SessionSource:
    """An INTERVIEW session of about ``words`` words made of the transcripts' turns."""
    turns: list[Turn] = []
    total = 0
    for turn in cycle(t for d in load_transcripts() for t in to_source(d).turns):
        if total >= words:
            break
        turns.append(turn)
        total += word_count(turn.text)
    return SessionSource(
        session_id=f"bench-{words}", candidate_id="c", mode=Mode.INTERVIEW, turns=turns
    )


def median_seconds(engine_name: str, source: SessionSource, runs: int) -> float:
    engine: Summarizer = (
        LegacyExtractiveSummarizer() if engine_name == "legacy" else build_summarizer(engine_name)
    )
    engine.summarize_session(source)
    timings = []
    for _ in range(runs):
        started = time.process_time()
        engine.summarize_session(source)
        timings.append(time.process_time() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(f"{'words':>8} {'turns':>6} {'extractive ms':>14} {'legacy ms':>10} {'fake ms':>8}")
    for size in SIZES:
        source = session_of(size)
        words = sum(word_count(t.text) for t in source.turns)
        extractive = median_seconds("extractive", source, args.runs) * 1000
        legacy = median_seconds("legacy", source, args.runs) * 1000
        fake = median_seconds("fake", source, args.runs) * 1000
        print(f"{words:>8} {len(source.turns):>6} {extractive:>14.1f} {legacy:>10.1f} {fake:>8.2f}")


if __name__ == "__main__":
    main()
