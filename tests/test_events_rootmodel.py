"""The supervised CAMEO root layer (pactwatch.events.rootmodel, fitted by pactwatch.events_train.rootmodel): trained
on the gold sets' dev halves only, deterministic, cached by the gold files' sha256 + code version, never firing without
a source actor, and absent gold files (or no fitted model) leave the coder exactly as the rules make it. The model is
fitted once per module (a few seconds)."""
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from pactwatch.events import rootmodel as RM
from pactwatch.events_train import rootmodel as TR




@pytest.fixture(scope="module")
def data(events_dir, nlp):
    files = RM.gold_files(events_dir)
    assert [f.stem for f in files] == list(RM.GOLD_SETS)
    recs = TR.dev_records(files)
    X, y, _ = TR.featurize(recs, nlp)
    return recs, X, y


@pytest.fixture(scope="module")
def trained(events_dir, nlp, tmp_path_factory):
    return TR.train(events_dir, nlp=nlp, cache_dir=tmp_path_factory.mktemp("rmcache"))


def test_trains_on_dev_halves_only(events_dir, data):
    from pactwatch.events.scorer import read_gold, split_of

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
    m1, m2 = TR.fit(X, y), TR.fit(X, y)
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
    layer.use(trained["model"])  # the module's fit; no training in the user's cache
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
        TR.train(nog)
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
    from pactwatch.events.scorer import read_gold, split_of

    g = tmp_path / "ev" / "gold"
    g.mkdir(parents=True)
    for s in RM.GOLD_SETS:
        recs = [r for i, r in enumerate(read_gold(Path(events_dir) / "gold" / f"{s}.jsonl")) if split_of(r, i) == "dev"]
        (g / f"{s}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs[:15]), encoding="utf-8")
    cache = tmp_path / "cache"
    a = TR.train(tmp_path / "ev", nlp=nlp, cache_dir=cache)
    assert not a["cached"] and Path(a["path"]).is_file() and a["key"] in a["path"]
    b = TR.train(tmp_path / "ev", nlp=nlp, cache_dir=cache)
    assert b["cached"] and b["key"] == a["key"]
    # a changed gold file -> a new key, refitted
    with (g / "plover_gsr.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("\n")
    c = TR.train(tmp_path / "ev", nlp=nlp, cache_dir=cache)
    assert c["key"] != a["key"] and not c["cached"]
    # a new code version -> a new key
    monkeypatch.setattr(RM, "VERSION", RM.VERSION + "-test")
    d = TR.train(tmp_path / "ev", nlp=nlp, cache_dir=cache)
    assert d["key"] not in (a["key"], c["key"]) and not d["cached"]
    # a broken cache file is rebuilt, not trusted
    Path(d["path"]).write_bytes(b"not a pickle")
    e = TR.train(tmp_path / "ev", nlp=nlp, cache_dir=cache)
    assert not e["cached"] and e["key"] == d["key"]
    # the default cache lives under paths.home()/cache/events
    f = TR.train(tmp_path / "ev", nlp=nlp)
    from pactwatch import paths

    assert Path(f["path"]).parent == paths.home() / "cache" / "events"


def test_cross_validation_never_reads_test_and_reports_both(events_dir, nlp):
    out = TR.cross_validate(events_dir, nlp=nlp)
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


def _cache_in_home(trained):
    """The module's fitted model copied where the layer looks for it (paths.home()/cache/events)."""
    import shutil

    from pactwatch import paths

    dst = paths.home() / "cache" / "events"
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy(trained["path"], dst)


def test_layer_uses_the_model_fitted_with_the_default_dictionaries(events_dir, trained):
    """A pipeline coding with other dictionaries (verbs=...) loads the model fitted with the registered ones: the cache
    key (gold files + version + rules + spaCy pipeline) does not depend on the dictionaries."""
    from pactwatch.events.pipeline import load_pipeline

    verbs = Path(events_dir) / "dictionaries" / "petrarch2" / "PETR.Validate.verbs.txt"
    if not verbs.is_file():
        pytest.skip("PETR.Validate verbs not available")
    _cache_in_home(trained)
    custom = load_pipeline(verbs=str(verbs), events_dir=str(events_dir), root_model=True)
    layer = RM.RootModelLayer(custom, str(events_dir))  # a fresh layer (the pipeline's own is shared across tests)
    layer.load()
    assert layer.model is not None and trained["key"] in layer.status
    assert np.array_equal(layer.model[-1].coef_, trained["model"][-1].coef_)


def test_layer_never_fits_at_coding_time(events_dir, nlp, monkeypatch):
    """The runtime layer only loads a fitted model: with none cached it codes with the rules, says why, and points to
    the training module; it never fits one itself (fitting lives in pactwatch.events_train)."""
    monkeypatch.setattr(TR, "fit", lambda *a, **k: pytest.fail("the coding pipeline fitted a model"))
    layer = RM.RootModelLayer(nlp, str(events_dir))
    with pytest.warns(UserWarning, match="rules only"):
        layer.load()
    assert layer.model is None
    assert layer.status.startswith("rules only") and "events_train" in layer.status


def test_cache_key_changes_with_the_rule_coder(tmp_path, monkeypatch):
    """A layer cached under older rules is not reused: the key covers the rule coder's source and tables."""
    from pactwatch.events import rootmodel

    g = tmp_path / "plover_gsr.jsonl"
    g.write_text('{"text": "x", "events": []}\n', encoding="utf-8")
    k1 = rootmodel.cache_key([g], "m-1")
    assert rootmodel.cache_key([g], "m-1") == k1
    monkeypatch.setattr(rootmodel, "rules_fingerprint", lambda: "other rules")
    assert rootmodel.cache_key([g], "m-1") != k1
