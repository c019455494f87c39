"""The scorers (pactwatch.events.scorer), apart from the coder."""


def test_dyad_scoring_keeps_country_coded_armed_groups_as_countries():
    # round-2 regression in the scorer: igos.yaml's armed-group entries carry country codes (Hezbollah = LBN), which
    # made every LBN, PSE, AFG ... count as 'IGO' in dyad scoring
    from pactwatch.events.scorer import actor3

    assert actor3("LBN+UN") == ["LBN", "IGO"]
    assert actor3("PSE") == ["PSE"] and actor3("ALQ") == ["IMG"] and actor3("AMNESTY") == ["IGO"]
