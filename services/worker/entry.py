"""``celery -A services.worker.entry ...`` (Flower, inspect, purge): the configured app.

Building the app connects to nothing; clients are made when a task or command runs.
"""

from services.worker.app import create_worker_app
from services.worker.settings import WorkerSettings

app = create_worker_app(WorkerSettings())
