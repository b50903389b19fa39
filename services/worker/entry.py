"""``celery -A services.worker.entry ...`` (Flower, inspect, purge): the configured app.

Building the app connects to nothing; clients are made when a task or command runs.
"""

from services.worker.bootstrap import build
from services.worker.settings import WorkerSettings

app = build(WorkerSettings()).app
