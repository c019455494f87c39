"""Real-news labels (pactwatch.events_train.realnews): loading labels keyed by (file, start, end) against texts read
at run time, span verification, Cohen's kappa against scikit-learn, adjudication, the final label file (no text),
and the real-news scorer with its test-look counter. All texts here are written by the test."""
import json

import pytest

from pactwatch.errors import PactwatchError
from pactwatch.events_train import newseval, realnews

ART1 = "2024-03-05-test-visit.txt"
ART2 = "2024-04-01-test-talks.txt"
TEXT1 = ("Russia's foreign minister visited Pyongyang on Tuesday.\n"
         "Analysts think the partnership will deepen further.\n"
         "The two countries signed a treaty last year.\n")
TEXT2 = "North Korea condemned the United States on Monday.\nIt was cold.\n"


def _spans(text):
    out, a = [], 0
    for line in text.splitlines(keepends=True):
        s = line.rstrip("\n")
        if s:
            out.append((a, a + len(s)))
        a += len(line)
    return out


@pytest.fixture()
def arts(tmp_path):
    d = tmp_path / "news"
    (d / "articles").mkdir(parents=True)
    (d / "articles" / ART1).write_text(TEXT1, encoding="utf-8")
    (d / "articles" / ART2).write_text(TEXT2, encoding="utf-8")
    return d


def _labels(annotator="a"):
    s1, s2 = _spans(TEXT1), _spans(TEXT2)
    return [
        {"file": ART1, "start": s1[0][0], "end": s1[0][1], "split": "train", "type": "event", "annotator": annotator,
         "events": [{"source": "RUS", "target": "PRK", "code": "042", "trigger": [s1[0][0] + 25, s1[0][0] + 32]}]},
        {"file": ART1, "start": s1[1][0], "end": s1[1][1], "split": "train", "type": "opinion", "events": [],
         "annotator": annotator},
        {"file": ART1, "start": s1[2][0], "end": s1[2][1], "split": "train", "type": "background", "events": [],
         "annotator": annotator},
        {"file": ART2, "start": s2[0][0], "end": s2[0][1], "split": "dev", "type": "event", "annotator": annotator,
         "events": [{"source": "PRK", "target": "USA", "code": "111"}]},
        {"file": ART2, "start": s2[1][0], "end": s2[1][1], "split": "dev", "type": "other", "events": [],
         "annotator": annotator},
    ]


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_load_records_reads_span_texts_from_articles_dir(arts, tmp_path):
    lab = _write(tmp_path / "labels.jsonl", _labels())
    recs = realnews.load_records(lab, arts)
    assert [r["text"] for r in recs] == [line for line in (TEXT1 + TEXT2).splitlines() if line]
    r0 = recs[0]
    assert r0["date"] == "2024-03-05" and r0["type"] == "event" and not r0["noevents"]
    assert r0["events"] == [{"source": "RUS", "target": "PRK", "code": "042", "code_system": "CAMEO",
                             "trigger": [25, 32]}]
    assert recs[1]["noevents"] and recs[1]["events"] == []
    dev = realnews.load_records(lab, arts, split="dev")
    assert [r["file"] for r in dev] == [ART2, ART2]


def test_articles_dir_default_is_beside_data_dir(tmp_path, monkeypatch):
    d = tmp_path / "shared"
    (d / "articles" / "rus-prk-news" / "articles").mkdir(parents=True)
    (d / "data").mkdir()
    monkeypatch.delenv("PACTWATCH_NEWS_ARTICLES", raising=False)
    monkeypatch.setenv("PACTWATCH_DATA_DIR", str(d / "data"))
    assert realnews.articles_dir() == d / "articles" / "rus-prk-news"
    with pytest.raises(PactwatchError, match="not a real-news articles directory"):
        realnews.articles_dir(tmp_path)


def test_changed_text_fails_naming_file_and_offsets(arts, tmp_path):
    ldir = tmp_path / "lab"
    _write(tmp_path / "annotator-a.jsonl", _labels())
    realnews.build_final({"a": tmp_path / "annotator-a.jsonl"}, ldir, arts)
    assert len(realnews.load_records(None, arts, ldir=ldir)) == 5
    # one word changed, same length: only the checksum sees it
    (arts / "articles" / ART2).write_text(TEXT2.replace("Monday", "Friday"), encoding="utf-8")
    s = _spans(TEXT2)[0]
    with pytest.raises(PactwatchError, match=rf"{ART2} \[{s[0]}:{s[1]}\].*differs"):
        realnews.load_records(None, arts, ldir=ldir)
    # text cut short: the span runs past its end
    (arts / "articles" / ART2).write_text("North Korea.", encoding="utf-8")
    with pytest.raises(PactwatchError, match=rf"{ART2} \[{s[0]}:{s[1]}\].*beyond the end"):
        realnews.load_records(None, arts, ldir=ldir)
    (arts / "articles" / ART2).unlink()
    with pytest.raises(PactwatchError, match=f"{ART2}.*not found"):
        realnews.load_records(None, arts, ldir=ldir)


def test_read_labels_rejects_text_bad_type_and_events_on_non_event(tmp_path):
    good = _labels()[0]
    for bad, msg in (({**good, "text": "copyrighted"}, "must not carry the text"),
                     ({**good, "type": "news"}, "type 'news'"),
                     ({**_labels()[1], "events": good["events"]}, "events given on a sentence of type 'opinion'"),
                     ({**good, "events": [{"source": "RUS", "target": "", "code": "visit"}]}, "not a CAMEO code"),
                     ({**good, "end": good["start"]}, "start < end")):
        p = _write(tmp_path / "x.jsonl", [bad])
        with pytest.raises(PactwatchError, match=msg):
            realnews.read_labels(p)
    p = _write(tmp_path / "x.jsonl", [good, good])
    with pytest.raises(PactwatchError, match="labelled twice"):
        realnews.read_labels(p)


def test_kappa_matches_sklearn_on_constructed_example():
    from sklearn.metrics import cohen_kappa_score

    a, b = _labels("a"), _labels("b")
    b[1] = {**b[1], "type": "background"}                       # type disagreement
    b[3] = {**b[3], "events": [{"source": "PRK", "target": "USA", "code": "112"}]}  # same root 11, other code
    b[0] = {**b[0], "events": b[0]["events"] + [{"source": "PRK", "target": "RUS", "code": "043"}]}
    k = realnews.kappa(a, b)
    ta, tb = [r["type"] for r in a], [r["type"] for r in b]
    assert k["type"]["kappa"] == round(cohen_kappa_score(ta, tb), 4)
    assert k["type"]["agreement"] == 0.8
    ra = ["04", "none", "none", "11", "none"]
    rb = ["04", "none", "none", "11", "none"]
    assert k["root"]["kappa"] == round(cohen_kappa_score(ra, rb), 4) == 1.0
    # triples as one label per sentence: sentence 0 differs (b adds PRK>RUS:04); per triple a has 2, b 3, 2 shared
    tri_a = ["RUS>PRK:04", "none", "none", "PRK>USA:11", "none"]
    tri_b = ["PRK>RUS:04|RUS>PRK:04", "none", "none", "PRK>USA:11", "none"]
    assert k["triple"]["kappa"] == round(cohen_kappa_score(tri_a, tri_b), 4) and k["triple"]["agreement"] == 0.8
    assert k["triple_positive_agreement"] == {"f1": 0.8, "a_triples": 2, "b_triples": 3, "shared": 2}
    assert k["sentences"] == 5
    with pytest.raises(PactwatchError, match="share no sentence"):
        realnews.kappa(a[:2], b[2:])


def test_adjudication_takes_a_and_lists_disagreements(arts, tmp_path):
    a, b = _labels("a"), _labels("b")
    b[3] = {**b[3], "events": [{"source": "PRK", "target": "USA", "code": "112"}]}
    final, dis = realnews.adjudicate({"a": a, "b": b})
    assert len(final) == 5 and dis == [realnews.key_of(a[3])]
    assert final[[realnews.key_of(r) for r in final].index(realnews.key_of(a[3]))]["events"][0]["code"] == "111"
    # a hand adjudication of the disputed sentence wins
    adj = [{**b[3], "annotator": "lead"}]
    final2, _ = realnews.adjudicate({"a": a, "b": b}, adjudicated=adj)
    got = next(r for r in final2 if realnews.key_of(r) == realnews.key_of(a[3]))
    assert got["events"][0]["code"] == "112" and got["annotator"] == "adjudicated"


def test_build_final_writes_offsets_and_codes_but_no_text(arts, tmp_path):
    ldir = tmp_path / "lab"
    b = _labels("b")
    b[1] = {**b[1], "type": "background"}
    summary = realnews.build_final({"a": _write(tmp_path / "annotator-a.jsonl", _labels("a")),
                                    "b": _write(tmp_path / "annotator-b.jsonl", b)}, ldir, arts)
    assert summary["sentences"] == 5 and summary["disagreements"] == 1
    assert summary["kappa_ab"]["type"]["agreement"] == 0.8
    for f in ldir.iterdir():
        body = f.read_text(encoding="utf-8")
        for line in (TEXT1 + TEXT2).splitlines():
            assert line not in body, f.name
    assert [json.loads(x) for x in (ldir / "disagreements.jsonl").read_text().splitlines()] == [
        {"file": ART1, "start": _spans(TEXT1)[1][0], "end": _spans(TEXT1)[1][1]}]


def test_score_counts_roots_triples_quad_and_opinion_rate(arts, tmp_path, nlp):
    recs = realnews.load_records(_write(tmp_path / "l.jsonl", _labels()), arts)
    table = nlp.get_pipe("pactwatch_events").codes

    def ev(src, tgt, code, root, quad, at, conf=0.9):
        return {"source": src, "target": tgt, "code": code, "root": root, "quad": quad, "confidence": conf,
                "verb_span": [at, at + 3]}
    preds = [[ev("RUS", "PRK", "042", "04", 1, 25)],             # right
             [ev("RUS", None, "036", "03", 1, 70)],              # opinion sentence coded as an event
             [], [ev("USA", "PRK", "111", "11", 3, 5)],           # root right, actors swapped
             []]
    s = newseval.score(recs, preds, table)
    assert (s["root"]["tp"], s["root"]["fp"], s["root"]["fn"]) == (2, 1, 0)
    assert (s["source_target_root"]["tp"], s["source_target_root"]["fp"], s["source_target_root"]["fn"]) == (1, 2, 1)
    assert s["quad_accuracy"] == 1.0 and s["opinion_coded_as_event"] == 1.0
    assert s["coded_as_event"]["background"]["share"] == 0.0


def test_test_split_scoring_is_counted(arts, tmp_path, nlp):
    ldir = tmp_path / "lab"
    rows = [{**r, "split": "test"} for r in _labels()]
    realnews.build_final({"a": _write(tmp_path / "annotator-a.jsonl", rows)}, ldir, arts)
    assert realnews.count_test_look(tmp_path / "other") == 1
    out = newseval.evaluate_news("test", nlp=nlp, arts=arts, ldir=ldir)
    assert out["test_looks"] == 1 and out["sentences"] == 5
    out = newseval.evaluate_news("test", nlp=nlp, arts=arts, ldir=ldir)
    assert json.loads((ldir / "test_looks.json").read_text())["count"] == 2 == out["test_looks"]
    newseval.evaluate_news("train", nlp=nlp, arts=arts, ldir=ldir)
    assert json.loads((ldir / "test_looks.json").read_text())["count"] == 2
    out = newseval.evaluate_news("test", nlp=nlp, arts=arts, ldir=ldir, bootstrap=100)  # intervals: one look
    assert out["test_looks"] == 3 == json.loads((ldir / "test_looks.json").read_text())["count"]
    assert out["intervals"]["resamples"] == 100 and len(out["intervals"]["root"]["ci95"]) == 2


def test_resample_f1_pools_articles_and_collapses_when_articles_agree():
    import numpy as np

    same = newseval.resample_f1([[2, 1, 1]] * 5, 200, seed=1)
    assert np.allclose(same, 2 * 10 / (2 * 10 + 5 + 5))
    mixed = newseval.resample_f1([[4, 0, 0], [0, 2, 2]], 2000, seed=1)
    # a draw has k copies of the perfect article and 2-k of the empty one: F1 in {0, 2/3, 1} (k = 0, 1, 2)
    assert set(np.round(mixed, 4)) <= {0.0, 0.6667, 1.0} and 0.5 < mixed.mean() < 0.7


def test_article_intervals_resample_whole_articles_and_bracket_the_point(arts, tmp_path, nlp):
    recs = realnews.load_records(_write(tmp_path / "l.jsonl", _labels()), arts)
    table = nlp.get_pipe("pactwatch_events").codes
    by_file = {}
    for i, r in enumerate(recs):
        by_file.setdefault(r["file"], []).append(i)
    assert len(by_file) >= 2
    preds = [[] for _ in recs]
    right = next(i for i, r in enumerate(recs) if r["events"])  # one article fully right, the rest missed
    g = recs[right]["events"][0]
    preds[right] = [{"source": g["source"], "target": g.get("target"), "code": g["code"], "root": str(g["code"])[:2],
                     "quad": 1, "confidence": 1.0, "verb_span": [recs[right]["start"], recs[right]["start"] + 1]}]
    point = newseval.score(recs, preds, table)["root"]["f1"]
    iv = newseval.article_intervals(recs, preds, table, 500, seed=3)
    assert iv["articles"] == len(by_file) and iv["unit"] == "article"
    lo, hi = iv["root"]["ci95"]
    assert lo < point < hi  # some draws hold only the missed article (F1 0), some only the right one
    assert lo == 0.0
    same = newseval.article_intervals(recs, preds, table, 500, seed=3)
    assert same == iv  # seeded
