"""The dispatcher's metrics."""

from prometheus_client import Counter

DISPATCHED = Counter("summarization_dispatched_total", "Celery tasks sent", ["kind"])
DUPLICATES = Counter("summarization_duplicate_requests_total", "Requests already sent")
DEAD_LETTERED = Counter(
    "summarization_requests_dead_lettered_total", "Events sent to the requested DLQ", ["cause"]
)
DEAD_LETTER_CAUSES = ("invalid", "max_deliveries")
RECLAIMED = Counter("summarization_entries_reclaimed_total", "Pending entries claimed again")
GROUPS_RECREATED = Counter(
    "summarization_consumer_groups_recreated_total", "Consumer groups lost by Redis and re-made"
)
REDISPATCHED = Counter(
    "summarization_tasks_redispatched_total",
    "Tasks sent again: still PENDING REDISPATCH_AFTER seconds after they were sent",
)

# Every cause exported at 0 from the start: a series that first appears at 1 is no
# increase to Prometheus' increase(), and the first dead letter after a start would
# raise no alert.
for _cause in DEAD_LETTER_CAUSES:
    DEAD_LETTERED.labels(_cause)
