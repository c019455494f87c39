"""A small supervised CAMEO root-code layer on top of the rule coder (optional; see docs/events.md).

What it is: a multinomial logistic regression (scikit-learn) from features of one verb's parse (its lemma, particle,
object head, prepositional heads, governing verb, negation/modality flags, lemmas of its subtree) and of the rule
coder's own candidate code for that verb, to the CAMEO root (01-20), fitted on the dev halves of the gold sets by
:mod:`pactwatch.events_train.rootmodel` (outside this runtime package, which never imports it).

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
and :data:`VERSION`, never shipped. This module only loads it (:func:`load_cached`). Without the gold files, or
before the model is fitted, the coder runs on its rules alone (``status`` says why).
"""
from __future__ import annotations

import hashlib
import json
import pickle
import warnings
from pathlib import Path

from spacy.language import Language

from pactwatch.events.abstention import MODALS, abstain_reason
from pactwatch.events.lexicon import code_info

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



def token_at(doc, char):
    """The token starting at character ``char`` of ``doc``, else None."""
    for t in doc:
        if t.idx == char:
            return t
    return None


# -- data ---------------------------------------------------------------------------------------------------------
def gold_files(events_dir) -> list[Path]:
    """The gold files the layer trains on, when present in ``<events_dir>/gold/``."""
    g = Path(events_dir) / "gold"
    return [g / f"{s}.jsonl" for s in GOLD_SETS if (g / f"{s}.jsonl").is_file()]


#: the rule coder's modules (their source is part of the cache key)
RULE_SOURCES = ("pipeline.py", "segment.py", "docattrs.py", "actor_mentions.py", "coref.py", "coding.py", "patterns.py",
                "roles.py", "abstention.py", "syntax.py", "intent.py", "lexicon.py", "actors.py", "coder.py")


def rules_fingerprint() -> str:
    """sha256 of the rule coder's source and hand-written tables: the layer's training instances (the rules' top
    event per sentence) change when they do, so a model cached under older rules must not be reused."""
    from importlib import resources

    h = hashlib.sha256()
    pkg = resources.files("pactwatch.events")
    for name in RULE_SOURCES:
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


def pipeline_name(nlp) -> str:
    """The spaCy pipeline's name and version as the cache key takes them (``en_core_web_sm-3.8.0``)."""
    return f"{nlp.meta.get('name', '')}-{nlp.meta.get('version', '')}"


def cache_file(key: str, cache_dir=None) -> Path:
    """Where the model of ``key`` is cached: ``<cache_dir or paths.home()/cache/events>/rootmodel-<key>.pkl``."""
    from pactwatch import paths

    cdir = Path(cache_dir) if cache_dir else paths.home() / "cache" / "events"
    return cdir / f"rootmodel-{key}.pkl"


def load_cached(events_dir, spacy_model: str, cache_dir=None) -> dict:
    """The fitted model for the gold files in ``events_dir``, the rules of this code and the spaCy pipeline
    ``spacy_model`` (:func:`pipeline_name`): ``{"model", "key", "n", "classes", "files", "version", "path"}``.
    Raises FileNotFoundError when there are no gold files or no model fitted for this key (a cache file that cannot
    be read, or holds another key or version, counts as none)."""
    files = gold_files(events_dir)
    if not files:
        raise FileNotFoundError(f"no gold files ({', '.join(GOLD_SETS)}) in {Path(events_dir) / 'gold'}")
    key = cache_key(files, spacy_model)
    path = cache_file(key, cache_dir)
    if path.is_file():
        try:
            with path.open("rb") as fh:
                obj = pickle.load(fh)
            if obj.get("key") == key and obj.get("version") == VERSION:
                return {**obj, "path": str(path)}
        except Exception:  # a broken cache file is no model
            pass
    raise FileNotFoundError(f"no root-code model fitted for these gold files and rules (key {key}, expected {path}); "
                            "fit it with pactwatch.events_train.train (the `events train` command)")


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
    finder and code table)."""
    events = list(doc._.events or [])
    # (b) override
    if override_t <= 1.0 and events:
        toks = [token_at(doc, e["verb_span"][0]) for e in events]
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
        tok = token_at(doc, a["verb_span"][0])
        if tok is None or tok.i in seen_tok or tok.sent.start_char in with_event:
            continue
        seen_tok.add(tok.i)
        if abstain_reason(tok):
            continue
        cands.append(tok)
    if cands:
        idx = coder.actor_index(doc)
        preds = predict(model, [verb_features(t, None) for t in cands])
        filled = set()
        for tok, (root, p) in zip(cands, preds):
            if p < fill_t or tok.sent.start_char in filled:
                continue
            kind, payload = coder.emit(tok, root + "0", None, idx, None)
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


@Language.factory("pactwatch_rootmodel", default_config={"events_dir": None, "enabled": True, "spacy_model": None})
def make_rootmodel(nlp, name, events_dir, enabled, spacy_model):
    return RootModelLayer(nlp, events_dir, enabled, spacy_model)


class RootModelLayer:
    """spaCy component ``pactwatch_rootmodel``. Loads the fitted model on first use (:func:`load_cached`: fitted with
    the default dictionaries of the same spaCy pipeline, whatever dictionaries this pipeline codes with, so one cached
    model serves them all); without gold files or a fitted model it does nothing and ``status`` says so (a warning is
    issued once)."""

    def __init__(self, nlp, events_dir, enabled: bool = True, spacy_model: str | None = None):
        self.nlp = nlp
        self.spacy_model = spacy_model
        self.events_dir = events_dir
        self.enabled = enabled
        self.model = None
        self.status = "not loaded"
        self._loaded = False

    def use(self, model, status: str = "model given") -> None:
        """Code with ``model`` (a fitted model, e.g. from :func:`pactwatch.events_train.train`) instead of the cached one."""
        self.model, self.status, self._loaded = model, status, True

    def load(self):
        self._loaded = True
        if not self.enabled:
            self.status = "disabled"
            return
        try:
            got = load_cached(self.events_dir, pipeline_name(self.nlp))
        except FileNotFoundError as exc:
            self.status = f"rules only: {exc}"
            warnings.warn(f"pactwatch root-code model not used ({exc}); coding with the rules only", stacklevel=2)
            return
        self.model = got["model"]
        self.status = f"model {got['key']} ({got['n']} dev sentences, cached)"

    def __call__(self, doc):
        if not self._loaded:
            self.load()
        if self.model is None:
            return doc
        return apply_layer(doc, self.nlp.get_pipe("pactwatch_events"), self.model)


def describe(info: dict) -> str:
    return json.dumps({k: v for k, v in info.items() if k != "model"}, indent=1)
