"""The hybrid coder's learned actor-pair choice (pactwatch.events.pairs; fitting in pactwatch.events_train.pairs;
docs/events-pairs.md). Sentences are written for these tests."""
import pickle

from pactwatch.events import hybrid as hy
from pactwatch.events import pairs as pr
from pactwatch.events_train import hybrid as th
from pactwatch.events_train import pairs as tp

from tests.test_events_hybrid import FixedRoot, _doc, _model
from tests.test_events_hybrid_structural import AcceptBySource

#: (sentence, verb, subject, object of "to") — a third actor in each is a distractor
TRAIN = [
    ("Russia shipped fuel to North Korea, China said.", "shipped", "RUS", "PRK"),
    ("China sent a delegation to Russia, Japan reported.", "sent", "CHN", "RUS"),
    ("North Korea delivered shells to Russia, Ukraine said.", "delivered", "PRK", "RUS"),
    ("Japan sent an envoy to China, South Korea said.", "sent", "JPN", "CHN"),
    ("Russia delivered wheat to Syria, Turkey reported.", "delivered", "RUS", "SYR"),
    ("Iran shipped drones to Russia, Ukraine said.", "shipped", "IRN", "RUS"),
    ("China sent aid to North Korea, Japan said.", "sent", "CHN", "PRK"),
    ("Turkey shipped grain to Syria, Russia said.", "shipped", "TUR", "SYR"),
]


def _unit(nlp, i, text, verb, s, t, corrupt):
    doc = _doc(nlp, text)
    coder = nlp.get_pipe("pactwatch_events")
    cands = hy.candidates(doc, coder, broad=True)
    v = next(tok for tok in doc if tok.text == verb)
    mine = [c for c in cands if c["verb_span"][0] == v.idx]
    assert mine, text
    if corrupt:  # the rules' pair made wrong (target: the speaker), so "is the rules' pair" alone cannot decide
        sp, a, _ = [m for m in pr.sentence_actors(v.sent) if m[1]["code"] not in (s, t)][0]
        mine = [dict(c, target=a["code"], target_text=sp.text, target_span=[sp.start_char, sp.end_char])
                for c in mine]
    gold = [{"source": s, "target": t, "code": "070", "trigger": [v.idx, v.idx + len(v.text)]}]
    rec = {"file": f"f{i}.txt", "start": 0, "end": len(text), "type": "event", "events": gold}
    return {"rec": rec, "doc": doc, "span": doc[:], "cands": mine,
            "labels": [th.match(c, gold, coder.codes) for c in mine]}


def _units(nlp):
    return [_unit(nlp, i, *row, corrupt=i % 2 == 0) for i, row in enumerate(TRAIN)]


def test_relation_names_the_preposition_of_a_prepositional_object(nlp):
    doc = _doc(nlp, "Russia shipped fuel to North Korea, China said.")
    v = next(t for t in doc if t.text == "shipped")
    rel = {pr.key3(a["code"]): pr.relation(sp, v) for sp, a, _ in pr.sentence_actors(v.sent)}
    assert rel["RUS"] == "nsubj"
    assert rel["PRK"] == "prep_to"
    assert rel["CHN"] != "nsubj"


def test_options_cover_every_ordered_pair_no_target_and_joint_sources(nlp):
    doc = _doc(nlp, "Russia shipped fuel to North Korea, China said.")
    coder = nlp.get_pipe("pactwatch_events")
    v = next(t for t in doc if t.text == "shipped")
    c = next(c for c in hy.candidates(doc, coder, broad=True) if c["verb_span"][0] == v.idx)
    got = {o["pair"] for o in pr.options(v, c, pr.rules_pair_of(c))}
    assert ("RUS", "PRK") in got and ("PRK", "RUS") in got and ("CHN", "RUS") in got
    assert ("RUS", "") in got and ("PRK+RUS", "") in got
    assert len(got) == 3 * 2 + 3 + 3


def test_pair_model_picks_the_object_of_to_as_target_over_the_speaker(nlp):
    model = tp.fit(_units(nlp), C=1.0)
    doc = _doc(nlp, "Syria shipped oil to North Korea, Japan said.")
    coder = nlp.get_pipe("pactwatch_events")
    v = next(t for t in doc if t.text == "shipped")
    c = next(c for c in hy.candidates(doc, coder, broad=True) if c["verb_span"][0] == v.idx)
    jp = next((sp, a) for sp, a, _ in pr.sentence_actors(v.sent) if a["code"] == "JPN")
    wrong = dict(c, source="SYR", target="JPN", target_text=jp[0].text)  # the rules' pair: Syria -> Japan
    opt, p, rp = pr.choose(model, v, wrong, "07")
    assert rp == ("SYR", "JPN")
    assert opt["pair"] == ("SYR", "PRK"), (opt["pair"], p)
    (e,) = pr.apply(wrong, opt)
    assert (e["source"], e["target"], e["target_text"]) == ("SYR", "PRK", "North Korea")


def test_joint_rules_copies_are_one_joint_pair(nlp):
    doc = _doc(nlp, "Russia and North Korea reopened the border crossing on Monday.")
    coder = nlp.get_pipe("pactwatch_events")
    cands = hy.candidates(doc, coder)
    sib = pr.verb_pairs(cands)
    assert {pr.rules_pair_of(c, sib[c["verb_span"][0]]) for c in cands} == {("PRK+RUS", "")}
    v = next(t for t in doc if t.text == "reopened")
    opt = next(o for o in pr.options(v, cands[0], ("PRK+RUS", "")) if o["pair"] == ("PRK+RUS", ""))
    assert sorted((e["source"], e["target"]) for e in pr.apply(cands[0], opt)) == [("PRK", "RUS"), ("RUS", "PRK")]


def test_pairs_are_off_by_default_and_off_does_not_change_output(nlp):
    assert th.DEFAULTS["pairs"] is False
    doc = _doc(nlp, "Russia shipped fuel to North Korea, China said.")
    coder = nlp.get_pipe("pactwatch_events")
    m = {**_model(AcceptBySource({}, default=0.9), FixedRoot("07", 0.9)), "broad": True, "fill_target": True}
    base, _ = hy.decide(doc, coder, m)
    assert base
    # a fitted pair model that is never sure enough (pairs_t above 1) leaves every event as it was
    fitted = tp.fit(_units(nlp), C=1.0)
    same, _ = hy.decide(doc, coder, {**m, "pairs": fitted, "pairs_t": 1.01})
    assert same == base
    assert hy.decide(doc, coder, {**m, "pairs": None})[0] == base


def test_fitted_pair_model_round_trips_through_the_model_file(nlp, tmp_path):
    from pactwatch.events.rootmodel import rules_fingerprint

    units = _units(nlp)
    for i, u in enumerate(units[:3]):  # a few non-event sentences, so the acceptance model has two classes
        units[i] = {**u, "rec": {**u["rec"], "type": "other", "events": []},
                    "labels": [(False, None)] * len(u["cands"])}
    model = th.fit_config(units, {"pairs": True, "pairs_t": 0.3, "sentence": False})
    assert model["pairs"] is not None and model["pairs_t"] == 0.3
    off = th.fit_config(units, {"sentence": False})
    assert off.get("pairs") is None
    model.update({"rules": rules_fingerprint(), "key": "test"})
    path = tmp_path / "hybrid.pkl"
    path.write_bytes(pickle.dumps(model))
    loaded = hy.load_model(path)
    doc = _doc(nlp, "Syria shipped oil to North Korea, Japan said.")
    coder = nlp.get_pipe("pactwatch_events")
    assert hy.decide(doc, coder, loaded) == hy.decide(doc, coder, model)
    v = next(t for t in doc if t.text == "shipped")
    c = next(c for c in hy.candidates(doc, coder, broad=True) if c["verb_span"][0] == v.idx)
    a = pr.ranked(loaded["pairs"], v, c, "07")[0]
    b = pr.ranked(model["pairs"], v, c, "07")[0]
    assert [(o["pair"], p) for o, p in a] == [(o["pair"], p) for o, p in b]


def test_a_joint_gold_event_makes_the_joint_option_right_and_a_directed_copy_wrong():
    joint = set(tp.dyads([{"source": "RUS+PRK", "target": ""}]))
    both = set(tp.dyads([{"source": "RUS", "target": "PRK"}, {"source": "PRK", "target": "RUS"}]))
    assert joint == both
    assert tp.is_right(("PRK+RUS", ""), joint)
    assert not tp.is_right(("RUS", "PRK"), joint)  # half of the gold's dyads: the joint option is the right one
    one = set(tp.dyads([{"source": "RUS", "target": "PRK"}]))
    assert tp.is_right(("RUS", "PRK"), one)
    assert not tp.is_right(("PRK+RUS", ""), one) and not tp.is_right(("PRK", "RUS"), one)
    assert not tp.is_right(("RUS", ""), one)
    two = set(tp.dyads([{"source": "IGO", "target": "PRK"}, {"source": "IGO", "target": "IRN"}]))
    assert tp.is_right(("IGO", "PRK"), two) and tp.is_right(("IGO", "IRN"), two)
