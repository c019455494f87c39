"""Kinds of violence: aerial attacks keyed by the subject (195), bombings (183), suicide bombings, human shields
(184), physical assault (182), mass expulsion (201), assassination of office-holders (186). Hand-written sentences,
none from the gold sets."""

from tests.helpers.events import codes


def test_aircraft_as_attacker_is_aerial_weapons(nlp):
    assert codes(nlp, "Syrian warplanes struck rebel positions near Aleppo, killing twelve Turkish soldiers.")[0][2] == "195"
    # the same verb with ground troops as the subject keeps a non-aerial code
    assert all(c != "195" for _, _, c in codes(nlp, "Syrian troops struck rebel positions near Aleppo."))


def test_killing_in_a_bomb_attack_is_bombing(nlp):
    e = codes(nlp, "Chechen militants killed three Russian policemen in a car bomb attack in Grozny.")
    assert e and e[0][2] == "183"


def test_suicide_bombers_are_not_aircraft(nlp):
    e = codes(nlp, "Two Iraqi suicide bombers killed 30 policemen at a checkpoint near Mosul on Friday.")
    assert e and e[0][2] == "1831"


def test_human_shields(nlp):
    e = codes(nlp, "The Iraqi army used Kuwaiti civilians as human shields near the border.")
    assert e and e[0][0] == "IRQ" and e[0][2] == "184"


def test_beating_people_is_physical_assault(nlp):
    e = codes(nlp, "Egyptian police beat up protesters in central Cairo on Friday.")
    assert e and e[0][0] == "EGY" and e[0][2] == "182"


def test_forcing_residents_out_is_mass_expulsion(nlp):
    e = codes(nlp, "Serbian police forced out thousands of Albanian villagers from their homes.")
    assert e and e[0][0] == "SRB" and e[0][2] == "201"


def test_killing_an_office_holder_is_assassination(nlp):
    e = codes(nlp, "Taliban gunmen killed the governor of Kunduz province on Tuesday.")
    assert e and e[0][2] == "186"
    # an office word elsewhere in the object phrase (not its head) does not make it an assassination
    e = codes(nlp, "Taliban gunmen killed six guards of the governor in Kunduz province on Tuesday.")
    assert e and e[0][2] != "186"
