"""Evaluate the engines on tests/data/eval and print one table per split.

    python -m bench.eval                      # dev and held-out, every engine
    python -m bench.eval --split dev --details  # what each engine missed on dev

The held-out split prints aggregates only: ``--details`` is refused for it, so nobody
tunes an engine on what it missed there.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy loads: one BLAS thread

import argparse  # noqa: E402
import sys  # noqa: E402

from bench.eval.data import SPLITS, load_profiles, load_sessions  # noqa: E402
from bench.eval.engines import ENGINES  # noqa: E402
from bench.eval.report import table  # noqa: E402
from bench.eval.scoring import score  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--split", choices=[*SPLITS, "all"], default="all")
    parser.add_argument("--engine", action="append", choices=list(ENGINES))
    parser.add_argument("--details", action="store_true", help="misses per fact (dev only)")
    args = parser.parse_args(argv)
    splits = SPLITS if args.split == "all" else (args.split,)
    if args.details and "heldout" in splits:
        parser.error("--details is for the dev split only (--split dev)")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    engines = [ENGINES[name]() for name in (args.engine or list(ENGINES))]
    for split in splits:
        sessions, profiles = load_sessions(split), load_profiles(split)
        scores = [score(engine, sessions, profiles) for engine in engines]
        print(table(split, len(sessions), scores), end="\n\n")
        if args.details:
            for result in scores:
                print(f"{result.engine} missed:")
                print("\n".join(f"  {m}" for m in result.misses) or "  nothing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
