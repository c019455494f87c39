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


def _coref(nlp, text, date=D):
    from pactwatch.events.coder import code_docs

    (_id, doc), = list(code_docs([("t", text, date)], nlp=nlp))
    return [(sp.text, sp._.coref["code"]) for sp in doc.spans["coref"]]


def test_he_refers_to_the_subject_of_the_previous_main_clause_not_a_later_subordinate_person(nlp):
    # the motivating article: the Kim regime is the subject of the reason clause, Putin is deeper, inside its object
    text = ("Kim Jong-un met Vladimir Putin in June. The North Koreans aren\u2019t supporting Russia\u2019s war for free, "
            "or even because the Kim regime agrees philosophically with what Putin is attempting to do. "
            "He\u2019s offering his military services to get something far more valuable in return.")
    got = _coref(nlp, text)
    assert ("He", "PRK") in got and ("his", "PRK") in got, got
    assert [(e["source"], e["verb"]) for e in code_text(text, D, nlp) if e["verb"] == "offering"] == [("PRK", "offering")]
    # another shape: the main-clause subject over a person in a reported clause after it
    got = _coref(nlp, "Sergei Shoigu told reporters that Lloyd Austin had criticised the deal. He then flew to Pyongyang.")
    assert ("He", "RUS") in got, got


def test_an_object_pronoun_does_not_refer_to_the_subject_of_its_own_clause(nlp):
    text = "Vladimir Putin hosted Kim Jong-un in Vostochny. Sergei Shoigu greeted him at the airport."
    assert ("him", "PRK") in _coref(nlp, text)
    assert ("RUS", "PRK") in {(e["source"], e["target"]) for e in code_text(text, D, nlp) if e["verb"] == "greeted"}


def test_a_subject_pronoun_in_a_subordinate_clause_takes_the_main_clause_subject(nlp):
    got = _coref(nlp, "Kim Jong-un met with Sergei Shoigu on Saturday after he arrived in Vladivostok.", "2023-09-16")
    assert got == [("he", "PRK")], got
    # the subject of the nearest clause above the pronoun's, not the sentence's first subject
    got = _coref(nlp, "Vladimir Putin said that Kim Jong-un was glad when he met Sergei Shoigu.", "2023-09-16")
    assert got == [("he", "PRK")], got


def test_he_after_an_unresolved_surname_is_not_another_person(nlp):
    # no Kim named in full before: "the Kim regime" is an unknown person, and "He" is that person, not Putin
    text = ("The North Koreans aren\u2019t supporting Russia\u2019s war for free, or even because the Kim regime agrees "
            "philosophically with what Putin is attempting to do. He\u2019s offering his military services.")
    got = _coref(nlp, text, "2024-11-20")
    assert ("He", None) in got and ("He", "RUS") not in got, got
    assert all(e["source"] != "RUS" for e in code_text(text, "2024-11-20", nlp) if e["verb"] == "offering")
