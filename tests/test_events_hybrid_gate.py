"""The hybrid coder's opinion gate (a sentence-level veto on P(opinion/analysis sentence)) and the separate
regularisation of its acceptance and root models (``C_accept``, ``C_root``; docs/events-gate.md)."""
import pickle

import pytest

from pactwatch.events import hybrid as hy

from tests.helpers.events import AcceptByFeature

TEXT = "Russia attacked Ukraine on Monday. Russia praised China and attacked Japan on Tuesday."


class OpinionIfWord:
    """Gate stand-in: P(opinion) = ``p`` for a sentence holding ``word``, else 0."""

    def __init__(self, word, p=0.9):
        self.word, self.p = word, p

    def class_proba(self, spans, label="opinion"):
        assert label == "opinion"
        return [self.p if self.word in s.text else 0.0 for s in spans]


def _model(**kw):
    from pactwatch.events.rootmodel import rules_fingerprint

    return {"version": hy.VERSION, "rules": rules_fingerprint(), "accept": AcceptByFeature({}, default=0.9),
            "root": None, "sentence": None, "sentence_bow": True, "accept_t": 0.5, "root_t": 0.7, "n_candidates": 0,
            "key": "test", **kw}


def _doc(nlp, text, date="2024-01-01"):
    from pactwatch.events.coder import code_docs

    (_, doc), = list(code_docs([("t", text, date)], nlp=nlp))
    return doc


def test_gate_vetoes_every_candidate_of_an_opinion_sentence(nlp):
    doc = _doc(nlp, TEXT)
    coder = nlp.get_pipe("pactwatch_events")
    second = [e for e in doc._.events if "Tuesday" in e["sentence"]]
    assert len(second) >= 2  # the vetoed sentence has several rule events, all accepted without the gate
    ev, dropped = hy.decide(doc, coder, _model())
    assert {e["verb"] for e in ev} == {"attacked", "praised"} and len(ev) == len(doc._.events)
    ev, dropped = hy.decide(doc, coder, _model(gate=OpinionIfWord("Tuesday"), gate_t=0.5))
    assert [e["sentence"] for e in ev] == ["Russia attacked Ukraine on Monday."]
    assert sorted(d["verb"] for d in dropped) == sorted(e["verb"] for e in second)
    assert all(d["reason"].startswith("hybrid: opinion or analysis sentence") for d in dropped)
    # below the threshold, or with the gate off (gate_t > 1), nothing is vetoed
    assert len(hy.decide(doc, coder, _model(gate=OpinionIfWord("Tuesday", p=0.4), gate_t=0.5))[0]) == len(
        doc._.events)
    assert len(hy.decide(doc, coder, _model(gate=OpinionIfWord("Tuesday"), gate_t=1.01))[0]) == len(doc._.events)


def test_gate_also_vetoes_the_sentence_fallback(nlp):
    class Sent:
        def event_proba(self, spans):
            return [0.9] * len(spans)

    class SentRoot:
        def predict(self, X):
            return ["04"] * len(X)

    doc = _doc(nlp, "The weather in Russia and Japan was cold.")
    coder = nlp.get_pipe("pactwatch_events")
    m = _model(sentence=Sent(), sent_root=SentRoot(), fallback_t=0.8)
    assert len(hy.decide(doc, coder, m)[0]) == 1
    assert hy.decide(doc, coder, {**m, "gate": OpinionIfWord("weather"), "gate_t": 0.5})[0] == []


def _units(nlp):
    """Six articles: "<A> attacked <B>" (event, 190), "<A> met <B>" (event, 04) and "<A> praised <B>" (opinion)."""
    from pactwatch.events_train.hybrid import match

    coder = nlp.get_pipe("pactwatch_events")
    pairs = [("Russia", "Ukraine"), ("Japan", "China"), ("France", "Germany"), ("India", "Pakistan"),
             ("Iran", "Iraq"), ("Egypt", "Israel")]
    units = []
    for i, (a, b) in enumerate(pairs):
        for verb, code, typ in (("attacked", "190", "event"), ("met", "040", "event"), ("praised", None, "opinion")):
            text = f"{a} {verb} {b} on Monday."
            doc = _doc(nlp, text)
            cs = hy.candidates(doc, coder)
            gold = [{"source": "", "target": "", "code": code}] if code else []
            units.append({"rec": {"file": f"f{i}", "start": 0, "end": len(text), "type": typ, "events": gold},
                          "doc": doc, "span": doc[:], "cands": cs, "labels": [match(c, gold, coder.codes) for c in cs]})
    return coder, units


def _C(pipe):
    return pipe[-1].C


def test_separate_Cs_reach_the_acceptance_and_root_models(nlp):
    from pactwatch.events_train import hybrid as th

    _, units = _units(nlp)
    m = th.fit_config(units, {"C": 0.3, "C_accept": 3.0, "C_root": 1.0})
    assert (_C(m["accept"]), _C(m["root"]), _C(m["sentence"].est), _C(m["sent_root"])) == (3.0, 1.0, 0.3, 0.3)
    assert (m["config"]["C_accept"], m["config"]["C_root"]) == (3.0, 1.0)
    # unset, both take C
    m = th.fit_config(units, {"C": 2.0, "C_accept": None, "C_root": None})
    assert (_C(m["accept"]), _C(m["root"])) == (2.0, 2.0)


def test_opinion_gate_models_come_from_the_type_label(nlp):
    from pactwatch.events_train import hybrid as th

    _, units = _units(nlp)
    m = th.fit_config(units, {"gate": "opinion", "gate_C": 2.0, "gate_t": 0.6})
    assert set(m["gate"].est.classes_) == {"opinion", "not"} and _C(m["gate"].est) == 2.0 and m["gate_t"] == 0.6
    p = m["gate"].class_proba([u["span"] for u in units])
    op = [x for x, u in zip(p, units) if u["rec"]["type"] == "opinion"]
    ev = [x for x, u in zip(p, units) if u["rec"]["type"] != "opinion"]
    assert min(op) > max(ev)  # the training sentences it was fitted on are told apart
    m = th.fit_config(units, {"gate": "type"})
    assert m["gate"] is m["sentence"]
    with pytest.raises(ValueError, match="sentence-type model"):
        th.fit_config(units, {"gate": "type", "sentence": False})
    with pytest.raises(ValueError, match="expected None"):
        th.fit_config(units, {"gate": "vibes"})
    assert th.fit_config(units)["gate"] is None  # off in DEFAULTS


def test_model_file_round_trips_the_gate_and_the_Cs(nlp, tmp_path):
    from pactwatch.events.rootmodel import rules_fingerprint
    from pactwatch.events_train import hybrid as th

    coder, units = _units(nlp)
    m = th.fit_config(units, {"C_accept": 3.0, "C_root": 1.0, "gate": "opinion", "gate_t": 0.5, "accept_t": 0.5})
    m.update({"rules": rules_fingerprint(), "key": "test"})
    path = tmp_path / "m.pkl"
    path.write_bytes(pickle.dumps(m))
    back = hy.load_model(path)
    assert (_C(back["accept"]), _C(back["root"]), back["gate_t"], back["config"]["gate"]) == (3.0, 1.0, 0.5,
                                                                                              "opinion")
    doc = _doc(nlp, "Chile attacked Peru on Friday. Chile praised Peru on Friday. Chile met Peru on Friday.")
    assert hy.decide(doc, coder, back) == hy.decide(doc, coder, m)
    assert back["gate"].class_proba([doc[:]]) == m["gate"].class_proba([doc[:]])
