"""Actor mentions: named non-state armed groups, 'Soviet' as a demonym, office-holders only while in office.
Hand-written sentences, none from the gold sets."""

from pactwatch.events.coder import code_text
from tests.helpers.events import events


def test_named_armed_groups_resolve_with_rebel_sector(nlp, events_dir):
    e = events(nlp, "Hezbollah fired rockets at Israel on Sunday.")
    assert e and e[0]["source"] == "LBN" and e[0]["target"] == "ISR" and e[0]["code"][:2] in ("19", "18")
    e = events(nlp, "Al-Qaeda threatened to attack the United States.")
    assert [(x["source"], x["target"], x["code"][:2]) for x in e] == [("ALQ", "USA", "13")]
    from pactwatch.events.actors import build_table

    t = build_table(None, (), str(events_dir))
    assert t.resolve("Taliban", None)["sector"] == "REB" and t.resolve("NATO", None)["sector"] == "IGO"


def test_soviet_is_a_demonym_of_russia(nlp):
    e = events(nlp, "Soviet troops attacked Afghan villages.")
    assert [(x["source"], x["target"]) for x in e] == [("RUS", "AFG")]


def test_historical_office_holders_resolve_only_in_office(nlp):
    # people-table additions: dated heads of state and government of the 1980s-2010s
    e = code_text("Hosni Mubarak met Jacques Chirac in Cairo on Monday.", "2000-03-01", nlp)
    assert [(x["source"], x["target"]) for x in e][:1] == [("EGY", "FRA")]
    e = code_text("Hosni Mubarak met Jacques Chirac in Cairo on Monday.", "2015-03-01", nlp)
    assert all(x["source"] != "EGY" for x in e)  # out of office: no longer Egypt's government
