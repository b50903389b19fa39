"""``make eval``: what the summaries tell their reader, on transcripts written for it.

Reads tests/data/eval/ (format in its README). Only the aggregate figures of the
held-out split are ever printed; per-fact details are for the dev split only.
"""
