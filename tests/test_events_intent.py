"""Stated intentions, threats and refusals (CAMEO 03, 13, 12): 'agreed to', 'plans to', 'refused to', 'will X unless
Y'. Hand-written sentences, none from the gold sets."""

from tests.helpers.events import codes


def test_agree_and_plan_to_are_stated_intentions(nlp):
    ev = codes(nlp, "Peru and Chile agreed to undertake a joint survey of the coast.")
    assert {c for _, _, c in ev} == {"030"} and {(s, t) for s, t, _ in ev} == {("PER", "CHL"), ("CHL", "PER")}
    assert codes(nlp, "Poland plans to impose restrictions on Belarusian imports.") == [("POL", "BLR", "132")]


def test_refusal_without_finer_code_is_reject(nlp):
    ev = codes(nlp, "Japan refused to allow Chinese inspectors into the plant.")
    assert ev and ev[0][0] == "JPN" and ev[0][2][:2] == "12"


def test_future_action_unless_is_a_threat(nlp):
    e = codes(nlp, "France announced that it will withdraw its troops from Mali unless the junta holds elections.")
    assert e and e[0][0] == "FRA" and e[0][2][:2] == "13"
    # without the condition the same sentence is a statement of intent (03)
    e = codes(nlp, "France announced that it will withdraw its troops from Mali.")
    assert e and e[0][0] == "FRA" and e[0][2][:2] == "03"
