"""Learning curve of the hybrid coder (DEFAULTS) on the real news: how its scores grow with the amount of labelled
train articles, on the DEV split and by grouped cross-validation within TRAIN (never test). docs/events-curve.md.

    PACTWATCH_EVENTS_DIR=../shared/events OMP_NUM_THREADS=1 \
        .venv/bin/python tools/hybrid_learning_curve.py [--fractions 0.25 0.5 0.75 1] [--seeds 5] \
        [--set KEY=VALUE ...] [--no-dev] [--fit-score] [--cv [--cv-splits train dev]] [--boot 2000] [--json OUT]

- **dev**: for each fraction f and seed, ``round(f * 42)`` train articles drawn at random (by article, without
  replacement; f = 1 is the whole train split, one run), the DEFAULTS model fitted on their sentences
  (:func:`pactwatch.events_train.hybrid.fit_config`) and scored on the dev split (:mod:`newseval`).
- **cv** (``--cv``): the grouped 5-fold split of the train articles (:func:`article_folds`); in each fold a fraction
  f of that fold's training articles is drawn (same rule), fitted, and the held-out fold scored; the five held-out
  folds are pooled (:func:`cv_score`). No dev label is read.
- **fit** (``--fit-score``): each dev run's model also scored on the train articles it was fitted on (in-sample;
  far above the held-out scores = variance, which more data cures; low too = the model or its candidates limit).
- ``--cv-splits train dev``: the CV runs fold over the train and dev articles pooled (56 articles: the fraction 1
  models see about 470 sentences, as a train+dev refit would see 586). Dev labels are then fitted on in four folds
  of five; the dev runs above stay the separate check.
- **bootstrap** (``--boot N``): the DEFAULTS model fitted on all train articles, its dev predictions scored per dev
  article, and the dev articles resampled with replacement N times: percentile intervals of root F1 and
  source+target+root F1 (the dev figures' sampling uncertainty over articles).
- **curve**: least squares of F1 on ln(training sentences) over the runs (each seed one point), and the number of
  sentences at which the line would reach the targets (root F1 0.60, s+t+r F1 0.45), with a spread from drawing the
  line's two coefficients from their estimated covariance (the runs share one dev split, so this understates the
  uncertainty; see docs/events-curve.md); the same over the upper half of the fractions (>= 0.5) only, the slope
  where the curve is now; and an inverse power law F1 = c - d n^-alpha whose asymptote c is where it levels off.

Seeds: f < 1 gets ``--seeds`` draws (``--seeds-big`` for f >= 0.75); f = 1 is deterministic.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys

TARGETS = {"root": 0.60, "source_target_root": 0.45}


def _row(s: dict) -> dict:
    return {**{k: {m: s[k][m] for m in ("tp", "fp", "fn", "f1")} for k in ("root", "source_target_root")},
            "opinion": s["opinion_coded_as_event"]}


def draw(files: list[str], frac: float, seed: int) -> list[str]:
    """``round(frac * len(files))`` of ``files`` (at least 2) drawn without replacement by ``seed``; all when
    ``frac >= 1``."""
    files = sorted(files)
    if frac >= 1:
        return files
    k = max(2, round(frac * len(files)))
    return sorted(random.Random(seed).sample(files, k))


def _seeds(frac, a):
    return [0] if frac >= 1 else list(range(a.seeds_big if frac >= 0.75 else a.seeds))


def run_dev(train, dev_recs, dev_docs, coder, a) -> list[dict]:
    from pactwatch.events_train import hybrid as th
    from pactwatch.events_train import newseval

    files = sorted({u["rec"]["file"] for u in train})
    out = []
    for frac in a.fractions:
        for seed in _seeds(frac, a):
            keep = set(draw(files, frac, 1000 * seed + round(100 * frac)))
            sub = [u for u in train if u["rec"]["file"] in keep]
            m = th.fit_config(sub, a.config)
            ev = th.predict_split(dev_docs, coder, m)
            s = newseval.score(dev_recs, newseval.assign(dev_recs, ev), coder.codes)
            row = {"eval": "dev", "fraction": frac, "seed": seed, "articles": len(keep), "sentences": len(sub),
                   **_row(s)}
            out.append(row)
            if a.fit_score:  # the same model on the articles it was fitted on (in-sample: bias vs variance)
                own = th.predict_split({u["rec"]["file"]: u["doc"] for u in sub}, coder, m)
                rr = [u["rec"] for u in sub]
                fs = newseval.score(rr, newseval.assign(rr, own), coder.codes)
                out.append({**row, "eval": "fit", **_row(fs)})
            print(f"dev frac {frac} seed {seed} articles {len(keep)} sentences {len(sub)}: {newseval.brief(s)}",
                  file=sys.stderr, flush=True)
    return out


def run_cv(train, coder, a) -> list[dict]:
    from pactwatch.events_train import hybrid as th
    from pactwatch.events_train import newseval

    folds = th.article_folds(train)
    out = []
    for frac in a.fractions:
        for seed in _seeds(frac, a):
            models, n_sent, n_art, used = [], [], [], []
            for i, (tr, held) in enumerate(folds):
                files = sorted({train[j]["rec"]["file"] for j in tr})
                keep = set(draw(files, frac, 1000 * seed + round(100 * frac) + 17 * i))
                sub = [train[j] for j in tr if train[j]["rec"]["file"] in keep]
                models.append(th.fit_config(sub, a.config))
                n_sent.append(len(sub))
                n_art.append(len(keep))
                used.append((tr, held))
            s = th.cv_score(train, coder, used, models)
            row = {"eval": "cv", "fraction": frac, "seed": seed, "articles": sum(n_art) / len(n_art),
                   "sentences": sum(n_sent) / len(n_sent), **_row(s)}
            out.append(row)
            print(f"cv  frac {frac} seed {seed} mean articles {row['articles']:.1f} mean sentences "
                  f"{row['sentences']:.1f}: {newseval.brief(s)}", file=sys.stderr, flush=True)
    return out


def bootstrap(train, dev_recs, dev_docs, coder, n: int, seed: int = 0) -> dict:
    """Intervals of dev root and s+t+r F1 of the DEFAULTS model, dev articles resampled ``n`` times
    (:func:`pactwatch.events_train.newseval.article_intervals`)."""
    from pactwatch.events_train import hybrid as th
    from pactwatch.events_train import newseval

    m = th.fit_config(train, th.DEFAULTS)
    preds = newseval.assign(dev_recs, th.predict_split(dev_docs, coder, m))
    out = newseval.article_intervals(dev_recs, preds, coder.codes, n, seed)
    out["point"] = _row(newseval.score(dev_recs, preds, coder.codes))
    return out


def _count(v: float) -> int | None:
    """A sentence count, or None for 'never' (infinite, or beyond 10^12)."""
    return round(v) if math.isfinite(v) and v < 1e12 else None


def curve(rows: list[dict], n_draws: int = 4000, seed: int = 0) -> dict:
    """F1 = a + b ln(sentences) per measure by least squares over ``rows``; the sentences at which the line reaches
    each target, with 10th/50th/90th percentiles over (a, b) drawn from their estimated covariance (draws with
    b <= 0 never reach it and count as infinite; None: never, or beyond 10^12)."""
    import numpy as np

    x = np.log([r["sentences"] for r in rows])
    out = {}
    for k, target in TARGETS.items():
        y = np.array([r[k]["f1"] for r in rows])
        X = np.column_stack([np.ones_like(x), x])
        beta, *_ = np.linalg.lstsq(X, y, rcond=None)
        resid = y - X @ beta
        dof = max(len(y) - 2, 1)
        s2 = float(resid @ resid) / dof
        cov = s2 * np.linalg.inv(X.T @ X)
        a_, b_ = (float(v) for v in beta)
        log_need = (target - a_) / b_ if b_ > 0 else math.inf
        need = math.exp(log_need) if log_need < 700 else math.inf
        rng = np.random.default_rng(seed)
        ab = rng.multivariate_normal(beta, cov, size=n_draws)
        with np.errstate(over="ignore"):
            ns = np.where(ab[:, 1] > 0, np.exp(np.clip((target - ab[:, 0]) / np.where(ab[:, 1] > 0, ab[:, 1], 1),
                                                       None, 700)), np.inf)
        pct = lambda q: _count(float(np.percentile(ns, q, method="nearest")))  # noqa: E731  (inf-safe)
        out[k] = {"a": round(a_, 4), "b_per_doubling": round(b_ * math.log(2), 4),
                  "b_se_per_doubling": round(math.sqrt(cov[1, 1]) * math.log(2), 4),
                  "residual_sd": round(math.sqrt(s2), 4), "points": len(y), "target": target,
                  "sentences_needed": _count(need),
                  "needed_p10": pct(10), "needed_p50": pct(50), "needed_p90": pct(90),
                  "share_slope_nonpositive": round(float((ab[:, 1] <= 0).mean()), 4)}
    return out


def saturating(rows: list[dict]) -> dict:
    """F1 = c - d * sentences**(-alpha) per measure (an inverse power law, the usual learning-curve shape), least
    squares over ``rows``: the asymptote ``c`` with its standard error from the fit's covariance (None when the fit
    fails)."""
    import numpy as np
    from scipy.optimize import curve_fit

    n = np.array([r["sentences"] for r in rows], dtype=float)
    out = {}
    for k in TARGETS:
        y = np.array([r[k]["f1"] for r in rows])
        f = lambda x, c, d, al: c - d * x ** (-al)  # noqa: E731
        try:
            p, cov = curve_fit(f, n, y, p0=[y.max(), 1.0, 0.5], bounds=([0, 0, 0.05], [1, 1e4, 3]), maxfev=20000)
            out[k] = {"c": round(float(p[0]), 4), "c_se": round(float(np.sqrt(cov[0, 0])), 4),
                      "alpha": round(float(p[2]), 3), "points": len(y),
                      "at_2x": round(float(f(2 * n.max(), *p)), 4), "at_10x": round(float(f(10 * n.max(), *p)), 4)}
        except (RuntimeError, ValueError) as exc:
            out[k] = {"error": str(exc)}
    return out


def summarise(rows: list[dict]) -> list[dict]:
    """Mean, sd, min and max of F1 per (eval, fraction) over seeds, with summed TP/FP/FN per seed averaged."""
    import numpy as np

    out = []
    for ev in ("dev", "fit", "cv"):
        for frac in sorted({r["fraction"] for r in rows if r["eval"] == ev}):
            rr = [r for r in rows if r["eval"] == ev and r["fraction"] == frac]
            row = {"eval": ev, "fraction": frac, "runs": len(rr),
                   "articles": round(float(np.mean([r["articles"] for r in rr])), 1),
                   "sentences": round(float(np.mean([r["sentences"] for r in rr])), 1)}
            for k in TARGETS:
                f = np.array([r[k]["f1"] for r in rr])
                row[k] = {"mean": round(float(f.mean()), 4), "sd": round(float(f.std(ddof=1)), 4) if len(f) > 1
                          else None, "min": round(float(f.min()), 4), "max": round(float(f.max()), 4),
                          **{m: round(float(np.mean([r[k][m] for r in rr])), 1) for m in ("tp", "fp", "fn")}}
            op = [r["opinion"] for r in rr if r.get("opinion") is not None]
            row["opinion_max"] = max(op) if op else None
            out.append(row)
    return out


def markdown(res: dict) -> str:
    lines = ["| eval | fraction | runs | articles | sentences | root F1 mean (sd; min–max) | root TP/FP/FN (mean) "
             "| s+t+r F1 mean (sd; min–max) | s+t+r TP/FP/FN (mean) | opinion coded (max) |", "|---" * 10 + "|"]
    for r in res["summary"]:
        def cell(k, r=r):
            sd = "–" if r[k]["sd"] is None else f"{r[k]['sd']:.3f}"
            return f"{r[k]['mean']:.3f} ({sd}; {r[k]['min']:.3f}–{r[k]['max']:.3f})"

        tfn = lambda k: f"{r[k]['tp']:g}/{r[k]['fp']:g}/{r[k]['fn']:g}"  # noqa: E731
        lines.append(f"| {r['eval']} | {r['fraction']:g} | {r['runs']} | {r['articles']:g} | {r['sentences']:g} | "
                     f"{cell('root')} | {tfn('root')} | {cell('source_target_root')} | "
                     f"{tfn('source_target_root')} | {r['opinion_max']} |")
    return "\n".join(lines)


def main() -> None:
    from pactwatch.events.pipeline import load_pipeline
    from pactwatch.events_train import hybrid as th
    from pactwatch.events_train import newseval, realnews

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fractions", nargs="*", type=float, default=[0.25, 0.5, 0.75, 1.0])
    ap.add_argument("--seeds", type=int, default=10, help="draws per fraction below 0.75")
    ap.add_argument("--seeds-big", type=int, default=5, help="draws per fraction from 0.75 to below 1")
    ap.add_argument("--no-dev", action="store_true", help="skip the dev-split runs")
    ap.add_argument("--cv", action="store_true", help="also the grouped-CV runs within train")
    ap.add_argument("--fit-score", action="store_true",
                    help="also score each dev run's model on the train articles it was fitted on (in-sample)")
    ap.add_argument("--cv-splits", nargs="*", default=["train"],
                    help="the splits the CV runs fold over (default train; 'train dev' pools the dev articles in "
                         "too: still held out by fold, but dev then no longer checks the CV)")
    ap.add_argument("--boot", type=int, default=0, help="bootstrap draws over dev articles (0: none)")
    ap.add_argument("--json", help="write every run, the summaries and the curves to this file")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                    help="change DEFAULTS settings for the curve runs (JSON values, e.g. C=10); the bootstrap "
                         "always uses DEFAULTS")
    a = ap.parse_args()
    a.config = dict(th.DEFAULTS)
    for kv in a.set:
        k, _, v = kv.partition("=")
        if k not in th.DEFAULTS:
            ap.error(f"--set {kv}: {k!r} is not a DEFAULTS setting")
        a.config[k] = json.loads(v)
    nlp = load_pipeline(root_model=False, coder="rules")
    coder = nlp.get_pipe("pactwatch_events")
    train = th.collect_news(realnews.load_records(None, split="train"), nlp)
    res = {"defaults": th.DEFAULTS, "config": a.config, "runs": []}
    dev_recs = dev_docs = None
    if not a.no_dev or a.boot:
        dev_recs = realnews.load_records(None, split="dev")
        dev_docs = newseval.code_articles(dev_recs, nlp)
    if a.boot:
        res["bootstrap"] = bootstrap(train, dev_recs, dev_docs, coder, a.boot)
        print(json.dumps(res["bootstrap"]), file=sys.stderr, flush=True)
    if not a.no_dev:
        res["runs"] += run_dev(train, dev_recs, dev_docs, coder, a)
    if a.cv:
        if any(x not in ("train", "dev") for x in a.cv_splits):
            ap.error("--cv-splits: train and/or dev (never test)")
        pool = train if a.cv_splits == ["train"] else th.collect_news(
            [r for x in a.cv_splits for r in realnews.load_records(None, split=x)], nlp)
        res["cv_splits"] = a.cv_splits
        res["runs"] += run_cv(pool, coder, a)
    res["summary"] = summarise(res["runs"])
    evs = [ev for ev in ("dev", "cv") if sum(r["eval"] == ev for r in res["runs"]) >= 3]
    res["curve"] = {ev: curve([r for r in res["runs"] if r["eval"] == ev]) for ev in evs}
    # the upper half only (fractions >= 0.5): the slope where the curve is now, not where it started
    res["curve_upper"] = {ev: curve([r for r in res["runs"] if r["eval"] == ev and r["fraction"] >= 0.5])
                          for ev in evs}
    res["saturating"] = {ev: saturating([r for r in res["runs"] if r["eval"] == ev]) for ev in evs}
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(res, fh, indent=1)
    print(markdown(res))
    for name in ("curve", "curve_upper", "saturating"):
        for ev, c in res[name].items():
            for k, v in c.items():
                print(f"{name} {ev} {k}: {v}")
    if "bootstrap" in res:
        print("bootstrap", json.dumps(res["bootstrap"]))


if __name__ == "__main__":
    main()
