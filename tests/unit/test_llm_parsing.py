"""The model's answer into typed answers: lenient wrapping, strict content."""

import json

import pytest

from services.worker.summarizer.llm.errors import MalformedAnswer
from services.worker.summarizer.llm.parsing import (
    MAX_KEY_POINTS,
    MAX_OVERVIEW,
    parse_profile,
    parse_session,
)

GOOD = {
    "overview": ["Casey led the Kafka migration.", "It took nine months."],
    "key_points": ["Led the Kafka migration"],
    "topics": ["kafka", "event pipelines"],
}


@pytest.mark.parametrize(
    "wrap",
    [
        "{}",
        "```json\n{}\n```",
        "```\n{}\n```",
        "Here is the summary:\n{}\nI hope this helps.",
    ],
)
def test_the_object_is_found_in_its_wrapping(wrap: str) -> None:
    answer = parse_session(wrap.format(json.dumps(GOOD)))
    assert answer.overview == GOOD["overview"]
    assert answer.topics == GOOD["topics"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Sure! The candidate is great.", "no JSON object"),
        ('{"overview": ["a", }', "not JSON"),
        ('["a", "b"]', "no JSON object"),
        ('{"overview": "One sentence.", "key_points": [], "topics": []}', "overview"),
        ('{"overview": ["A."], "key_points": [1, 2], "topics": []}', "key_points.0"),
        ('{"overview": ["A."]}', "key_points: Field required"),
        ('{"overview": ["  ", ""], "key_points": [], "topics": []}', "overview has no sentence"),
        ('{"overview": [], "key_points": [], "topics": []}', "overview"),
    ],
)
def test_malformed_answers_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(MalformedAnswer, match=problem):
        parse_session(text)


def test_items_are_tidied_deduplicated_and_capped() -> None:
    answer = parse_session(
        json.dumps(
            {
                "overview": [f"Sentence {i}." for i in range(10)] + [" Sentence  0. "],
                "key_points": ["Kafka", "kafka", "  ", *[f"p{i}" for i in range(20)]],
                "topics": [],
            }
        )
    )
    assert len(answer.overview) == MAX_OVERVIEW
    assert answer.key_points[0] == "Kafka"
    assert "kafka" not in answer.key_points
    assert len(answer.key_points) == MAX_KEY_POINTS


def test_profile_answers_need_whole_topic_counts() -> None:
    good = {
        "overview": ["Casey builds data pipelines."],
        "recurring_topics": [{"topic": "kafka", "sessions": 2}],
        "highlights": ["Led the Kafka migration."],
    }
    answer = parse_profile(json.dumps(good))
    assert answer.recurring_topics[0].sessions == 2
    bad = {**good, "recurring_topics": [{"topic": "kafka", "sessions": "two"}]}
    with pytest.raises(MalformedAnswer, match=r"recurring_topics\.0\.sessions"):
        parse_profile(json.dumps(bad))
