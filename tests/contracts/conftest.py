"""Contract tests: each exercises one private internal of a library that a module of
``shared/adapters`` (or the worker's Celery consumer) relies on, and fails naming the
library's version and the adapter to change when an upgrade changes it."""

from importlib.metadata import version


def broken(library: str, what: str, adapter: str) -> str:
    return (
        f"{library} {version(library)} changed what {adapter} relies on: {what}. "
        f"Adapt {adapter} (or pin {library} below this version)."
    )
