"""Arriving at a place in another state is CAMEO 042 (make a visit) to that state; arriving within one's own state is
no visit (hand-written sentences; the place table is resources/places.yaml)."""

from pactwatch.events.coder import code_text
from tests.helpers.events import codes

D = "2023-09-13"


def test_arriving_at_a_place_abroad_is_a_visit_to_its_state(nlp):
    assert ("PRK", "RUS", "042") in codes(nlp, "Kim Jong-un arrived at Vostochny by train.", D)
    assert ("PRK", "RUS", "042") in codes(nlp, "Kim Jong-un landed in Komsomolsk-on-Amur on Tuesday.", D)
    # the place named inside the destination phrase, or a state named there
    assert ("RUS", "PRK", "042") in codes(nlp, "Sergei Lavrov arrived at the airport in Wonsan on Friday.", D)
    assert ("RUS", "PRK", "042") in codes(nlp, "Sergei Shoigu arrived in the North Korean capital on Tuesday.", D)
    assert ("PRK", "RUS", "042") in codes(nlp, "Kim Jong-un arrived at a cosmodrome in Russia's Far East.", D)
    # 'the spaceport' with no name: the place the article named last
    text = "Vladimir Putin waited at the Vostochny Cosmodrome. Kim Jong-un reached the spaceport via train."
    assert ("PRK", "RUS", "042") in codes(nlp, text, D)


def test_arriving_within_ones_own_state_is_not_a_visit(nlp):
    ev, ab = code_text("Vladimir Putin arrived at Vostochny from Vladivostok.", D, nlp, with_abstained=True)
    assert ev == [], ev
    assert any(a["verb"] == "arrived" and "own state" in a["reason"] for a in ab), ab


def test_troops_arriving_keep_the_dictionary_code(nlp):
    got = codes(nlp, "North Korean troops arrived in Kursk.", D)
    assert got and all(c != "042" for _, _, c in got), got


def test_things_arriving_are_not_visits(nlp):
    for t in ("Russian missiles landed in Ukraine on Monday.", "A North Korean train arrived at Vladivostok."):
        assert all(c != "042" for _, _, c in codes(nlp, t, D)), t
    # a state body, named by an agent word, does visit
    assert ("RUS", "PRK", "042") in codes(nlp, "A Russian delegation arrived in Wonsan on Friday.", D)


def test_every_place_lies_in_a_known_state():
    from pactwatch.events.actors import country_table, load_places

    known = {c["iso3"] for c in country_table()}
    places = load_places()
    assert "vostochny" in places
    assert set(places.values()) <= known
