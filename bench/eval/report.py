"""The table: one column per engine, one block per split."""

from collections.abc import Sequence
from statistics import median

from bench.eval.scoring import BUDGETS, Score

KINDS = (
    "role", "experience", "achievement", "motivation", "location", "notice", "authorization",
    "compensation", "availability", "remote", "skill", "statement", "correction",
)  # fmt: skip
_WIDTH = 16


def table(split: str, sessions: int, scores: Sequence[Score]) -> str:
    facts = sum(scores[0].total.values()) if scores else 0
    words = scores[0].words if scores else 0
    lines = [
        f"{split}: {sessions} sessions, {facts} facts, {words} words",
        _row("", [s.engine for s in scores]),
        _row("fact recall", [_pct(s.recall) for s in scores]),
        _row("  in overview+points", [_pct(s.lead_recall) for s in scores]),
        _row("summary words, median", [str(int(median(s.summary_words))) for s in scores]),
    ]
    lines += [
        _row(f"  in first {n} words", [_pct(s.recall_within(n)) for s in scores]) for n in BUDGETS
    ]
    kinds = [k for k in KINDS if scores and scores[0].total[k]]
    kinds += sorted(k for k in (scores[0].total if scores else {}) if k not in KINDS)
    for kind in kinds:
        lines.append(_row(f"  {kind}", [f"{s.found[kind]}/{s.total[kind]}" for s in scores]))
    lines += [
        _row("interviewer leaks", [str(s.leaks) for s in scores]),
        _row("cut sentences", [_if_summary(s, s.cut) for s in scores]),
        _row("ungrounded items", [_if_summary(s, s.ungrounded) for s in scores]),
        _row("CPU ms per 1k words", [f"{s.ms_per_1k_words:.1f}" for s in scores]),
    ]
    for kind in sorted(scores[0].profile_total if scores else {}):
        lines.append(
            _row(
                f"profile {kind}",
                [f"{s.profile_found[kind]}/{s.profile_total[kind]}" for s in scores],
            )
        )
    return "\n".join(lines)


def _row(label: str, cells: Sequence[str]) -> str:
    return f"{label:<22}" + "".join(f"{c:>{_WIDTH}}" for c in cells)


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


def _if_summary(score: Score, value: int) -> str:
    """Cut sentences and grounding apply to structured summaries, not to raw text."""
    return "-" if score.engine.startswith(("first-", "numbers-")) else str(value)
