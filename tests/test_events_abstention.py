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


def test_a_reason_denied_beside_a_negated_clause_is_not_an_event(nlp):
    # the article's own typography (curly apostrophes) makes the parser attach the because-clause beside the
    # negated verb, not under it: the reason is still denied
    text = ("Kim Jong-un met Putin. But a key fact should be remembered: the North Koreans aren\u2019t supporting "
            "Russia\u2019s war against Ukraine for free, out of the goodness of their hearts, or even because the Kim "
            "regime agrees philosophically with what Putin is attempting to do.")
    got = events(nlp, text)
    assert [e["verb"] for e in got] == ["met"], got
    # another denied reason, with a coded verb in it
    got = events(nlp, "Seoul isn't sending aid to Kyiv out of charity, or even because Yoon Suk-yeol met "
                      "Volodymyr Zelensky in Warsaw.")
    assert got == [], got
    ev, ab = code_text("Japan is not helping Ukraine just because the United States pressured Tokyo.", D, nlp,
                       with_abstained=True)
    assert ev == [] and any(a["verb"] == "pressured" and a["reason"].startswith("a reason denied") for a in ab)


def test_a_reason_given_for_a_negated_action_is_still_an_event(nlp):
    # "did not attend because Russia expelled ...": the expulsion is the reason given, not one denied
    ev, ab = code_text("North Korea did not attend the meeting because Russia expelled its diplomats.", D, nlp,
                       with_abstained=True)
    assert not any(a["reason"].startswith("a reason denied") for a in ab), ab
    assert [(e["source"], e["code"][:2]) for e in ev if e["verb"] == "expelled"] == [("RUS", "16")], ev


def test_agreement_of_outlook_is_not_an_event(nlp):
    for t in ("The Kim regime agrees philosophically with what Putin is attempting to do.",
              "Beijing agrees with what Moscow is doing in Ukraine.",
              "Tehran sympathises ideologically with Moscow."):
        ev, ab = code_text(t, D, nlp, with_abstained=True)
        assert ev == [], (t, ev)
    # agreeing in the past with a proposal is still coded
    assert [c[:2] for _, _, c in codes(nlp, "Russia agreed with what Seoul proposed.")] == ["03"]
