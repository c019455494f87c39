"""Coreference: 'it' for a body named by a demonym and for a country named as a noun phrase. Hand-written sentences,
none from the gold sets."""

from pactwatch.events.coder import code_text
from tests.helpers.events import D, codes


def test_it_refers_to_a_body_named_by_a_demonym(nlp):
    ev = code_text("The Hungarian parliament met on Monday. It approved the treaty with Austria.", D, nlp)
    assert any(e["verb"] == "approved" and e["source"] == "HUN" and e["target"] == "AUT" for e in ev)


def test_it_resolves_to_country_named_as_noun_phrase(nlp):
    e = codes(nlp, "The U.K. said it would not lift the sanctions on Iran.")
    assert e and e[0][0] == "GBR" and e[0][2][:2] == "12"
