"""Export the JSON Schemas of every contract to ``contracts/schemas/``.

python -m contracts.export          # write the files
python -m contracts.export --check  # exit 1 when the committed files drift
"""

import argparse
import json
import sys
from pathlib import Path

from pydantic import BaseModel

from contracts import api, events, summary

SCHEMA_DIR = Path(__file__).parent / "schemas"

MODELS: dict[str, type[BaseModel]] = {
    "summarization.requested.v1": events.SummarizationRequested,
    "summarization.completed.v1": events.SummarizationCompleted,
    "summarization.failed.v1": events.SummarizationFailed,
    "summary.session.v2": summary.SessionSummary,
    "summary.profile.v2": summary.ProfileSummary,
    "api.summarize-session.request": api.SummarizeSessionRequest,
    "api.summarize-profile.request": api.SummarizeProfileRequest,
    "api.task-accepted.response": api.TaskAccepted,
    "api.task-status.response": api.TaskStatusResponse,
    "api.task-status.change": api.TaskStatusChange,
    "api.session.create": api.SessionCreate,
    "api.session.response": api.SessionOut,
}


def render() -> dict[str, str]:
    """File name -> schema text, exactly as committed."""
    return {
        f"{name}.json": json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"
        for name, model in MODELS.items()
    }


def drift(directory: Path = SCHEMA_DIR) -> list[str]:
    """Names of the schema files that are missing, stale or unexpected."""
    wanted = render()
    present = {p.name for p in directory.glob("*.json")}
    stale = [
        name
        for name, text in wanted.items()
        if not (directory / name).exists() or (directory / name).read_text() != text
    ]
    return sorted(stale + sorted(present - wanted.keys()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail when committed files drift")
    args = parser.parse_args(argv)
    if args.check:
        stale = drift()
        for name in stale:
            print(f"schema drift: {name} (run: python -m contracts.export)", file=sys.stderr)
        return 1 if stale else 0
    SCHEMA_DIR.mkdir(exist_ok=True)
    for leftover in {p.name for p in SCHEMA_DIR.glob("*.json")} - render().keys():
        (SCHEMA_DIR / leftover).unlink()
    for name, text in render().items():
        (SCHEMA_DIR / name).write_text(text)
    print(f"wrote {len(MODELS)} schemas to {SCHEMA_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
