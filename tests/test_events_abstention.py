"""When the coder abstains: a subordinate clause when the main clause codes, an imperative addressed to the reader,
a hedged guess, a reason denied by a negated verb (hand-written sentences, none from the gold sets)."""

from pactwatch.events.coder import code_text
from tests.helpers.events import D, codes, events


def test_subordinate_clause_dropped_when_main_clause_codes(nlp):
    ev, ab = code_text("Egypt hosted talks with Qatar, killing time before the vote.", D, nlp, with_abstained=True)
    assert [e["verb"] for e in ev] == ["hosted"]
    assert any(a["verb"] == "killing" and a["reason"].startswith("subordinate clause") for a in ab)
    # with no event in the main clause, the subordinate one stays
    ev = code_text("The report, which said Iran sent weapons to Syria, was published.", D, nlp)
    assert any(e["verb"] == "sent" for e in ev)


def test_imperative_addressed_to_the_reader_is_not_an_event(nlp):
    # the motivating article: "Strip away the ... tirades both men frequently unveil and what you have are ..."
    text = ("Kim Jong-un and Vladimir Putin met in Pyongyang. Strip away the demagogic tirades both men frequently "
            "unveil and what you have are two leaders who are predictable.")
    got = events(nlp, text)
    assert [e["verb"] for e in got if e["verb"] == "unveil"] == [], got
    assert {e["verb"] for e in got} == {"met"}
    # a coordinated clause with its own subject, or a that-clause, is the author's assertion of a fact: still coded
    got = codes(nlp, "Forget the rhetoric, and Russia attacked Ukraine on Monday.")
    assert ("RUS", "UKR") in {(s, t) for s, t, _ in got}, got
    assert [c[:2] for _, _, c in codes(nlp, "Remember that Russia attacked Ukraine in 2022.")] == ["19"]


def test_hedged_clauses_are_guesses_not_events(nlp):
    assert codes(nlp, "Russia attacked Ukraine.") != []
    for t in ("Russia probably attacked Ukraine.", "Russia is likely to send more troops to Syria.",
              "Russia likely knows this but is going along with it anyway."):
        assert codes(nlp, t) == [], t


def test_a_reason_denied_by_a_negated_verb_is_not_an_event(nlp):
    # the motivating article's sentence
    text = ("But a key fact should be remembered: the North Koreans aren't supporting Russia's war against Ukraine for "
            "free, out of the goodness of their hearts, or even because the Kim regime agrees philosophically with what "
            "Putin is attempting to do.")
    assert all(e["verb"] != "agrees" for e in events(nlp, "Kim Jong-un met Putin. " + text))
