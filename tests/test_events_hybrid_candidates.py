"""The hybrid coder's optional candidate and actor settings (pactwatch.events.hybrid): event nouns as candidates
(where no verb candidate sits on the trigger), dictionary context roots as features, one event per actor pair; and
that fitting it reads the train split of the real-news labels only."""
import numpy as np

from pactwatch.events import hybrid as hy

from tests.helpers.events import AcceptByFeature


def FixedAccept(p, default=0.0):
    """P(event) = ``p[lemma]`` for the candidate's word lemma (feature ``v=<lemma>``), else ``default``."""
    return AcceptByFeature(p, default)


class FixedRoot:
    def __init__(self, root):
        self.classes_ = np.array([root, "01"])

    def predict_proba(self, X):
        return np.array([[0.9, 0.1] for _ in X])


def _model(accept, root, **kw):
    from pactwatch.events.rootmodel import rules_fingerprint

    return {"version": hy.VERSION, "rules": rules_fingerprint(), "accept": accept, "root": root, "sentence": None,
            "sentence_bow": True, "accept_t": 0.5, "root_t": 0.7, "n_candidates": 0, "key": "test", "broad": True,
            **kw}


def _doc(nlp, text, date="2024-06-01"):
    from pactwatch.events.coder import code_docs

    (_, doc), = list(code_docs([("t", text, date)], nlp=nlp))
    return doc


VISIT = "Putin's visit to Pyongyang came after months of preparation."


def test_noun_candidate_proposes_event_where_no_verb_candidate_sits_on_the_trigger(nlp):
    coder = nlp.get_pipe("pactwatch_events")
    doc = _doc(nlp, VISIT)
    assert doc._.events == []
    # neither the rules nor the broad verb candidates have anything at 'visit'
    assert "visit" not in [c["verb"] for c in hy.candidates(doc, coder, broad=True)]
    nouns = [c for c in hy.candidates(doc, coder, broad=True, nouns=True) if c["verb"] == "visit"]
    assert [(c["origin"], c["source"], c["target"], c["noun_code"], c["actors_from"]) for c in nouns] == [
        ("noun", "RUS", "PRK", "042", "noun")]
    m = _model(FixedAccept({"visit": 0.9}), FixedRoot("04"), nouns=True)
    ev, _ = hy.decide(doc, coder, m)
    assert [(e["verb"], e["source"], e["target"], e["code"], e["hybrid"]["origin"]) for e in ev] == [
        ("visit", "RUS", "PRK", "040", "noun")]
    # the setting off: no event
    assert hy.decide(doc, coder, {**m, "nouns": False})[0] == []


def test_noun_candidates_need_a_dictionary_verb_behind_the_noun(nlp):
    coder = nlp.get_pipe("pactwatch_events")
    doc = _doc(nlp, "The weather in Russia and Japan was cold in the winter.")
    assert [c for c in hy.candidates(doc, coder, broad=True, nouns=True) if c["origin"] == "noun"] == []


def test_split_groups_gives_one_event_per_actor_pair():
    e = {"source": "USA", "target": "PRK+RUS", "code": "111"}
    assert [(x["source"], x["target"]) for x in hy.split_groups(e)] == [("USA", "PRK"), ("USA", "RUS")]
    assert [(x["source"], x["target"]) for x in hy.split_groups({"source": "JPN+KOR", "target": "PRK"})] == [
        ("JPN", "PRK"), ("KOR", "PRK")]
    # a joint act without a target stays one event, as the labels write it
    assert hy.split_groups({"source": "PRK+RUS", "target": None}) == [{"source": "PRK+RUS", "target": None}]
    assert hy.split_groups({"source": "RUS", "target": "UKR"}) == [{"source": "RUS", "target": "UKR"}]


def test_context_roots_bring_the_dictionary_roots_of_the_verbs_words(nlp):
    coder = nlp.get_pipe("pactwatch_events")
    doc = _doc(nlp, "Seoul said the invasion of Ukraine was illegal.")
    said = next(t for t in doc if t.lower_ == "said")
    cr = hy.context_roots(coder, said)
    assert cr["own"] is None  # 'say' alone is the residual statement
    assert "19" in cr["ctx"]  # 'invasion' -> 'invade'
    c = hy.annotate_context(doc, coder, hy.candidates(doc, coder, broad=True))
    f = hy.candidate_features(said, next(x for x in c if x["verb"] == "said"))
    assert f["ctx_dr=19"] > 0 and "own_dr=None" in f


def test_train_hybrid_reads_only_the_train_split(nlp, monkeypatch, tmp_path):
    """`events train-hybrid` (no --select): the label records it loads and fits on are all of the train split, and
    the test split's look counter does not move."""
    from pactwatch.events_train import hybrid as th
    from pactwatch.events_train import realnews

    asked, seen = [], []
    real = realnews.load_records

    def spy(*a, **kw):
        asked.append(kw.get("split"))
        return real(*a, **kw)

    coder = nlp.get_pipe("pactwatch_events")

    def fake_collect(records, nlp_, arts=None):
        seen.extend(r["split"] for r in records)
        units = []
        for i, (a, b) in enumerate((("Russia", "Ukraine"), ("Japan", "China"), ("France", "Germany"))):
            for verb, typ in (("attacked", "event"), ("praised", "opinion")):
                doc = _doc(nlp, f"{a} {verb} {b} on Monday.")
                cs = hy.candidates(doc, coder, broad=True)
                gold = [{"source": "", "target": "", "code": "190"}] if typ == "event" else []
                units.append({"rec": {"file": f"f{i}", "type": typ, "events": gold}, "doc": doc, "span": doc[:],
                              "cands": cs, "labels": [th.match(c, gold, coder.codes) for c in cs]})
        return units

    looks = realnews.labels_dir() / realnews.TEST_LOOKS
    before = looks.read_text() if looks.is_file() else None
    monkeypatch.setattr(realnews, "load_records", spy)
    monkeypatch.setattr(th, "collect_news", fake_collect)
    out = th.train(nlp=nlp, out=tmp_path / "m.pkl", config={"nouns": True, "context": True, "split_groups": True})
    assert asked == ["train"] and seen and set(seen) == {"train"}
    assert out["config"]["nouns"] and (tmp_path / "m.pkl").is_file()
    assert (looks.read_text() if looks.is_file() else None) == before
