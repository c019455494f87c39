"""A small supervised CAMEO root-code layer on top of the rule coder (optional; see docs/events.md).

What it is: a multinomial logistic regression (scikit-learn) from features of one verb's parse (its lemma, particle,
object head, prepositional heads, governing verb, negation/modality flags, lemmas of its subtree) and of the rule
coder's own candidate code for that verb, to the CAMEO root (01-20).

Trained ONLY on the ``dev`` halves (:func:`pactwatch.events.evaluate.split_of`) of the gold sets ``plover_gsr`` and
``cameo_codebook_examples`` found in the events reference directory (``gold/``); the ``test`` halves are never read
for training. Unit of training: one distinct gold sentence (the PLOVER and codebook copies of a sentence count once),
label = the root of its first gold CAMEO code, features = those of the verb the rule coder coded (else the verb it
abstained on, else the sentence's root verb).

What it does at coding time (component ``pactwatch_rootmodel``, after ``pactwatch_events``):
(a) *fill*: in a sentence where the rules coded nothing, a verb the rules abstained on only because the dictionary
    had no pattern for it (or only the residual 'make statement') gets the predicted root's base code (e.g. 040)
    when the model's probability is >= the threshold, the verb is not negated/modal/hypothetical and the rules'
    source finder gives it a source actor; (b) *override*: an event the rules coded gets the predicted root's base
    code when the model disagrees with probability >= the override threshold. It never creates an event without a
    source actor. Events it touched carry ``"model": {"root": ..., "p": ..., "action": "fill"|"override",
    "rule_code": ...}``.

The fitted model is a derived artifact of the shared gold files: it is cached under
``paths.home()/cache/events/rootmodel-<key>.pkl`` keyed by the sha256 of the gold files, the rule coder's source
and :data:`VERSION`, never shipped. Without the gold files the coder runs on its rules alone (``status`` says why).
"""
from __future__ import annotations

import hashlib
import json
import pickle
import warnings
from pathlib import Path

#: bump when features, labels or the training recipe change (invalidates cached models)
VERSION = "rootmodel-2"
GOLD_SETS = ("plover_gsr", "cameo_codebook_examples")
#: probability thresholds, chosen by grouped 5-fold cross-validation within the dev halves (docs/events.md)
#: (grid: C in 1/10/100/1000, fill 0.3-0.7 or off, override 0.6-0.9 or off, with/without the rule-code features)
FILL_THRESHOLD = 1.01  # > 1: off -- filling abstentions added false positives at every threshold in dev CV
OVERRIDE_THRESHOLD = 0.7
#: whether load_pipeline adds the layer by default ($PACTWATCH_ROOT_MODEL overrides)
DEFAULT_ON = False
C = 100.0
#: the rule coder's own code as a feature: with it the model echoes the rules and never overrides them (dev CV)
RULE_FEATURES = False
FILL_REASONS = ("verb has no code without a matching pattern", "residual 'make statement'")


# -- features ---------------------------------------------------------------------------------------------------
def verb_features(tok, rule_code: str | None = None) -> dict:
    """Features of one verb token (spaCy Token) and the rule coder's code for it (None when it abstained)."""
    from pactwatch.events.pipeline import MODALS

    lem = tok.lemma_.lower()
    f = {f"v={lem}": 1.0}
    kids = list(tok.children)
    for c in kids:
        d = c.dep_
        if d == "prt":
            f[f"prt={lem}_{c.lower_}"] = 1.0
        elif d in ("dobj", "nsubjpass", "attr", "dative"):
            f[f"obj={c.lemma_.lower()}"] = 1.0
            f[f"vobj={lem}_{c.lemma_.lower()}"] = 1.0
        elif d == "prep":
            f[f"prep={c.lower_}"] = 1.0
            f[f"vprep={lem}_{c.lower_}"] = 1.0
            for o in c.children:
                if o.dep_ == "pobj":
                    f[f"pobj={c.lower_}_{o.lemma_.lower()}"] = 1.0
        elif d in ("xcomp", "ccomp") and c.pos_ in ("VERB", "AUX"):
            f[f"comp={c.lemma_.lower()}"] = 1.0
        elif d == "neg":
            f["neg"] = 1.0
        elif d in ("aux", "auxpass") and c.lower_ in MODALS:
            f["modal"] = 1.0
        elif d == "nsubj":
            f[f"subj={c.lemma_.lower()}"] = 1.0
    if tok.head.i != tok.i:
        f[f"head={tok.head.lemma_.lower()}"] = 1.0
        f[f"dep={tok.dep_}"] = 1.0
    for t in tok.subtree:
        if t.pos_ in ("NOUN", "VERB", "ADJ") and t.i != tok.i:
            f[f"w={t.lemma_.lower()}"] = 0.5
    if not RULE_FEATURES:
        return f
    if rule_code:
        f[f"rule_root={rule_code[:2]}"] = 2.0
        f[f"rule_code={rule_code}"] = 1.0
    else:
        f["rule_none"] = 1.0
    return f


def _token_at(doc, char):
    for t in doc:
        if t.idx == char:
            return t
    return None


def training_instance(doc) -> tuple[object, str | None] | None:
    """(verb token, rule code) a gold sentence is represented by: the rule coder's top event's verb, else the first
    verb it abstained on, else the sentence's root verb."""
    ev = doc._.events or []
    if ev:
        top = max(ev, key=lambda e: e["confidence"])
        tok = _token_at(doc, top["verb_span"][0])
        if tok is not None:
            return tok, top["code"]
    for a in doc._.abstained or []:
        tok = _token_at(doc, a["verb_span"][0])
        if tok is not None:
            return tok, None
    roots = [t for t in doc if t.dep_ == "ROOT"]
    return (roots[0], None) if roots else None


# -- data ---------------------------------------------------------------------------------------------------------
def gold_files(events_dir) -> list[Path]:
    """The gold files the layer trains on, when present in ``<events_dir>/gold/``."""
    g = Path(events_dir) / "gold"
    return [g / f"{s}.jsonl" for s in GOLD_SETS if (g / f"{s}.jsonl").is_file()]


def rules_fingerprint() -> str:
    """sha256 of the rule coder's source and hand-written tables: the layer's training instances (the rules' top
    event per sentence) change when they do, so a model cached under older rules must not be reused."""
    from importlib import resources

    h = hashlib.sha256()
    pkg = resources.files("pactwatch.events")
    for name in ("pipeline.py", "intent.py", "lexicon.py", "actors.py", "coder.py"):
        h.update(pkg.joinpath(name).read_bytes())
    res = pkg.joinpath("resources")
    for f in sorted((x for x in res.iterdir() if x.name.endswith(".yaml")), key=lambda x: x.name):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def cache_key(files, spacy_model: str = "") -> str:
    """sha256 over :data:`VERSION`, the rule coder's fingerprint (:func:`rules_fingerprint`), the spaCy pipeline's
    name and version and each gold file's name and sha256."""
    h = hashlib.sha256(VERSION.encode())
    h.update(rules_fingerprint().encode())
    h.update(spacy_model.encode())
    for p in files:
        h.update(Path(p).name.encode())
        h.update(hashlib.sha256(Path(p).read_bytes()).hexdigest().encode())
    return h.hexdigest()[:20]


def dev_records(files) -> list[dict]:
    """Dev-half records with a CAMEO code, one per distinct text (first occurrence kept), in file order."""
    from pactwatch.events.evaluate import read_gold, split_of

    seen, out = set(), []
    for p in files:
        for i, r in enumerate(read_gold(p)):
            if split_of(r, i) != "dev" or r.get("noevents"):
                continue
            codes = [e["code"] for e in r["events"] if e.get("code_system") == "CAMEO" and e.get("code")]
            if not codes or r["text"] in seen:
                continue
            seen.add(r["text"])
            out.append({"text": r["text"], "date": r.get("date") or None, "root": str(codes[0])[:2],
                        "group": str(codes[0])})
    return out


def featurize(records, nlp) -> tuple[list[dict], list[str], list[str]]:
    """Run the rule coder (without this layer) on the records -> (feature dicts, labels, groups)."""
    from pactwatch.events.coder import code_docs

    X, y, g = [], [], []
    items = [(str(i), r["text"], r["date"]) for i, r in enumerate(records)]
    for r, (_id, doc) in zip(records, code_docs(items, nlp=nlp, layer=False)):
        inst = training_instance(doc)
        if inst is None:
            continue
        X.append(verb_features(*inst))
        y.append(r["root"])
        g.append(r["group"])
    return X, y, g


def fit(X, y, c: float = C):
    """Deterministic fit (lbfgs, no random state involved): DictVectorizer + multinomial logistic regression."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    m = make_pipeline(DictVectorizer(sparse=True), LogisticRegression(C=c, max_iter=2000))
    m.fit(X, y)
    return m


def cross_validate(events_dir, nlp=None, folds: int = 5, c: float = C, fill_t: float = FILL_THRESHOLD,
                   override_t: float = OVERRIDE_THRESHOLD) -> dict:
    """Grouped k-fold cross-validation WITHIN the dev halves: records are grouped by their first gold CAMEO code
    (the key that splits dev from test, so a held-out fold, like the test half, holds codes the model has not seen,
    and the PLOVER and codebook copies of a sentence stay together). Per gold set: root precision/recall/F1 of the
    rules alone and of rules + layer on the held-out folds, scored as :func:`pactwatch.events.evaluate.evaluate`
    scores roots. Never reads the test halves."""
    from sklearn.model_selection import GroupKFold

    from pactwatch.events.coder import code_docs
    from pactwatch.events.evaluate import _mentions, _overlap, _prf, read_gold, split_of
    from pactwatch.events.lexicon import code_info

    if nlp is None:
        from pactwatch.events.pipeline import load_pipeline

        nlp = load_pipeline(events_dir=str(events_dir), root_model=False)
    coder = nlp.get_pipe("pactwatch_events")
    recs = []
    for p in gold_files(events_dir):
        for i, r in enumerate(read_gold(p)):
            if split_of(r, i) != "dev":
                continue
            codes = [e["code"] for e in r["events"] if e.get("code_system") == "CAMEO" and e.get("code")]
            gold = [] if r.get("noevents") else [(code_info(c_, coder.codes).root if code_info(c_, coder.codes)
                                                   else str(c_)[:2]) for c_ in codes]
            if r["events"] and not r.get("noevents") and not gold:
                continue  # gold only in another code system: not scored for roots
            recs.append({"set": p.stem, "text": r["text"], "date": r.get("date") or None, "gold": gold,
                         "group": str(codes[0]) if codes else f"id:{r.get('id', i)}"})
    docs = [d for _, d in code_docs([(str(i), r["text"], r["date"]) for i, r in enumerate(recs)], nlp=nlp,
                                    layer=False)]
    base = [[e["root"] for e in _mentions(d._.events)] for d in docs]
    inst = [training_instance(d) for d in docs]
    feats = [verb_features(*x) if x else None for x in inst]
    after = [None] * len(recs)
    changed = []
    for tr, te in GroupKFold(n_splits=folds).split(recs, groups=[r["group"] for r in recs]):
        seen, X, y = set(), [], []
        for j in tr:
            if recs[j]["gold"] and feats[j] is not None and recs[j]["text"] not in seen:
                seen.add(recs[j]["text"])
                X.append(feats[j])
                y.append(recs[j]["gold"][0])
        model = fit(X, y, c=c)
        for j in te:
            d = coder(docs[j])  # the rules again, then the layer fitted without this fold
            apply_layer(d, coder, model, fill_t=fill_t, override_t=override_t)
            after[j] = [e["root"] for e in _mentions(d._.events)]
            if after[j] != base[j]:
                changed.append({"set": recs[j]["set"], "text": recs[j]["text"], "gold": recs[j]["gold"],
                                "rules": base[j], "layer": after[j]})
    out = {"folds": folds, "C": c, "fill_threshold": fill_t, "override_threshold": override_t, "sets": {},
           "changed": changed}
    for s in sorted({r["set"] for r in recs}):
        res = {}
        for name, pv in (("rules", base), ("rules+layer", after)):
            t = [0, 0, 0]
            for r, p in zip(recs, pv):
                if r["set"] == s:
                    tp, fp, fn = _overlap(p, r["gold"])
                    t[0] += tp; t[1] += fp; t[2] += fn
            res[name] = _prf(*t)
        out["sets"][s] = {"records": sum(r["set"] == s for r in recs), **res}
    return out


def train(events_dir, nlp=None, cache_dir=None, force: bool = False) -> dict:
    """Fit (or load from the cache) the model on the dev halves of the gold files in ``events_dir``. ``nlp``: the
    rules-only pipeline whose parse and rule output give the features; it must use the registered dictionaries
    (the default of ``load_pipeline``): the cache key covers the spaCy pipeline, not extra dictionaries. Returns
    {"model", "key", "n", "classes", "files", "cached"}; raises FileNotFoundError when no gold file is present."""
    from pactwatch import paths

    files = gold_files(events_dir)
    if not files:
        raise FileNotFoundError(f"no gold files ({', '.join(GOLD_SETS)}) in {Path(events_dir) / 'gold'}")
    if nlp is None:
        from pactwatch.events.pipeline import load_pipeline

        nlp = load_pipeline(events_dir=str(events_dir), root_model=False)
    key = cache_key(files, f"{nlp.meta.get('name', '')}-{nlp.meta.get('version', '')}")
    cdir = Path(cache_dir) if cache_dir else paths.home() / "cache" / "events"
    path = cdir / f"rootmodel-{key}.pkl"
    if path.is_file() and not force:
        try:
            with path.open("rb") as fh:
                obj = pickle.load(fh)
            if obj.get("key") == key and obj.get("version") == VERSION:
                return {**obj, "cached": True, "path": str(path)}
        except Exception:  # a broken cache file is rebuilt
            pass
    X, y, _ = featurize(dev_records(files), nlp)
    model = fit(X, y)
    obj = {"model": model, "key": key, "version": VERSION, "n": len(y), "classes": sorted(set(y)),
           "files": [str(p) for p in files]}
    cdir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(obj, fh)
    tmp.replace(path)
    return {**obj, "cached": False, "path": str(path)}


# -- applying -----------------------------------------------------------------------------------------------------
def predict(model, feats: list[dict]):
    """-> list of (root, probability) of the most probable class."""
    if not feats:
        return []
    P = model.predict_proba(feats)
    cls = model.classes_
    return [(str(cls[j]), float(p[j])) for p in P for j in [int(p.argmax())]]


def apply_layer(doc, coder, model, fill_t: float = FILL_THRESHOLD, override_t: float = OVERRIDE_THRESHOLD):
    """Fill/override roots in ``doc._.events`` (see the module docstring). ``coder``: the EventCoder (for its source
    finder, abstention checks and code table)."""
    from pactwatch.events.lexicon import code_info

    events = list(doc._.events or [])
    # (b) override
    if override_t <= 1.0 and events:
        toks = [_token_at(doc, e["verb_span"][0]) for e in events]
        pairs = [(e, t) for e, t in zip(events, toks) if t is not None]
        for (e, t), (root, p) in zip(pairs, predict(model, [verb_features(t, e["code"]) for e, t in pairs])):
            if p >= override_t and root != e["root"]:
                info = code_info(root + "0", coder.codes)
                if info is None:
                    continue
                _recode(e, info, coder, {"root": root, "p": round(p, 3), "action": "override", "rule_code": e["code"]})
    # (a) fill: sentences with no rule event
    with_event = {e["sentence_span"][0] for e in events}
    cands = []
    seen_tok = set()
    for a in doc._.abstained or []:
        if not a["reason"].startswith(FILL_REASONS):
            continue
        tok = _token_at(doc, a["verb_span"][0])
        if tok is None or tok.i in seen_tok or tok.sent.start_char in with_event:
            continue
        seen_tok.add(tok.i)
        if coder._abstain_reason(tok):
            continue
        cands.append(tok)
    if cands:
        idx = coder.actor_index(doc)
        preds = predict(model, [verb_features(t, None) for t in cands])
        filled = set()
        for tok, (root, p) in zip(cands, preds):
            if p < fill_t or tok.sent.start_char in filled:
                continue
            kind, payload = coder._emit(tok, root + "0", None, idx, None)
            if kind != "event" or not payload:
                continue  # no source actor: the layer never fires
            for e in payload:
                e["pattern"] = f"model: root {root} p={p:.2f}"
                e["model"] = {"root": root, "p": round(p, 3), "action": "fill", "rule_code": None}
                e["confidence"] = round(min(e["confidence"], p), 2)
            events.extend(payload)
            filled.add(tok.sent.start_char)
            doc._.abstained = [a for a in doc._.abstained if a["verb_span"][0] != tok.idx]
    events.sort(key=lambda e: e["verb_span"][0])
    doc._.events = events
    return doc


def _recode(e, info, coder, model_info):
    g = info.goldstein if coder.goldstein == "gdelt" or info.goldstein_icews is None else info.goldstein_icews
    e.update({"code": info.code, "root": info.root, "name": info.name, "quad": info.quad, "penta": info.penta,
              "goldstein": g, "plover_event": info.plover_event, "plover_mode": info.plover_mode,
              "model": model_info})


class RootModelLayer:
    """spaCy component ``pactwatch_rootmodel``. Loads (training when needed) the model on first use; when the gold
    files are absent it does nothing and ``status`` says so (a warning is issued once)."""

    def __init__(self, nlp, events_dir, enabled: bool = True, spacy_model: str | None = None):
        self.nlp = nlp
        self.spacy_model = spacy_model
        self.events_dir = events_dir
        self.enabled = enabled
        self.model = None
        self.status = "not loaded"
        self._loaded = False

    def load(self):
        self._loaded = True
        if not self.enabled:
            self.status = "disabled"
            return
        try:
            # fitted with the default dictionaries of the same spaCy pipeline, whatever dictionaries this pipeline
            # codes with (--verbs/--actors/--people), so one cached model serves them all
            from pactwatch.events.pipeline import load_pipeline

            base = load_pipeline(self.spacy_model, events_dir=self.events_dir,
                                 root_model=False) if gold_files(self.events_dir) else None
            got = train(self.events_dir, nlp=base)
        except FileNotFoundError as exc:
            self.status = f"rules only: {exc}"
            warnings.warn(f"pactwatch root-code model not used ({exc}); coding with the rules only", stacklevel=2)
            return
        self.model = got["model"]
        self.status = f"model {got['key']} ({got['n']} dev sentences{', cached' if got['cached'] else ''})"

    def __call__(self, doc):
        if not self._loaded:
            self.load()
        if self.model is None:
            return doc
        return apply_layer(doc, self.nlp.get_pipe("pactwatch_events"), self.model)


def describe(info: dict) -> str:
    return json.dumps({k: v for k, v in info.items() if k != "model"}, indent=1)
