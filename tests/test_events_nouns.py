"""Events named by nouns: deverbal nouns, a light verb's object noun ("announced the expulsion of", "carried out
strikes against"), appeal/pledge nouns with an infinitive, event nouns as subjects of aspectual verbs. Hand-written
sentences, none from the gold sets."""

import pytest

from pactwatch.events.patterns import deverbal_candidates
from tests.helpers.events import codes, events


@pytest.mark.parametrize("noun, verb", [("suspension", "suspend"), ("withdrawal", "withdraw"), ("admission", "admit"),
                                        ("expulsion", "expel"), ("attack", "attack"), ("deployment", "deploy"),
                                        ("threat", "threaten"), ("invasion", "invade"), ("demonstration", "demonstrate"),
                                        ("bombing", "bomb"), ("release", "release"), ("denial", "deny")])
def test_deverbal_candidates(noun, verb):
    assert verb in deverbal_candidates(noun)


def test_light_verb_with_event_noun_takes_the_nouns_code(nlp):
    got = codes(nlp, "Israel carried out air strikes against Hamas targets in Gaza on Friday.")
    assert got and got[0][0] == "ISR" and got[0][2][:2] in ("19", "18"), got
    got = codes(nlp, "Japan announced the release of four Chinese fishermen.")
    assert got and got[0][0] == "JPN" and got[0][2][:2] == "08", got


def test_threat_of_an_event_noun_is_a_threat(nlp):
    got = events(nlp, "Turkey threatened an invasion of Syria.")
    assert [(e["source"], e["target"], e["code"][:2]) for e in got] == [("TUR", "SYR", "13")], got
    assert got[0]["pattern"].startswith("noun:")
    # a family without a code for the action ('demand' + expulsion): the noun rule codes nothing, the verb's own
    # code stands
    got = events(nlp, "Russia demanded the expulsion of Polish diplomats.")
    assert got and not got[0]["pattern"].startswith("noun:") and got[0]["code"][:2] == "10", got


def test_statement_nouns_are_not_events(nlp):
    # "made a statement" names nothing but a statement: still the residual 010, so no event
    assert codes(nlp, "France made a statement on Tuesday.") == []
    assert codes(nlp, "Germany announced its decision on Monday.") == []


def test_noun_rule_needs_a_light_verb(nlp):
    # 'violated a ban' is not the ban being imposed (172): the noun rule does not apply to ordinary verbs
    assert all(c != "172" for _, _, c in codes(nlp, "North Korea violated a ban on missile exports."))


def test_appeal_or_pledge_noun_with_infinitive_is_the_verbal_family(nlp):
    got = events(nlp, "Turkey renewed an appeal to Belgium to extradite a militant.")
    assert [(e["source"], e["target"], e["code"][:2]) for e in got] == [("TUR", "BEL", "02")], got
    got = events(nlp, "Japan made a pledge to send aid to Haiti.")
    assert [(e["source"], e["target"], e["code"][:2]) for e in got] == [("JPN", "HTI", "03")], got
    # negated maker: no event
    assert codes(nlp, "Japan did not make a pledge to send aid to Haiti.") == []
    # ignoring someone else's call is not making it: the noun rule does not make Iran the caller
    assert all(c[:2] != "02" for _, _, c in codes(nlp, "Iran ignored a call by France to stop enriching uranium."))


def test_event_noun_as_subject_of_an_aspectual_verb(nlp):
    got = events(nlp, "Palestinian riots against Israeli military policies are still continuing.")
    assert [(e["source"], e["target"], e["code"][:2]) for e in got] == [("PSE", "ISR", "14")], got
    got = events(nlp, "Russian attacks on Ukrainian cities continued on Monday.")
    assert [(e["source"], e["target"], e["code"][:2]) for e in got] == [("RUS", "UKR", "19")], got
    # a non-event subject keeps the ordinary coding (no event from 'continue' itself)
    assert codes(nlp, "The weather continued to be cold in Moscow.") == []


def test_undertaking_an_event_noun_performs_it(nlp):
    # 'undertake' + to-infinitive is a stated intention (03); 'undertook a mediation' is the mediation itself
    got = events(nlp, "Egypt undertook a mediation between Israel and Hamas.")
    assert got and all(e["code"][:2] != "03" for e in got), got
