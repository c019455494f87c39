"""Fitting the hybrid coder's model on the train split or on train and dev (pactwatch.events_train.hybrid.train,
`events train-hybrid --fit-on`): the model records the splits it was fitted on, and scoring it on one of them
(evaluate-news on dev for a train+dev model) is refused, as those figures would not be held out. The test split is
never fitted on. Small labelled articles written by the test; real (tiny) fits."""
import json
import pickle

import pytest

from pactwatch.errors import PactwatchError
from pactwatch.events_train import hybrid as th
from pactwatch.events_train import newseval, realnews

ARTS = {
    "2024-03-05-a.txt": ("Russia attacked Ukraine on Monday.\nAnalysts think the war will last.\n"
                         "Russia praised China on Tuesday.\n", "train"),
    "2024-03-06-b.txt": ("Japan criticized Russia on Monday.\nIt was cold.\nChina met Russia on Friday.\n", "train"),
    "2024-03-07-c.txt": ("North Korea condemned the United States on Monday.\nSome think it matters.\n"
                         "Russia visited North Korea in June.\n", "train"),
    "2024-03-08-d.txt": ("France attacked Germany on Monday.\nCritics believe it will fail.\n"
                         "Germany praised Italy on Sunday.\n", "dev"),
    "2024-03-09-e.txt": ("Russia met China on Monday.\nObservers doubt the talks.\n", "test"),
}
GOLD = {"attacked": ("190", None), "praised": ("051", None), "criticized": ("111", None), "met": ("040", None),
        "condemned": ("111", None), "visited": ("042", None)}
ACTORS = {"Russia": "RUS", "Ukraine": "UKR", "China": "CHN", "Japan": "JPN", "North Korea": "PRK",
          "the United States": "USA", "France": "FRA", "Germany": "DEU", "Italy": "ITA"}


def _rows():
    rows = []
    for f, (text, split) in ARTS.items():
        a = 0
        for line in text.splitlines(keepends=True):
            s = line.rstrip("\n")
            verb = next((v for v in GOLD if f" {v} " in s), None)
            row = {"file": f, "start": a, "end": a + len(s), "split": split, "annotator": "a", "events": [],
                   "type": "event" if verb else ("opinion" if " think" in s or "believe" in s or "doubt" in s
                                                 else "other")}
            if verb:
                src, rest = s.split(f" {verb} ", 1)
                tgt = next(n for n in sorted(ACTORS, key=len, reverse=True) if rest.startswith(n))
                t0 = a + s.index(f" {verb} ") + 1
                row["events"] = [{"source": ACTORS[src], "target": ACTORS[tgt], "code": GOLD[verb][0],
                                  "trigger": [t0, t0 + len(verb)]}]
            rows.append(row)
            a += len(line)
    return rows


@pytest.fixture()
def labelled(tmp_path):
    arts = tmp_path / "news"
    (arts / "articles").mkdir(parents=True)
    for f, (text, _) in ARTS.items():
        (arts / "articles" / f).write_text(text, encoding="utf-8")
    ldir = tmp_path / "labels"
    src = tmp_path / "annotator-a.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in _rows()), encoding="utf-8")
    realnews.build_final({"a": src}, ldir, arts)
    return arts, ldir


def _hybrid(events_dir, path):
    from pactwatch.events.pipeline import load_pipeline

    return load_pipeline(events_dir=str(events_dir), root_model=False, coder="hybrid", hybrid_model=str(path))


def test_model_fitted_on_train_and_dev_records_its_splits_and_is_refused_on_dev(nlp, events_dir, labelled,
                                                                                tmp_path):
    arts, ldir = labelled
    n = {s: len(realnews.load_records(None, arts, split=s, ldir=ldir)) for s in ("train", "dev")}
    both = th.train(nlp=nlp, arts=arts, ldir=ldir, events_dir=events_dir, out=tmp_path / "both.pkl",
                    splits=("train", "dev"))
    model = pickle.loads((tmp_path / "both.pkl").read_bytes())
    assert model["fitted_on"] == both["fitted_on"] == ["train", "dev"]
    assert model["n_sentences"] == n["train"] + n["dev"] == 12
    with pytest.raises(PactwatchError, match=r"fitted on the train and dev split.*not|as if held out"):
        newseval.evaluate_news("dev", nlp=_hybrid(events_dir, tmp_path / "both.pkl"), coder="hybrid", arts=arts,
                               ldir=ldir)
    with pytest.raises(PactwatchError, match="as if held out"):
        newseval.evaluate_news("train", nlp=_hybrid(events_dir, tmp_path / "both.pkl"), coder="hybrid", arts=arts,
                               ldir=ldir)
    assert not (ldir / realnews.TEST_LOOKS).exists()

    # the default fit: the train split only, recorded; its dev figures are held out and are scored
    one = th.train(nlp=nlp, arts=arts, ldir=ldir, events_dir=events_dir, out=tmp_path / "train.pkl")
    model = pickle.loads((tmp_path / "train.pkl").read_bytes())
    assert model["fitted_on"] == one["fitted_on"] == ["train"] and model["n_sentences"] == n["train"]
    out = newseval.evaluate_news("dev", nlp=_hybrid(events_dir, tmp_path / "train.pkl"), coder="hybrid", arts=arts,
                                 ldir=ldir)
    assert out["hybrid_fitted_on"] == ["train"] and out["sentences"] == n["dev"]


def test_model_without_fitted_on_counts_as_fitted_on_train():
    assert newseval.model_fitted_on({"key": "old"}) == ("train",)
    newseval.check_held_out({"key": "old"}, "dev")
    with pytest.raises(PactwatchError, match="train split"):
        newseval.check_held_out({"key": "old"}, "train")
    newseval.check_held_out(None, "dev")  # the rule coder alone: no model, nothing to refuse


def test_fit_splits_never_take_test_and_select_cannot_fit_on_dev(nlp, labelled, tmp_path):
    arts, ldir = labelled
    assert th.fit_splits(["train", "Dev", "dev"]) == ("train", "dev")
    for bad, msg in ((("train", "test"), "'test' cannot be fitted on"), ((), "no split"),
                     (("dev",), "train split must be")):
        with pytest.raises(PactwatchError, match=msg):
            th.train(nlp=nlp, arts=arts, ldir=ldir, out=tmp_path / "m.pkl", splits=bad)
    with pytest.raises(PactwatchError, match="cannot be chosen while fitting on it"):
        th.train(nlp=nlp, arts=arts, ldir=ldir, out=tmp_path / "m.pkl", splits=("train", "dev"), select_on_dev=True)
    assert not (tmp_path / "m.pkl").exists() and not (ldir / realnews.TEST_LOOKS).exists()


def test_cli_train_hybrid_fit_on_train_and_dev(nlp, events_dir, labelled, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pactwatch.cli.events import app

    arts, ldir = labelled
    out = tmp_path / "cli.pkl"
    base = ["train-hybrid", "--articles", str(arts), "--labels-dir", str(ldir), "--events-dir", str(events_dir),
            "--hybrid-model", str(out)]
    r = CliRunner().invoke(app, base + ["--fit-on", "train+dev", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["fitted_on"] == ["train", "dev"]
    assert pickle.loads(out.read_bytes())["fitted_on"] == ["train", "dev"]
    r = CliRunner().invoke(app, ["evaluate-news", "--split", "dev", "--coder", "hybrid", "--hybrid-model", str(out),
                                 "--articles", str(arts), "--labels-dir", str(ldir), "--events-dir", str(events_dir)])
    assert r.exit_code != 0 and "as if held out" in str(r.exception)
    r = CliRunner().invoke(app, base + ["--fit-on", "train+test"])
    assert r.exit_code != 0 and "never fitted on" in str(r.exception)
    r = CliRunner().invoke(app, base + ["--fit-on", "train+dev", "--select"])
    assert r.exit_code != 0 and "cannot be chosen while fitting on it" in str(r.exception)
