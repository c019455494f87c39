"""The structural round's variants of the hybrid coder (docs/events-structural.md), on the real-news DEV split and
by grouped 5-fold cross-validation by article within the TRAIN split (never test).

    PACTWATCH_EVENTS_DIR=../shared/events .venv/bin/python tools/hybrid_structural_probe.py [--cv] [--only NAME ...]

Each variant is the DEFAULTS of :mod:`pactwatch.events_train.hybrid` plus the settings it names (``joint``: one
decision per verb and source phrase, :func:`pactwatch.events.hybrid.joint_decisions`; ``characterise``: a naming
verb with a predicate is a statement proposal, :func:`pactwatch.events.hybrid.recode_characterisations`;
``speech_target``: a statement's target is the first other actor of what it says; ``speech`` (``inner`` /
``outer``): features of what a statement says, :func:`pactwatch.events.hybrid.annotate_speech`; ``one_per_root``:
:func:`pactwatch.events.hybrid.one_per_root`; ``retry``: proposals without a source stay broad candidates,
:func:`pactwatch.events.hybrid.candidates`; ``sentence_bow``: the sentence's bag of words as features or not),
fitted on train (or four train folds) and scored at acceptance 0.6 and 0.7 (``--accept``). ``before`` is the
DEFAULTS as they were before this round. Prints one line per variant and threshold: root F1 (TP/FP/FN), source+target+root F1, quad accuracy,
opinion rate, predicted events.
"""
from __future__ import annotations

import argparse

VARIANTS = {
    "before": {"joint": False, "characterise": False},  # the DEFAULTS before this round
    "joint_off": {"joint": False},
    "defaults": {},
    "joint": {"joint": True},
    "speech_target": {"speech_target": True},
    "speech": {"speech": True},
    "speech+target": {"speech": True, "speech_target": True},
    "no_sentence_bow": {"sentence_bow": False},
    "speech_inner": {"speech": "inner"},
    "speech_outer": {"speech": "outer"},
    "characterise": {"characterise": True},
    "one_per_root": {"one_per_root": True},
    "retry": {"retry": True},
    "speech_root": {"speech": True, "speech_root": True},
    "time": {"time": True},
}


def _line(name, at, s):
    from pactwatch.events_train.newseval import brief

    return f"{name:22s} accept {at}: {brief(s)}"


def main() -> None:
    from pactwatch.events.pipeline import load_pipeline
    from pactwatch.events_train import hybrid as th
    from pactwatch.events_train import newseval, realnews

    ap = argparse.ArgumentParser()
    ap.add_argument("--cv", action="store_true")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--accept", nargs="*", type=float, default=[0.6, 0.7])
    a = ap.parse_args()
    nlp = load_pipeline(root_model=False, coder="rules")
    coder = nlp.get_pipe("pactwatch_events")
    train = th.collect_news(realnews.load_records(None, split="train"), nlp)
    names = a.only or list(VARIANTS)
    if not a.cv:
        dev_recs = realnews.load_records(None, split="dev")
        dev_docs = newseval.code_articles(dev_recs, nlp)
        for name in names:
            cfg = {**th.DEFAULTS, **VARIANTS[name]}
            m = th.fit_config(train, cfg)
            for at in a.accept:
                ev = th.predict_split(dev_docs, coder, {**m, "accept_t": at})
                print("dev " + _line(name, at, newseval.score(dev_recs, newseval.assign(dev_recs, ev), coder.codes)),
                      flush=True)
        return
    folds = th.article_folds(train)
    for name in names:
        cfg = {**th.DEFAULTS, **VARIANTS[name]}
        ms = [th.fit_config([train[i] for i in tr], cfg) for tr, _ in folds]
        for at in a.accept:
            s = th.cv_score(train, coder, folds, [{**m, "accept_t": at} for m in ms])
            print("cv  " + _line(name, at, s), flush=True)


if __name__ == "__main__":
    main()
