"""Giving or providing details or information is not material cooperation (CAMEO 06) when no actor receives it: it is
a statement (hand-written sentences; the first is the shape of the motivating article's Blinken sentence)."""

from pactwatch.events.coder import code_text
from tests.helpers.events import D


def test_giving_details_to_the_press_is_a_statement_not_cooperation(nlp):
    text = ("Antony Blinken gave more detail, telling reporters that North Korean soldiers were being trained in "
            "artillery.")
    ev, ab = code_text(text, D, nlp, with_abstained=True)
    assert not any(e["root"] == "06" for e in ev), ev
    assert any(a["verb"] == "gave" and "statement" in a["reason"] for a in ab), ab


def test_details_given_to_another_actor_are_shared_information(nlp):
    got = [(e["source"], e["target"], e["code"]) for e in code_text("Seoul gave Washington more detail.", D, nlp)]
    assert got == [("KOR", "USA", "064")], got
