"""The scorers (pactwatch.events.scorer), apart from the coder."""


def test_dyad_scoring_keeps_country_coded_armed_groups_as_countries():
    # round-2 regression in the scorer: igos.yaml's armed-group entries carry country codes (Hezbollah = LBN), which
    # made every LBN, PSE, AFG ... count as 'IGO' in dyad scoring
    from pactwatch.events.scorer import actor3

    assert actor3("LBN+UN") == ["LBN", "IGO"]
    assert actor3("PSE") == ["PSE"] and actor3("ALQ") == ["IMG"] and actor3("AMNESTY") == ["IGO"]


def test_un_resolved_through_the_country_table_scores_as_the_un(nlp):
    # the NGEC country table lists the United Nations as pseudo-country 'UNO' and the actor table resolves "UN" to
    # it, while the labels (igos.yaml) write 'UN': both must be the same organisation in dyad scoring
    from pactwatch.events.coder import code_docs
    from pactwatch.events.scorer import actor3, dyads, overlap

    assert actor3("UNO") == ["IGO"] and actor3("RUS+UNO") == ["RUS", "IGO"]
    (_, doc), = list(code_docs([("t", "Russia blocked the UN inquiry into the weapons trade.", "2024-03-01")], nlp=nlp))
    pred = [e for e in doc._.events if e["source"] == "RUS"]
    assert pred and pred[0]["target"] in ("UNO", "UN")
    gold = [{"source": "RUS", "target": "UN"}]
    assert overlap(dyads(pred[:1]), dyads(gold))[0] == 1
