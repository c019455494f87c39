"""Round-2 coding rules for issue 5 (hand-written sentences, none from the gold sets): named non-state armed groups,
'Soviet' as a demonym, quantity nouns ('thousands of prisoners') and new agent words (CRM, ELI) as unresolved
sources, capturing/retaking places (192), reneging on commitments (120), irregular past forms of prefixed verbs."""


from pactwatch.events.coder import code_text

D = "2024-11-01"




def ev(nlp, text):
    return code_text(text, D, nlp)


def test_named_armed_groups_resolve_with_rebel_sector(nlp, events_dir):
    e = ev(nlp, "Hezbollah fired rockets at Israel on Sunday.")
    assert e and e[0]["source"] == "LBN" and e[0]["target"] == "ISR" and e[0]["code"][:2] in ("19", "18")
    e = ev(nlp, "Al-Qaeda threatened to attack the United States.")
    assert [(x["source"], x["target"], x["code"][:2]) for x in e] == [("ALQ", "USA", "13")]
    from pactwatch.events.actors import build_table

    t = build_table(None, (), str(events_dir))
    assert t.resolve("Taliban", None)["sector"] == "REB" and t.resolve("NATO", None)["sector"] == "IGO"


def test_soviet_is_a_demonym_of_russia(nlp):
    e = ev(nlp, "Soviet troops attacked Afghan villages.")
    assert [(x["source"], x["target"]) for x in e] == [("RUS", "AFG")]


def test_quantity_noun_subject_is_an_unresolved_actor(nlp):
    # before: "Hundreds" is no actor -> abstention; now the 'of' noun with an agent word is the (unresolved) source
    e = ev(nlp, "Hundreds of inmates rioted at a prison near the capital on Monday.")
    assert [(x["source"], x["code"][:2]) for x in e] == [(None, "14")]
    assert e[0]["source_sector"] == "CRM" and e[0]["source_text"] == "inmates"
    # a bare number or a pronoun is still no actor
    assert ev(nlp, "Hundreds of them rioted at a prison on Monday.") == []


def test_retaking_a_place_is_occupy_territory(nlp):
    e = ev(nlp, "Ukrainian troops retook the village from Russian forces on Friday.")
    assert [(x["source"], x["code"]) for x in e] == [("UKR", "192")]


def test_reneging_on_a_commitment_is_reject(nlp):
    e = ev(nlp, "Kenya reneged on its commitment to Uganda.")
    assert [(x["source"], x["code"]) for x in e] == [("KEN", "120")]
    e = ev(nlp, "Kenya reneged on its promise to Uganda.")  # overrides the dictionary's RENEGE ON PROMISE (160)
    assert [x["code"] for x in e] == ["120"]
