"""The sentence splitter and the word helpers of the built-in engine."""

import pytest

from services.worker.summarizer.text import (
    remove_fillers,
    split_sentences,
    stem,
    strip_leading_filler,
    tokenize,
    word_count,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I worked with Dr. Patel on it. It shipped.",
            ["I worked with Dr. Patel on it.", "It shipped."],
        ),
        (
            "We used queues, e.g. Kafka and i.e. not cron. Fine.",
            ["We used queues, e.g. Kafka and i.e. not cron.", "Fine."],
        ),
        (
            "Latency dropped from 3.5 seconds to 0.3 seconds. Good.",
            ["Latency dropped from 3.5 seconds to 0.3 seconds.", "Good."],
        ),
        (
            "I moved to the U.S. Then I joined a startup.",
            ["I moved to the U.S.", "Then I joined a startup."],
        ),
        ("She works at the U.S. Army base now.", ["She works at the U.S. Army base now."]),
        ("We met at 9 a.m. We talked.", ["We met at 9 a.m.", "We talked."]),
        ("I was thinking... maybe not. Anyway.", ["I was thinking... maybe not.", "Anyway."]),
        ("The end... Really? Yes!", ["The end...", "Really?", "Yes!"]),
        ("J. R. Smith wrote it. Sure.", ["J. R. Smith wrote it.", "Sure."]),
        (
            "We used Kafka, Flink, etc. Then we stopped",
            ["We used Kafka, Flink, etc.", "Then we stopped"],
        ),
        ("no final period here", ["no final period here"]),
        ("I joined St. Mary's in 2019.", ["I joined St. Mary's in 2019."]),
        ("So what I did was—", ["So what I did was—"]),
        (
            "- Strong on Kafka\n- Weak on tests.\n1. Follow up",
            ["Strong on Kafka", "Weak on tests.", "Follow up"],
        ),
        ('He said "it broke." Then he left.', ['He said "it broke."', "Then he left."]),
        ("", []),
        ("...", []),
    ],
)
def test_split_sentences_keeps_sentences_whole(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_sentences_are_verbatim_slices() -> None:
    text = "Um, so we, uh, migrated in 2021.   It took 1.5 years, e.g. longer than planned!"
    for sentence in split_sentences(text):
        assert sentence in text


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Um, so, we migrated.", "We migrated."),
        ("Uh, yeah, it worked.", "It worked."),
        ("So far we have two teams.", "So far we have two teams."),
        ("Well, I mean, it depends.", "It depends."),
        ("We migrated.", "We migrated."),
        ("Um.", "Um."),
    ],
)
def test_strip_leading_filler(sentence: str, expected: str) -> None:
    assert strip_leading_filler(sentence) == expected


def test_remove_fillers_for_scoring() -> None:
    text = "Um, so I, uh, led the team, you know, and it was, like, great."
    assert remove_fillers(text) == "so I led the team and it was great."


def test_tokenize_keeps_technical_tokens() -> None:
    assert tokenize("C++, node.js, CI/CD, k8s, on-call, don't, 3.5") == [
        "c++",
        "node.js",
        "ci",
        "cd",
        "k8s",
        "on-call",
        "don't",
        "3.5",
    ]


def test_stem_groups_inflections() -> None:
    assert len({stem(w) for w in ("migrated", "migrating", "migration", "migrate")}) == 1
    assert stem("pipelines") == stem("pipeline")
    assert stem("stakeholders") == stem("stakeholder")


def test_word_count_ignores_punctuation_only_tokens() -> None:
    assert word_count("Yes — it took 3.5 years, e.g. too long.") == 8
