"""A seize-family verb (CAMEO 17) whose object is a quantity, a concession or a chance is not seizure of property
(hand-written sentences; the first is the shape of the motivating article's "extracting as much from Moscow as he
possibly can")."""

from pactwatch.events.coder import code_text
from tests.helpers.events import D, codes


def test_extracting_as_much_as_possible_is_not_seizing_property(nlp):
    for t in ("Kim Jong-un met Putin. Kim is extracting as much from Moscow as he possibly can.",
              "Pyongyang extracted major concessions from Moscow.",
              "Beijing seized the initiative in the talks with Seoul."):
        ev, ab = code_text(t, D, nlp, with_abstained=True)
        assert not any(e["root"] == "17" for e in ev), (t, ev)
    ev, ab = code_text("Pyongyang extracted major concessions from Moscow.", D, nlp, with_abstained=True)
    assert any(a["verb"] == "extracted" and "figurative" in a["reason"] for a in ab), ab


def test_seizing_property_is_still_coded_as_seizure(nlp):
    got = codes(nlp, "Russia confiscated North Korean ships.")
    assert [c[:2] for _, _, c in got] == ["17"], got
