"""The hybrid coder (pactwatch.events.hybrid, fitted by pactwatch.events_train.hybrid): the rule coder proposes
candidates, learned models decide whether each is an event and which root it has. Decisions are checked with
constructed models whose probabilities the test sets, a small fit on the test's own sentences, and the coder
switch: ``--coder rules`` is the rule coder's output whatever the hybrid model would do."""
import json
import pickle
import warnings

import numpy as np
import pytest

from pactwatch.events import hybrid as hy

from tests.helpers.events import AcceptByFeature

TWO = "Russia attacked Ukraine on Monday. Russia praised China on Tuesday."


def FixedAccept(p, default=0.9):
    """P(event) = ``p[lemma]`` for the candidate's verb lemma (feature ``v=<lemma>``), else ``default``."""
    return AcceptByFeature(p, default)


class FixedRoot:
    """Predicts ``root`` with probability ``p`` for every candidate (the rest split over two other roots, so ``root``
    is the most probable for p > 1/3)."""

    def __init__(self, root, p):
        self.classes_ = np.array([root] + [r for r in ("01", "02", "03") if r != root][:2])
        self.p = p

    def predict_proba(self, X):
        return np.array([[self.p, (1 - self.p) / 2, (1 - self.p) / 2] for _ in X])


def _model(accept, root=None, accept_t=0.5, root_t=0.7):
    from pactwatch.events.rootmodel import rules_fingerprint

    return {"version": hy.VERSION, "rules": rules_fingerprint(), "accept": accept, "root": root, "sentence": None,
            "sentence_bow": True, "accept_t": accept_t, "root_t": root_t, "n_candidates": 0, "key": "test"}


def _doc(nlp, text, date="2024-01-01"):
    from pactwatch.events.coder import code_docs

    (_, doc), = list(code_docs([("t", text, date)], nlp=nlp))
    return doc


def test_candidates_are_rule_events_plus_statement_verbs_with_a_source(nlp):
    doc = _doc(nlp, TWO)
    c = hy.candidates(doc, nlp.get_pipe("pactwatch_events"))
    assert [(x["verb"], x["code"], x["origin"]) for x in c] == [("attacked", "190", "rules"), ("praised", "051", "rules")]
    doc = _doc(nlp, "Putin said on Monday that the talks were useful.")
    assert doc._.events == []
    c = hy.candidates(doc, nlp.get_pipe("pactwatch_events"))
    assert [(x["verb"], x["source"], x["origin"], x["rule_code"]) for x in c] == [("said", "RUS", "proposed", None)]
    # a negated statement verb is no candidate: the abstention checks still apply
    doc = _doc(nlp, "Putin did not say on Monday that the talks were useful.")
    assert hy.candidates(doc, nlp.get_pipe("pactwatch_events")) == []


def test_decide_drops_candidate_below_threshold_into_abstained(nlp):
    doc = _doc(nlp, TWO)
    coder = nlp.get_pipe("pactwatch_events")
    events, dropped = hy.decide(doc, coder, _model(FixedAccept({"praise": 0.2, "attack": 0.8})))
    assert [(e["verb"], e["code"]) for e in events] == [("attacked", "190")]
    assert events[0]["hybrid"]["p_event"] == 0.8 and events[0]["confidence"] == 0.8
    assert [d["verb"] for d in dropped] == ["praised"] and dropped[0]["reason"].startswith("hybrid: not an event")
    # the threshold is the model's: at 0.1 both pass
    events, dropped = hy.decide(doc, coder, _model(FixedAccept({"praise": 0.2, "attack": 0.8}), accept_t=0.1))
    assert len(events) == 2 and dropped == []


def test_decide_overrides_root_only_above_root_threshold(nlp):
    doc = _doc(nlp, "Russia praised China on Tuesday.")
    coder = nlp.get_pipe("pactwatch_events")
    ev, _ = hy.decide(doc, coder, _model(FixedAccept({}), FixedRoot("04", 0.8), root_t=0.7))
    assert [(e["code"], e["root"], e["quad"], e["hybrid"]["rule_code"]) for e in ev] == [("040", "04", 1, "051")]
    ev, _ = hy.decide(doc, coder, _model(FixedAccept({}), FixedRoot("04", 0.6), root_t=0.7))
    assert [(e["code"], e["root"]) for e in ev] == [("051", "05")]


def test_proposed_statement_takes_the_predicted_root(nlp):
    doc = _doc(nlp, "Putin said on Monday that the talks were useful.")
    coder = nlp.get_pipe("pactwatch_events")
    ev, _ = hy.decide(doc, coder, _model(FixedAccept({}), FixedRoot("01", 0.4), root_t=0.9))
    assert [(e["source"], e["code"], e["hybrid"]["origin"]) for e in ev] == [("RUS", "010", "proposed")]
    ev, _ = hy.decide(doc, coder, _model(FixedAccept({}), FixedRoot("05", 0.4), root_t=0.9))
    assert [e["code"] for e in ev] == ["050"]  # a proposal has no rule code: the model's root even below root_t
    ev, _ = hy.decide(doc, coder, _model(FixedAccept({"say": 0.3})))
    assert ev == []


def test_decide_keeps_one_event_per_source_target_code_in_a_sentence(nlp):
    doc = _doc(nlp, "Russia attacked Ukraine and bombed Ukraine on Monday.")
    coder = nlp.get_pipe("pactwatch_events")
    ev, _ = hy.decide(doc, coder, _model(FixedAccept({}), FixedRoot("19", 0.99)))
    keys = [(e["source"], e["target"], e["code"]) for e in ev]
    assert len(keys) == len(set(keys)) >= 1


def test_match_uses_trigger_then_root(nlp):
    from pactwatch.events_train.hybrid import match

    table = nlp.get_pipe("pactwatch_events").codes
    cand = {"verb_span": [7, 15], "root": "19", "source": "RUS"}
    assert match(cand, [{"source": "RUS", "target": "UKR", "code": "173", "trigger": [7, 15]}], table) == (True, "17")
    assert match(cand, [{"source": "RUS", "target": "UKR", "code": "195", "trigger": [40, 45]}], table) == (True, "19")
    assert match(cand, [{"source": "RUS", "target": "UKR", "code": "042", "trigger": [40, 45]}], table) == (False, None)
    assert match(cand, [], table) == (False, None)


def _constructed_units(nlp):
    """Six articles of two sentences' worth: "<A> attacked <B>" (an event, 190) and "<A> praised <B>" (opinion)."""
    from pactwatch.events_train.hybrid import match

    coder = nlp.get_pipe("pactwatch_events")
    pairs = [("Russia", "Ukraine"), ("Japan", "China"), ("France", "Germany"), ("India", "Pakistan"),
             ("Iran", "Iraq"), ("Egypt", "Israel")]
    units = []
    for i, (a, b) in enumerate(pairs):
        for verb, is_event, typ in (("attacked", True, "event"), ("praised", False, "opinion")):
            text = f"{a} {verb} {b} on Monday."
            doc = _doc(nlp, text)
            cs = hy.candidates(doc, coder)
            gold = [{"source": "", "target": "", "code": "190"}] if is_event else []
            units.append({"rec": {"file": f"f{i}-{verb}", "start": 0, "end": len(text), "type": typ,
                                  "events": gold}, "doc": doc, "span": doc[:], "cands": cs,
                          "labels": [match(c, gold, coder.codes) for c in cs]})
    return coder, units


def test_fit_learns_event_verbs_from_constructed_sentences(nlp):
    from pactwatch.events_train.hybrid import fit

    coder, units = _constructed_units(nlp)
    m = fit(units, C=10.0, sentence=True, accept_t=0.5)
    new = _doc(nlp, "Chile attacked Peru on Friday. Chile praised Peru on Friday.")
    ev, dropped = hy.decide(new, coder, m)
    assert [e["verb"] for e in ev] == ["attacked"] and [d["verb"] for d in dropped] == ["praised"]


def test_fit_config_is_the_configuration_and_cv_keeps_articles_apart(nlp):
    """fit_config fits DEFAULTS updated by the configuration and stores its decision settings (what train-hybrid
    and the tools/ probes use); article_folds never puts one article on both sides; cv_score scores every held-out
    sentence once."""
    from pactwatch.events_train import hybrid as th

    coder, units = _constructed_units(nlp)
    m = th.fit_config(units, {"C": 10.0, "accept_t": 0.5, "joint": False, "one_per_root": True})
    assert (m["accept_t"], m["joint"], m["one_per_root"]) == (0.5, False, True)
    assert (m["characterise"], m["fill_target"], m["root_t"]) == (th.DEFAULTS["characterise"],
                                                                  th.DEFAULTS["fill_target"], th.DEFAULTS["root_t"])
    folds = th.article_folds(units, k=3)
    files = lambda idx: {units[i]["rec"]["file"] for i in idx}  # noqa: E731
    assert all(not files(tr) & files(te) for tr, te in folds)
    assert sorted(i for _, te in folds for i in te) == list(range(len(units)))
    s = th.cv_score(units, coder, folds, [th.fit_config([units[i] for i in tr], {"C": 10.0, "accept_t": 0.5})
                                          for tr, _ in folds])
    assert s["sentences"] == len(units) and s["coded_as_event"]["opinion"]["sentences"] == 6


def test_component_loads_model_file_and_falls_back_to_rules(nlp, events_dir, tmp_path):
    from pactwatch.events.coder import code_text
    from pactwatch.events.pipeline import load_pipeline

    path = tmp_path / "m.pkl"
    path.write_bytes(pickle.dumps(_model(FixedAccept({"praise": 0.1}))))
    hyb = load_pipeline(events_dir=str(events_dir), root_model=False, coder="hybrid", hybrid_model=str(path))
    assert hyb.pipe_names[-1] == "pactwatch_hybrid"
    assert [e["verb"] for e in code_text(TWO, "2024-01-01", nlp=hyb)] == ["attacked"]
    missing = load_pipeline(events_dir=str(events_dir), root_model=False, coder="hybrid",
                            hybrid_model=str(tmp_path / "none.pkl"))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = code_text(TWO, "2024-01-01", nlp=missing)
    assert got == code_text(TWO, "2024-01-01", nlp=nlp)
    assert any("hybrid coder model not used" in str(x.message) for x in w)
    stale = tmp_path / "stale.pkl"
    stale.write_bytes(pickle.dumps({**_model(FixedAccept({})), "rules": "other"}))
    with pytest.raises(FileNotFoundError, match="other rule-coder sources"):
        hy.load_model(stale)


def test_cli_coder_rules_is_the_rule_coder_whatever_the_default(nlp, events_dir, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pactwatch.cli.events import app
    from pactwatch.events.coder import code_text

    path = tmp_path / "drop-all.pkl"
    path.write_bytes(pickle.dumps(_model(FixedAccept({}, default=0.0))))
    monkeypatch.setenv("PACTWATCH_CODER", "hybrid")
    monkeypatch.setenv("PACTWATCH_HYBRID_MODEL", str(path))
    p = tmp_path / "in.jsonl"
    p.write_text(json.dumps({"id": "s1", "text": TWO, "date": "2024-01-01"}) + "\n", encoding="utf-8")
    args = ["code", str(p), "--format", "jsonl", "--events-dir", str(events_dir)]
    r = CliRunner().invoke(app, args + ["--coder", "rules"])
    assert r.exit_code == 0, r.output
    got = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    want = code_text(TWO, "2024-01-01", nlp=nlp)
    assert [{k: v for k, v in g.items() if k not in ("id", "date", "date_basis")} for g in got] == want
    assert len(want) == 2
    r = CliRunner().invoke(app, args)  # the default is now the hybrid coder, whose model drops everything
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == ""
    r = CliRunner().invoke(app, args + ["--coder", "neural"])
    assert r.exit_code != 0 and "--coder 'neural'" in str(r.exception)


class FixedSentence:
    """Sentence-type model stand-in: P(event sentence) = ``p`` for every sentence."""

    def __init__(self, p):
        self.p = p

    def event_proba(self, spans):
        return [self.p] * len(spans)


class FixedSentenceRoot:
    def __init__(self, root):
        self.root = root

    def predict(self, X):
        return np.array([self.root] * len(X))


def test_fill_target_takes_the_other_actor_of_the_sentence(nlp):
    doc = _doc(nlp, "Russia condemned the sanctions announced by Japan.")
    coder = nlp.get_pipe("pactwatch_events")
    assert [(e["source"], e["target"]) for e in doc._.events] == [("RUS", None)]
    m = _model(FixedAccept({"announce": 0.0}))
    assert [(e["source"], e["target"]) for e in hy.decide(doc, coder, m)[0]] == [("RUS", None)]
    ev, _ = hy.decide(doc, coder, {**m, "fill_target": True})
    assert [(e["source"], e["target"], e["target_text"]) for e in ev] == [("RUS", "JPN", "Japan")]


def test_sentence_fallback_codes_uncovered_event_sentences_between_their_actors(nlp):
    doc = _doc(nlp, "The weather in Russia and Japan was cold. The rain stopped at noon.")
    coder = nlp.get_pipe("pactwatch_events")
    assert doc._.events == []
    m = {**_model(FixedAccept({})), "sentence": FixedSentence(0.9), "sent_root": FixedSentenceRoot("04")}
    assert hy.decide(doc, coder, m)[0] == []  # off by default (fallback_t > 1)
    ev, _ = hy.decide(doc, coder, {**m, "fallback_t": 0.8})
    # one event, in the sentence with actors only; the sentence without actors gets none
    assert [(e["source"], e["target"], e["code"], e["hybrid"]["origin"]) for e in ev] == [("RUS", "JPN", "040", "sentence")]
    assert hy.decide(doc, coder, {**m, "sentence": FixedSentence(0.5), "fallback_t": 0.8})[0] == []


def test_broad_candidates_take_every_verb_with_sentence_actors_when_roles_find_none(nlp):
    doc = _doc(nlp, "The delegation from Russia toured a factory in North Korea.")
    coder = nlp.get_pipe("pactwatch_events")
    assert doc._.events == [] and hy.candidates(doc, coder) == []
    c = hy.candidates(doc, coder, broad=True)
    assert [(x["verb"], x["origin"], x["source"], x["target"], x["reason"], x["actors_from"]) for x in c] == [
        ("toured", "verb", "RUS", "PRK", "no actor as source", "sentence")]
    # a verb candidate always takes the root model's root (it has no code of its own)
    ev, _ = hy.decide(doc, coder, {**_model(FixedAccept({}), FixedRoot("04", 0.4), root_t=0.9), "broad": True})
    assert [(e["source"], e["target"], e["code"], e["hybrid"]["origin"]) for e in ev] == [("RUS", "PRK", "040", "verb")]
