"""The supervised CAMEO root layer (pactwatch.events.rootmodel): trained on the gold sets' dev halves only,
deterministic, cached by the gold files' sha256 + code version, never firing without a source actor, and absent
gold files leave the coder exactly as the rules make it. The model is fitted once per module (a few seconds)."""
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from pactwatch.events import rootmodel as RM




@pytest.fixture(scope="module")
def data(events_dir, nlp):
    files = RM.gold_files(events_dir)
    assert [f.stem for f in files] == list(RM.GOLD_SETS)
    recs = RM.dev_records(files)
    X, y, _ = RM.featurize(recs, nlp)
    return recs, X, y


@pytest.fixture(scope="module")
def trained(events_dir, nlp, tmp_path_factory):
    return RM.train(events_dir, nlp=nlp, cache_dir=tmp_path_factory.mktemp("rmcache"))


def test_trains_on_dev_halves_only(events_dir, data):
    from pactwatch.events.evaluate import read_gold, split_of

    recs, X, y = data
    dev_texts, test_texts = set(), set()
    for f in RM.gold_files(events_dir):
        for i, r in enumerate(read_gold(f)):
            (dev_texts if split_of(r, i) == "dev" else test_texts).add(r["text"])
    texts = {r["text"] for r in recs}
    assert texts and texts <= dev_texts
    assert not texts & (test_texts - dev_texts)
    assert len(texts) == len(recs)  # PLOVER and codebook copies of one sentence count once
    assert len(X) == len(y) and set(y) <= {f"{i:02d}" for i in range(1, 21)}


def test_training_is_deterministic(data, trained):
    _, X, y = data
    m1, m2 = RM.fit(X, y), RM.fit(X, y)
    lr1, lr2 = m1[-1], m2[-1]
    assert np.array_equal(lr1.coef_, lr2.coef_) and np.array_equal(lr1.intercept_, lr2.intercept_)
    # the cached model from train() is the same fit
    assert np.array_equal(trained["model"][-1].coef_, lr1.coef_)
    assert trained["n"] == len(y)


def _coded(nlp, texts):
    from pactwatch.events.coder import code_docs

    return [[{k: v for k, v in e.items()} for e in d._.events]
            for _, d in code_docs([(str(i), t, "2020-01-01") for i, t in enumerate(texts)], nlp=nlp)]


def test_never_fires_without_a_source_actor(nlp, trained):
    """With both thresholds at 0 the layer acts wherever it may; still nothing where the rules find no source
    (no actor, no agent noun, a passive without agent), and every event it fills in has the rules' source."""
    from pactwatch.events.coder import code_docs

    coder = nlp.get_pipe("pactwatch_events")
    no_source = ["Talks concluded on Monday in the capital.",
                 "The agreement was welcomed yesterday.",
                 "It was announced that the border would reopen.",
                 "Prices rose sharply after the meeting."]
    with_source = ["Russia accused the United States of restoring the blackmail in the negotiations.",
                   "The French president concluded that the talks were useful."]
    texts = no_source + with_source
    fired = 0
    for i, doc in code_docs([(str(i), t, "2020-01-01") for i, t in enumerate(texts)], nlp=nlp, layer=False):
        before = [dict(e) for e in doc._.events]
        cands = [a for a in doc._.abstained if a["reason"].startswith(RM.FILL_REASONS)]
        RM.apply_layer(doc, coder, trained["model"], fill_t=0.0, override_t=0.0)
        if int(i) < len(no_source):
            assert before == [] and doc._.events == [], doc.text
            assert cands or doc.text.startswith(("The agreement", "Prices"))  # the layer had verbs to try
        for e in doc._.events:
            assert e["source"] is not None or e["source_text"]
            fired += "model" in e
    assert fired >= 1  # with actors, the layer does act


def test_layer_in_pipeline_marks_what_it_changed(events_dir, trained, monkeypatch):
    from pactwatch.events.pipeline import load_pipeline

    nlp_on = load_pipeline(events_dir=str(events_dir), root_model=True)
    layer = nlp_on.get_pipe("pactwatch_rootmodel")
    layer.model, layer._loaded = trained["model"], True  # the module's fit; no training in the user's cache
    text = ("Zimbabwean Prime Minister Robert Mugabe today accused the United States of restoring the blackmail "
            "in the negotiations on independence for Namibia.")  # a dev sentence: gold 11x, rules 16x
    ev_on, = _coded(nlp_on, [text])
    rules, = _coded(load_pipeline(events_dir=str(events_dir), root_model=False), [text])
    assert [e["root"] for e in rules] == ["16"]
    assert [e["root"] for e in ev_on] == ["11"]
    m = ev_on[0]["model"]
    assert m["action"] == "override" and m["rule_code"].startswith("16") and m["p"] >= RM.OVERRIDE_THRESHOLD
    assert ev_on[0]["code"] == "110" and ev_on[0]["source"] == "ZWE"


def _events_dir_without_gold(events_dir, tmp_path) -> Path:
    d = tmp_path / "events"
    d.mkdir()
    for sub in Path(events_dir).iterdir():
        if sub.name != "gold":
            (d / sub.name).symlink_to(sub)
    return d


def test_without_gold_files_the_coder_is_rules_only(events_dir, tmp_path):
    from pactwatch.events.pipeline import load_pipeline

    nog = _events_dir_without_gold(events_dir, tmp_path)
    assert RM.gold_files(nog) == []
    with pytest.raises(FileNotFoundError, match="no gold files"):
        RM.train(nog)
    texts = ["Zimbabwean Prime Minister Robert Mugabe today accused the United States of restoring the blackmail.",
             "Russia and China signed a trade agreement in Beijing on Monday.",
             "North Korea fired two ballistic missiles into the sea, Seoul said."]
    nlp_on = load_pipeline(events_dir=str(nog), root_model=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        on = _coded(nlp_on, texts)
    layer = nlp_on.get_pipe("pactwatch_rootmodel")
    assert layer.model is None and layer.status.startswith("rules only") and "no gold files" in layer.status
    assert any("rules only" in str(x.message) for x in w)
    off = _coded(load_pipeline(events_dir=str(events_dir), root_model=False), texts)
    assert json.dumps(on, sort_keys=True) == json.dumps(off, sort_keys=True)
    assert not any("model" in e for evs in on for e in evs)


def test_cache_is_keyed_and_invalidated(events_dir, nlp, tmp_path, monkeypatch):
    """A small dev subset so each fit takes well under a second."""
    from pactwatch.events.evaluate import read_gold, split_of

    g = tmp_path / "ev" / "gold"
    g.mkdir(parents=True)
    for s in RM.GOLD_SETS:
        recs = [r for i, r in enumerate(read_gold(Path(events_dir) / "gold" / f"{s}.jsonl")) if split_of(r, i) == "dev"]
        (g / f"{s}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs[:15]), encoding="utf-8")
    cache = tmp_path / "cache"
    a = RM.train(tmp_path / "ev", nlp=nlp, cache_dir=cache)
    assert not a["cached"] and Path(a["path"]).is_file() and a["key"] in a["path"]
    b = RM.train(tmp_path / "ev", nlp=nlp, cache_dir=cache)
    assert b["cached"] and b["key"] == a["key"]
    # a changed gold file -> a new key, refitted
    with (g / "plover_gsr.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("\n")
    c = RM.train(tmp_path / "ev", nlp=nlp, cache_dir=cache)
    assert c["key"] != a["key"] and not c["cached"]
    # a new code version -> a new key
    monkeypatch.setattr(RM, "VERSION", RM.VERSION + "-test")
    d = RM.train(tmp_path / "ev", nlp=nlp, cache_dir=cache)
    assert d["key"] not in (a["key"], c["key"]) and not d["cached"]
    # a broken cache file is rebuilt, not trusted
    Path(d["path"]).write_bytes(b"not a pickle")
    e = RM.train(tmp_path / "ev", nlp=nlp, cache_dir=cache)
    assert not e["cached"] and e["key"] == d["key"]
    # the default cache lives under paths.home()/cache/events
    f = RM.train(tmp_path / "ev", nlp=nlp)
    from pactwatch import paths

    assert Path(f["path"]).parent == paths.home() / "cache" / "events"


def test_cross_validation_never_reads_test_and_reports_both(events_dir, nlp):
    out = RM.cross_validate(events_dir, nlp=nlp)
    assert set(out["sets"]) == set(RM.GOLD_SETS)
    for v in out["sets"].values():
        assert v["rules"]["tp"] + v["rules"]["fn"] == v["rules+layer"]["tp"] + v["rules+layer"]["fn"]
    # the rules-only CV numbers are the rules' dev-half root scores
    from pactwatch.events.evaluate import evaluate

    for s in RM.GOLD_SETS:
        ev = evaluate(Path(events_dir) / "gold" / f"{s}.jsonl", nlp=nlp, split="dev")
        assert out["sets"][s]["rules"]["tp"] == ev["root"]["tp"]
        assert out["sets"][s]["rules"]["fp"] == ev["root"]["fp"]
        assert out["sets"][s]["rules"]["fn"] == ev["root"]["fn"]


def test_layer_trains_with_the_default_dictionaries(events_dir, nlp, tmp_path, monkeypatch):
    """A pipeline coding with other dictionaries (--verbs) gets the model fitted with the registered ones, so the
    cache key (gold files + version + spaCy pipeline) is enough."""
    from pactwatch.events.pipeline import load_pipeline

    seen = {}

    def fake_train(ed, nlp=None, **kw):
        seen["nlp"] = nlp
        raise FileNotFoundError("stop here")

    monkeypatch.setattr(RM, "train", fake_train)
    verbs = Path(events_dir) / "dictionaries" / "petrarch2" / "PETR.Validate.verbs.txt"
    if not verbs.is_file():
        pytest.skip("PETR.Validate verbs not available")
    custom = load_pipeline(verbs=str(verbs), events_dir=str(events_dir), root_model=True)
    layer = custom.get_pipe("pactwatch_rootmodel")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer.load()
    assert seen["nlp"] is nlp  # the cached default rules-only pipeline, not the custom one


def test_cache_key_changes_with_the_rule_coder(tmp_path, monkeypatch):
    """A layer cached under older rules is not reused: the key covers the rule coder's source and tables."""
    from pactwatch.events import rootmodel

    g = tmp_path / "plover_gsr.jsonl"
    g.write_text('{"text": "x", "events": []}\n', encoding="utf-8")
    k1 = rootmodel.cache_key([g], "m-1")
    assert rootmodel.cache_key([g], "m-1") == k1
    monkeypatch.setattr(rootmodel, "rules_fingerprint", lambda: "other rules")
    assert rootmodel.cache_key([g], "m-1") != k1
