"""Names of Idempotency-Key records: one per (caller, key) pair, whatever they contain."""

from services.gateway.idempotency import record_name

PAIRS = [
    ("alice", "k:1"),
    ("alice:k", "1"),
    ("alice", "%3A1"),
    ("alice", ":1"),
    ("a%3Ab", "k"),
    ("a:b", "k"),
    ("a", "b:c:d"),
    ("a:b:c", "d"),
    ("", "a:b"),
    ("a:", "b"),
]


def test_no_two_caller_and_key_pairs_share_a_record() -> None:
    names = {record_name("summarization:", caller, key) for caller, key in PAIRS}
    assert len(names) == len(PAIRS)


def test_plain_ids_keep_the_names_they_had() -> None:
    """Records written before the parts were encoded are still found after an upgrade."""
    assert record_name("p:", "billing", "order-42_x.y~z") == "p:idem:billing:order-42_x.y~z"
