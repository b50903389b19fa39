"""The evaluation's fixed word budget: what a reader reads in the first words."""

from bench.eval.engines import Output


def test_the_first_words_are_the_distinct_strings_in_order_cut_at_the_budget() -> None:
    output = Output(["one two three", "four five", "one two three", "six seven eight"], None, 0.0)
    assert output.first_words(4) == ["one two three", "four"]
    assert output.first_words(5) == ["one two three", "four five"]
    assert output.first_words(100) == ["one two three", "four five", "six seven eight"]
    assert output.words == 8
