"""The worker's composition root: what a task needs, made once per worker process."""

import os
from dataclasses import dataclass

from services.worker.settings import WorkerSettings
from services.worker.simulation import SimulatedWork
from services.worker.summarizer import Summarizer
from services.worker.summarizer.registry import build_summarizer
from shared.store import Database


@dataclass
class WorkerContext:
    settings: WorkerSettings
    db: Database
    summarizer: Summarizer


class ContextHolder:
    """Builds the context lazily in the process that uses it (after a prefork fork)."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self._context: WorkerContext | None = None
        self._pid = 0

    def get(self) -> WorkerContext:
        if self._context is None or self._pid != os.getpid():
            db = Database(self.settings.database_url)
            db.create_schema()
            summarizer = build_summarizer(self.settings.summarizer_engine, self.settings)
            if self.settings.summarizer_engine == "fake":
                summarizer = SimulatedWork(summarizer, self.settings.fake_work_seconds)
            self._context = WorkerContext(settings=self.settings, db=db, summarizer=summarizer)
            self._pid = os.getpid()
        return self._context
