"""Who did it: quantity nouns ('hundreds of inmates') as unresolved sources, the 'by' phrase of an attack noun as the
source, a passive victim of an attack by someone. Hand-written sentences, none from the gold sets."""

from tests.helpers.events import codes, events


def test_quantity_noun_subject_is_an_unresolved_actor(nlp):
    # before: "Hundreds" is no actor -> abstention; now the 'of' noun with an agent word is the (unresolved) source
    e = events(nlp, "Hundreds of inmates rioted at a prison near the capital on Monday.")
    assert [(x["source"], x["code"][:2]) for x in e] == [(None, "14")]
    assert e[0]["source_sector"] == "CRM" and e[0]["source_text"] == "inmates"
    # a bare number or a pronoun is still no actor
    assert events(nlp, "Hundreds of them rioted at a prison on Monday.") == []


def test_attack_noun_subject_takes_its_by_phrase_as_source(nlp):
    e = codes(nlp, "A car bombing by Boko Haram killed 40 Nigerian villagers on Sunday.")
    assert e and e[0][0] == "NGA" and e[0][2] == "183"


def test_passive_victim_of_an_attack_by_someone(nlp):
    got = events(nlp, "Three Lebanese soldiers were killed in an air strike by Israel on Tuesday.")
    assert [(e["source"], e["target"], e["code"][:2]) for e in got] == [("ISR", "LBN", "19")], got
    # no doer named: still no event (abstain rather than guess)
    assert codes(nlp, "Three Lebanese soldiers were killed in an air strike on Tuesday.") == []
