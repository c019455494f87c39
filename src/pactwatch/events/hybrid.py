"""Component ``pactwatch_hybrid``: learned decisions over the rule coder's candidate events (the hybrid coder).

The parse, the dictionaries and the rule coder (:mod:`pactwatch.events.coding`) propose candidates, each a verb with
a code, a source and a target: (1) the events the rules coded, and (2) verbs the rules abstained on only because
the dictionary had no specific pattern (no pattern, or only the residual 'make statement' 010) but for which the
rules' source finder gives a source actor and no abstention check (negation, modality, hedge, condition, question,
author's voice) fires. Learned models (scikit-learn, fitted on labelled real news by
:mod:`pactwatch.events_train.hybrid`, loaded here from a file) then decide:

- **whether** a candidate is an event: logistic regression on features of the candidate (verb lemma, the rule
  coder's code and root, how the rules reached it, mode, source/target codes and sectors, dependency label,
  tense, auxiliaries, negation, markers, governing verb, a sentence bag of words) and the probability that its
  sentence is an event sentence (a sentence-type model fitted on the ``type`` label: event / opinion / background /
  other). A candidate below the acceptance threshold goes to ``doc._.abstained`` with the reason.
- **which root**: a multinomial logistic regression over the same features; an accepted candidate gets the
  predicted root's base code when the model disagrees with the rules with probability >= the root threshold (a
  proposed candidate without a code always takes it).
- **which actors** (settings chosen on dev): an accepted event with no target may take the next other actor of its
  sentence (``fill_target``); a sentence with no accepted candidate but a high P(event sentence) may get one event
  of a sentence-level root model between its first two actors (``fallback_t``); with ``pairs`` (off, measured in
  docs/events-pairs.md) a learned model (:mod:`pactwatch.events.pairs`) may re-choose an accepted event's
  (source, target) among its sentence's actors.

Structural settings (docs/events-structural.md): ``joint`` (adopted) decides the copies of one verb and source
phrase together (:func:`joint_decisions`); ``characterise`` (adopted) makes a naming verb with a predicate a
statement proposal (:func:`recode_characterisations`); ``speech``/``speech_root``/``speech_target``,
``one_per_root``, ``retry``, ``time`` were measured and are off.

Opinion gate (docs/events-gate.md; off unless the model has ``gate`` and ``gate_t`` <= 1): a sentence whose
P(opinion/analysis sentence) from the model's ``gate`` (the sentence-type model, or a dedicated opinion-vs-not
model) is >= ``gate_t`` gets no event: all its candidates (and the sentence fallback) are vetoed
(:func:`opinion_gate`).

Accepted events carry ``"hybrid": {"p_event", "root", "p_root", "origin", "rule_code"}``; one event is kept per
(sentence, source, target, code), as the labels count them. The model file: the component's ``model_path``, else
``$PACTWATCH_HYBRID_MODEL``, else ``<paths.home()>/cache/events/hybrid-<VERSION>.pkl``. Without a usable model
(missing, another version, fitted under other rules) the component leaves the rule coder's output unchanged and
``status`` says why (a warning is issued once).
"""
from __future__ import annotations

import os
import pickle
import warnings
from pathlib import Path

from spacy.language import Language

from pactwatch.events import docattrs  # noqa: F401  (registers the doc attributes)
from pactwatch.events.abstention import HEDGES, MODALS, REPORT_VERBS, abstain_reason
from pactwatch.events.actor_mentions import sentence_mentions
from pactwatch.events.lexicon import code_info

#: bump when candidates, features or the model layout change (a model of another version is not used)
VERSION = "hybrid-1"
#: rule abstentions that become candidates (the verb has no specific code in the dictionary)
PROPOSE_REASONS = ("verb has no code without a matching pattern", "residual 'make statement'")
#: the code a proposed candidate carries before the root model names its root
PROPOSED_CODE = "010"
OPINION_WORDS = {"analyst", "expert", "observer", "likely", "could", "may", "might", "would", "perhaps", "probably",
                 "suggest", "believe", "think", "appear", "seem", "argue", "opinion", "speculate", "predict"}


# -- candidates ------------------------------------------------------------------------------------------------------
def token_at(doc, char):
    i = tok_index(doc).get(char)
    return doc[i] if i is not None else None


def tok_index(doc):
    """Character offset -> token index of every token of ``doc``."""
    return {t.idx: t.i for t in doc}


def candidates(doc, coder, broad: bool = False, nouns: bool = False, retry: bool = False) -> list[dict]:
    """The candidate events of ``doc`` after the rule coder ran: copies of ``doc._.events`` (``origin`` 'rules') and
    the proposals from abstentions (``origin`` 'proposed', code :data:`PROPOSED_CODE`, see the module docstring).
    ``broad``: also every other verb of the text (``origin`` 'verb'), whatever the rules said of it (the reason they
    abstained is a feature), with the rules' source and target finders, else the first two actors of its sentence.
    ``nouns`` (with ``broad``): also event nouns (``origin`` 'noun', see :func:`noun_candidates`). ``retry`` (with
    ``broad``): a verb proposed from an abstention for which the rules' finders give no source ("soldiers have been
    sent to ...", "..., a lawmaker said") is still a broad candidate with its sentence's actors (marked
    ``retried``); without it such a verb is no candidate at all."""
    out = [dict(e, origin="rules", rule_code=e["code"]) for e in doc._.events or []]
    have = {e["verb_span"][0] for e in out}
    failed: set = set()
    ti = tok_index(doc)
    idx = None
    for a in doc._.abstained or []:
        if not a["reason"].startswith(PROPOSE_REASONS) or a["verb_span"][0] in have:
            continue
        i = ti.get(a["verb_span"][0])
        if i is None or doc[i].pos_ != "VERB" or abstain_reason(doc[i]):
            continue
        if idx is None:
            idx = coder.actor_index(doc)
        kind, payload = coder.emit(doc[i], PROPOSED_CODE, None, idx, None)
        if kind != "event":
            if retry:  # no source from the roles: the broad pass may still take it with its sentence's actors
                failed.add(a["verb_span"][0])
            else:
                have.add(a["verb_span"][0])
            continue
        have.add(a["verb_span"][0])
        for e in payload:
            out.append(dict(e, origin="proposed", rule_code=None, reason=a["reason"]))
    if not broad:
        return out
    if nouns:
        if idx is None:
            idx = coder.actor_index(doc)
        out += noun_candidates(doc, coder, have, idx)
    why = {a["verb_span"][0]: a["reason"] for a in doc._.abstained or []}
    if idx is None:
        idx = coder.actor_index(doc)
    sent_actors = {}
    for tok in doc:
        if tok.pos_ != "VERB" or tok.idx in have:
            continue
        have.add(tok.idx)
        src = coder.roles.source(tok, idx)
        tgt = coder.roles.target(tok, idx)
        if src is not None and src[1].get("code"):
            s_, t_ = (src[0], src[1]), ((tgt[0], tgt[1]) if tgt is not None and tgt[1].get("code") else None)
            how = "roles"
        else:
            if tok.sent.start not in sent_actors:
                sent_actors[tok.sent.start] = _sentence_actors(tok.sent)
            acts = sent_actors[tok.sent.start]
            if not acts:
                continue
            s_, t_ = acts[0], (acts[1] if len(acts) > 1 else None)
            how = "sentence"
        e = _make_event(coder, tok, PROPOSED_CODE, s_, t_, f"hybrid: verb ({how} actors)")
        if e is not None:
            if t_ is not None and t_[1]["code"] == s_[1]["code"]:
                e.update({"target": None, "target_sector": None, "target_text": None, "target_span": None})
            out.append(dict(e, origin="verb", rule_code=None, reason=why.get(tok.idx, "not in the dictionary"),
                            actors_from=how, **({"retried": True} if tok.idx in failed else {})))
    return out


def annotate_context(doc, coder, cands) -> list[dict]:
    """The candidates with ``context_roots`` (:func:`context_roots` of each candidate's word) added."""
    ti = tok_index(doc)
    return [dict(c, context_roots=context_roots(coder, doc[ti[c["verb_span"][0]]])) for c in cands]


NOUN_TARGET_PREPS = ("to", "with", "on", "against", "for", "in", "into", "between", "from")


def noun_candidates(doc, coder, have: set, idx: dict) -> list[dict]:
    """Events named by a noun that no verb candidate covers ("the oil shipment to Pyongyang", "Putin's visit",
    "criticism of Moscow"): a common noun is a candidate when the verb dictionary codes a verb it derives from
    (:meth:`pactwatch.events.patterns.VerbPatterns.noun_code`, a *dictionary hit*). Source: an actor among the noun's own modifiers
    ("Russian delegation", "Putin's visit"), else the subject of the verb governing it ("Moscow announced the
    shipment"), else the first actor of the sentence; target: an actor in a 'to/with/on/against ...' phrase of the
    noun, else the next other actor of the sentence. The dictionary's code is kept as ``rule_code`` (a feature);
    the root model names the root. Marks the nouns it takes in ``have``."""
    out, sent_actors = [], {}
    for tok in doc:
        if tok.pos_ != "NOUN" or tok.idx in have or tok.i in idx or coder.roles.sector_of(tok):
            continue
        got = coder.patterns.noun_code(tok, tok.head if tok.head.i != tok.i else tok)
        if got is None or got[1] is None:
            continue
        src = coder.roles.actor_of_np([tok], idx)
        how = "noun"
        if src is None and tok.dep_ in ("dobj", "pobj", "attr") and tok.head.pos_ in ("VERB", "AUX", "ADP"):
            v = tok.head if tok.head.pos_ != "ADP" else tok.head.head
            src = coder.roles.source(v, idx) if v.pos_ in ("VERB", "AUX") else None
            how = "governing verb"
        tgt = None
        for c in tok.children:
            if c.dep_ == "prep" and c.lower_ in NOUN_TARGET_PREPS:
                for o in c.children:
                    if o.dep_ == "pobj":
                        tgt = coder.roles.joint(o, idx) or tgt
        if tok.sent.start not in sent_actors:
            sent_actors[tok.sent.start] = _sentence_actors(tok.sent)
        acts = sent_actors[tok.sent.start]
        if src is None or not src[1].get("code"):
            if not acts:
                continue
            src, how = acts[0], "sentence"
        s_ = (src[0], src[1])
        t_ = (tgt[0], tgt[1]) if tgt is not None and tgt[1].get("code") else None
        if t_ is None:
            other = [a for a in acts if a[1]["code"] != s_[1]["code"]]
            t_ = other[0] if other else None
        if t_ is not None and t_[1]["code"] == s_[1]["code"]:
            t_ = None
        e = _make_event(coder, tok, PROPOSED_CODE, s_, t_, f"hybrid: noun ({how} actors)")
        if e is None:
            continue
        have.add(tok.idx)
        out.append(dict(e, origin="noun", rule_code=None, noun_code=got[1], actors_from=how,
                        reason="dictionary noun"))
    return out


_DICT_ROOT: dict = {}
CONTEXT_DEPS = ("ccomp", "xcomp", "dobj", "pobj", "prep", "attr", "acomp", "advcl", "conj", "amod", "compound", "oprd")


def dict_root(coder, tok) -> str | None:
    """The CAMEO root the verb dictionary gives a word by default: a verb's own entry, a noun's through the verb it
    derives from (:func:`pactwatch.events.patterns.deverbal_candidates`); None when the dictionary has none or only
    the residual 'make statement' (01). Cached per (dictionary, lemma)."""
    from pactwatch.events.patterns import deverbal_candidates

    lem = tok.lemma_.lower()
    key = (id(coder.lex), tok.pos_ == "NOUN", lem)
    if key in _DICT_ROOT:
        return _DICT_ROOT[key]
    root = None
    for cand in (deverbal_candidates(lem) if tok.pos_ == "NOUN" else [coder.patterns.vkey(tok) or lem]):
        ents = [e for e in coder.lex.entries(cand) if e.particle is None] if cand in coder.lex else []
        if ents:
            code = ents[0].code or coder.lex.blocks.get(ents[0].block, {}).get("code")
            if code and str(code)[:2] not in ("01", "--") and str(code)[:2].isdigit():
                root = str(code)[:2]
            break
    _DICT_ROOT[key] = root
    return root


def context_roots(coder, tok, limit: int = 30) -> dict:
    """Dictionary roots (:func:`dict_root`) of the candidate word itself (``own``) and of the verbs and nouns of its
    subtree (``ctx``: root -> count, the first ``limit`` words): "said the launch was a violation ..." brings the
    roots of 'launch' and 'violation' to the statement verb."""
    own = dict_root(coder, tok) if tok.pos_ in ("VERB", "NOUN") else None
    ctx: dict = {}
    n = 0
    for t in tok.subtree:
        if t.i == tok.i or t.pos_ not in ("VERB", "NOUN"):
            continue
        n += 1
        if n > limit:
            break
        r = dict_root(coder, t)
        if r:
            ctx[r] = ctx.get(r, 0) + 1
    return {"own": own, "ctx": ctx}


#: verbs whose event, when the rules give none more specific, is what their complement says (a statement)
SPEECH_LEMMAS = REPORT_VERBS | {"call", "voice", "describe", "denounce", "warn", "stress", "emphasize", "emphasise",
                                "point", "express", "tweet", "post", "reiterate", "urge", "slam", "label", "brand"}
COMPLEMENT_DEPS = ("ccomp", "xcomp", "dobj", "oprd", "attr", "acomp", "prep", "advcl", "parataxis")


def is_speech(tok, cand: dict) -> bool:
    """A statement candidate: a speech verb (:data:`SPEECH_LEMMAS`) the rules coded as a statement (root 01) or did
    not code (proposed / any verb)."""
    if tok.lemma_.lower() not in SPEECH_LEMMAS:
        return False
    rc = cand.get("rule_code")
    return rc is None or str(rc)[:2] in ("01", "04")


def complement(tok) -> list:
    """The tokens of what a speech verb says: the subtrees of its complement children ("said [Russia had made an
    irresponsible decision]", "called [the veto] [a guilty plea]"), and of the clause it is a parenthetical of
    ('"Moscow has undermined ...," Wood said.': the quoted clause is the verb's head when spaCy attaches the verb
    as ``parataxis``/``ccomp`` of the quote)."""
    out = []
    for c in tok.children:
        if c.dep_ in COMPLEMENT_DEPS:
            out += list(c.subtree)
    if tok.dep_ in ("parataxis", "ccomp") and tok.head.i != tok.i and tok.head.i < tok.i:
        h = tok.head
        out += [t for t in h.subtree if t.i < tok.i and not (tok.left_edge.i <= t.i <= tok.right_edge.i)]
    return out


def annotate_speech(doc, coder, cands) -> list[dict]:
    """The candidates with ``speech`` added for statement candidates (:func:`is_speech`): the roots of the rule
    coder's events whose verb lies in the complement (``ev_roots``), whether such an event has a source other than
    the speaker (``other_src``), the dictionary roots of the complement's words (``dict_roots``,
    :func:`dict_root`), and the first actor of the complement that is not the speaker (``target``: (code, sector,
    text, [start, end]) or None). Every candidate whose verb lies in the complement of another candidate's speech
    verb with a different source gets ``inside_speech`` (the speaker's code)."""
    ti = tok_index(doc)
    idx = coder.actor_index(doc)
    ev_at = {}
    for e in doc._.events or []:
        ev_at.setdefault(e["verb_span"][0], []).append(e)
    out, inside = [], {}
    for c in cands:
        tok = doc[ti[c["verb_span"][0]]]
        if not is_speech(tok, c):
            out.append(c)
            continue
        comp = complement(tok)
        roots, other, dr, tgt = {}, False, {}, None
        for t in comp:
            for e in ev_at.get(t.idx, []):
                roots[e["root"]] = roots.get(e["root"], 0) + 1
                if e.get("source") and c.get("source") and e["source"] != c["source"]:
                    other = True
            if t.pos_ in ("VERB", "NOUN", "ADJ"):
                r = dict_root(coder, t) if t.pos_ != "ADJ" else None
                if r:
                    dr[r] = dr.get(r, 0) + 1
            if tgt is None and t.i in idx:
                sp, a, _ = idx[t.i]
                if a and a.get("code") and a["code"] != c.get("source") and a["code"] not in (c.get("source") or ""):
                    tgt = (a["code"], a.get("sector", ""), sp.text, [sp.start_char, sp.end_char])
        for t in comp:
            if t.pos_ == "VERB" and c.get("source"):
                inside.setdefault(t.idx, c["source"])
        out.append(dict(c, speech={"ev_roots": roots, "other_src": other, "dict_roots": dr, "target": tgt}))
    return [dict(c, inside_speech=inside[c["verb_span"][0]])
            if c["verb_span"][0] in inside and inside[c["verb_span"][0]] != c.get("source") else c for c in out]


def speech_features(cand: dict) -> dict:
    """Features of :func:`annotate_speech`'s annotations (empty for other candidates)."""
    f = {}
    sp = cand.get("speech")
    if sp is not None:
        f["speech"] = 1.0
        for r, n in sp["ev_roots"].items():
            f[f"sp_ev={r}"] = 1.0
            f[f"sp_evq={_quad_of_root(r)}"] = 1.0
        if sp["other_src"]:
            f["sp_other_src"] = 1.0
        for r, n in sp["dict_roots"].items():
            f[f"sp_dr={r}"] = min(n, 3) / 3.0
            f[f"sp_drq={_quad_of_root(r)}"] = 1.0
        f["sp_has_target"] = float(sp["target"] is not None)
    if cand.get("inside_speech"):
        f["inside_speech"] = 1.0
        f[f"inside_speech_q={_quad_of_root(str(cand.get('root') or ''))}"] = 1.0
    return f


def without_speech(f: dict) -> dict:
    """A feature dict without :func:`speech_features`' keys (the acceptance model's input under ``speech_root``)."""
    return {k: v for k, v in f.items() if not (k == "speech" or k.startswith(("sp_", "inside_speech")))}


def _quad_of_root(r: str) -> int:
    return 0 if not r[:2].isdigit() else (1 if r[:2] <= "05" else 2 if r[:2] <= "08" else 3 if r[:2] <= "13" else 4)


CHARACTERISE_LEMMAS = ("call", "describe", "label", "brand", "term", "dub")


def is_characterisation(tok) -> bool:
    """'Japan called the decision regrettable', 'Kyiv called the veto a guilty plea': a naming verb with an object
    and an object predicate (``oprd``, or a second object) says what the speaker thinks of something; it is a
    statement, not a telephone call or an appeal (the rules' 041 / 02x for 'call')."""
    if tok.lemma_.lower() not in CHARACTERISE_LEMMAS:
        return False
    deps = [c.dep_ for c in tok.children]
    return "oprd" in deps or deps.count("dobj") >= 2 or ("dobj" in deps and "ccomp" in deps)


def recode_characterisations(doc, coder, cands) -> list[dict]:
    """Rule candidates on a characterisation (:func:`is_characterisation`) become statement proposals: code
    :data:`PROPOSED_CODE`, no rule code, so the root model names the root of what is said (``coder`` None: only
    the code and root fields are set, as fitting needs)."""
    ti = tok_index(doc)
    out = []
    for c in cands:
        if c["origin"] == "rules" and is_characterisation(doc[ti[c["verb_span"][0]]]):
            c = dict(c, origin="proposed", rule_code=None, reason="characterisation (naming verb with a predicate)")
            info = code_info(PROPOSED_CODE, coder.codes) if coder is not None else None
            if info is not None:
                _set_code(c, info, coder)
            else:  # fitting: only the features matter
                c.update({"code": PROPOSED_CODE, "root": PROPOSED_CODE[:2]})
        out.append(c)
    return out


def split_groups(e: dict) -> list[dict]:
    """One event per actor pair, as the labels count them: a group target ('RUS+PRK') becomes one event per
    member, and so does a group source with a target; a group source without a target (a joint act) stays one."""
    src, tgt = e.get("source") or "", e.get("target") or ""
    if "+" not in tgt and not ("+" in src and tgt):
        return [e]
    return [dict(e, source=a, target=b) for a in src.split("+") for b in tgt.split("+") if a != b]


# -- features --------------------------------------------------------------------------------------------------------
def sentence_features(sent) -> dict:
    """Bag of lemmas (content words) of a sentence plus a few markers of opinion, analysis and background."""
    f = {}
    n_actor = 0
    for t in sent:
        if t.is_alpha and not t.is_stop and t.pos_ in ("NOUN", "VERB", "ADJ", "ADV", "PROPN"):
            f[f"s={t.lemma_.lower()}"] = 0.3
        lo = t.lower_
        if lo in OPINION_WORDS or t.lemma_.lower() in OPINION_WORDS:
            f[f"op={t.lemma_.lower()}"] = 1.0
        if lo in ("i", "we", "our", "us", "you"):
            f["s_first_person"] = 1.0
        if t.ent_type_ or t.pos_ == "PROPN":
            n_actor += 1
    root = sent.root
    f[f"s_root={root.lemma_.lower()}"] = 1.0
    f[f"s_root_tag={root.tag_}"] = 1.0
    f["s_len"] = min(len(sent), 60) / 60.0
    f["s_propn"] = min(n_actor, 10) / 10.0
    txt = sent.text
    f["s_quote"] = float('"' in txt or "“" in txt)
    f["s_question"] = float(txt.rstrip().endswith("?"))
    f["s_digit"] = float(any(c.isdigit() for c in txt))
    return f


def candidate_features(tok, cand: dict) -> dict:
    """Features of one candidate (its verb token and the candidate dict)."""
    lem = tok.lemma_.lower()
    f = {f"v={lem}": 1.0, f"origin={cand['origin']}": 1.0, f"tag={tok.tag_}": 1.0, f"dep={tok.dep_}": 1.0}
    rc = cand.get("rule_code")
    if rc:
        f[f"rc={rc}"] = 1.0
        f[f"rr={rc[:2]}"] = 1.0
        f[f"vr={lem}_{rc[:2]}"] = 1.0
    else:
        f[f"reason={cand.get('reason', '')[:20]}"] = 1.0
        if cand.get("noun_code"):
            f[f"nc={cand['noun_code'][:2]}"] = 1.0
            f[f"vnc={lem}_{cand['noun_code'][:2]}"] = 1.0
        if cand.get("actors_from"):
            f[f"actors_from={cand['actors_from']}"] = 1.0
    cr = cand.get("context_roots")
    if cr:
        f[f"own_dr={cr['own']}"] = 1.0
        for r, n in cr["ctx"].items():
            f[f"ctx_dr={r}"] = min(n, 3) / 3.0
    f.update(speech_features(cand))
    pat = cand.get("pattern") or ""
    f[f"pat={pat.split(':')[0].split(' ')[0][:12] if pat else 'none'}"] = 1.0
    f[f"mode={cand.get('mode')}"] = 1.0
    if cand.get("reported_by"):
        f["reported_by"] = 1.0
    src, tgt = cand.get("source") or "?", cand.get("target") or "-"
    f[f"src={src}"] = 1.0
    f[f"tgt={tgt}"] = 1.0
    f[f"pair={src}>{tgt}"] = 1.0
    f[f"srcsec={cand.get('source_sector') or ''}"] = 1.0
    st = (cand.get("source_text") or "").lower()
    if st in ("he", "she", "it", "they", "his", "her", "its", "their"):
        f["src_pronoun"] = 1.0
    f["conf"] = float(cand.get("confidence") or 0)
    depth, h = 0, tok
    while h.head.i != h.i and depth < 4:
        h = h.head
        depth += 1
    f[f"depth={depth}"] = 1.0
    for c in tok.children:
        if c.dep_ in ("aux", "auxpass"):
            f[f"aux={c.lower_}"] = 1.0
            if c.lower_ in MODALS:
                f["modal"] = 1.0
        elif c.dep_ == "neg":
            f["neg"] = 1.0
        elif c.dep_ == "mark":
            f[f"mark={c.lower_}"] = 1.0
        elif c.dep_ == "advmod" and c.lower_ in HEDGES:
            f["hedge"] = 1.0
        elif c.dep_ == "prt":
            f[f"prt={lem}_{c.lower_}"] = 1.0
        elif c.dep_ in ("dobj", "attr"):
            f[f"vobj={lem}_{c.lemma_.lower()}"] = 1.0
        elif c.dep_ == "prep":
            f[f"vprep={lem}_{c.lower_}"] = 1.0
    if tok.head.i != tok.i:
        f[f"head={tok.head.lemma_.lower()}"] = 1.0
        if tok.head.lemma_.lower() in REPORT_VERBS:
            f["under_report"] = 1.0
    return f


MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")


def time_features(tok) -> dict:
    """When the candidate's clause places it, against the article date (``doc._.date``): a year before the article's
    year (``t_year_past``; "held talks in 2019"), the article's year, 'last/previous year|month', 'since ...',
    'former', a month name later in the year than the article's month (so of an earlier year). Background
    sentences tell earlier events as context; the labels code new interactions. Nested clauses (ccomp, relcl,
    advcl) are not searched."""
    from pactwatch.events.docattrs import doc_date

    d = doc_date(tok.doc)
    f = {}
    stack = [tok]
    seen = 0
    while stack and seen < 40:
        t = stack.pop()
        seen += 1
        lo = t.lower_
        if t.i != tok.i:
            if t.like_num and len(lo) == 4 and lo.isdigit() and 1900 <= int(lo) <= 2099 and d is not None:
                f["t_year_past" if int(lo) < d.year else "t_year_same" if int(lo) == d.year else "t_year_later"] = 1.0
            elif lo in ("last", "previous") and t.head.lower_ in ("year", "month", "week", "decade"):
                f[f"t_last_{t.head.lower_}"] = 1.0
            elif lo == "since" and t.dep_ == "prep":
                f["t_since"] = 1.0
            elif lo in ("former", "ex"):
                f["t_former"] = 1.0
            elif lo in MONTHS and d is not None and MONTHS.index(lo) + 1 > d.month:
                f["t_month_after_article"] = 1.0
        stack += [c for c in t.children if c.dep_ not in ("ccomp", "relcl", "advcl", "parataxis")]
    return f


# -- applying a fitted model ------------------------------------------------------------------------------------------
class SentenceTypeModel:
    """A fitted sentence-type classifier (``est``: scikit-learn, classes event/opinion/background/other) over
    :func:`sentence_features`; a subclass may featurize otherwise (e.g. sentence embeddings, bench/tools only)."""

    def __init__(self, est):
        self.est = est

    def featurize(self, spans):
        return [sentence_features(s) for s in spans]

    def proba_X(self, X) -> list[float]:
        P = self.est.predict_proba(X)
        j = list(self.est.classes_).index("event")
        return [float(p[j]) for p in P]

    def event_proba(self, spans) -> list[float]:
        return self.proba_X(self.featurize(spans))

    def class_proba(self, spans, label: str = "opinion") -> list[float]:
        """P(``label``) per span (0 for every span when the classifier never saw ``label``)."""
        cls = list(self.est.classes_)
        if label not in cls or not spans:
            return [0.0] * len(spans)
        j = cls.index(label)
        return [float(p[j]) for p in self.est.predict_proba(self.featurize(list(spans)))]


def opinion_gate(model: dict, sents) -> list[bool]:
    """Per spaCy sentence span: is it vetoed by the model's opinion gate (``gate``: a :class:`SentenceTypeModel`
    whose ``opinion`` class is P(opinion/analysis sentence); ``gate_t``: the threshold, > 1 or no gate: off)? A
    vetoed sentence gets no event, whatever its candidates' acceptance probabilities."""
    g, t = model.get("gate"), model.get("gate_t", 1.01)
    if g is None or t > 1.0 or not sents:
        return [False] * len(sents)
    return [p >= t for p in g.class_proba(list(sents), "opinion")]


def sentence_event_proba(model: dict, sents) -> list[float]:
    """P(the sentence is an event sentence) per spaCy sentence span, from the model's sentence-type classifier."""
    sm = model.get("sentence")
    if sm is None or not sents:
        return [0.5] * len(sents)
    return sm.event_proba(list(sents))


def features_for(doc, cands, model) -> list[dict]:
    """Feature dicts of the candidates of one doc (candidate, sentence and the sentence-type probability)."""
    ti = tok_index(doc)
    sents, sfeat, out = {}, {}, []
    toks = [doc[ti[c["verb_span"][0]]] for c in cands]
    for t in toks:
        sents.setdefault(t.sent.start, t.sent)
    keys = list(sents)
    pev = dict(zip(keys, sentence_event_proba(model, [sents[k] for k in keys])))
    for t, c in zip(toks, cands):
        k = t.sent.start
        if k not in sfeat:
            sfeat[k] = sentence_features(t.sent) if model.get("sentence_bow", True) else {}
        f = candidate_features(t, c)
        if model.get("time"):
            f.update(time_features(t))
        f.update(sfeat[k])
        if model.get("sentence") is not None:
            f["p_event_sentence"] = pev[k]
        out.append(f)
    return out


def _sentence_actors(sent) -> list[tuple]:
    """(span, actor dict) of the actor and coreference mentions of a sentence with a resolved code, in text order,
    one per code."""
    out, seen = [], set()
    for sp, a, _coref in sentence_mentions(sent):
        if not a or not a.get("code") or a["code"] in seen:
            continue
        seen.add(a["code"])
        out.append((sp, a))
    return out


def fill_target(e: dict, sent) -> dict:
    """Setting ``fill_target``: an event with a source and no target takes the next other actor of its sentence
    (a new dict; ``e`` itself when that does not apply)."""
    if e.get("target") is not None or not e.get("source"):
        return e
    other = [(sp, a) for sp, a in _sentence_actors(sent) if a["code"] != e["source"]]
    if not other:
        return e
    sp, a = other[0]
    return {**e, "target": a["code"], "target_sector": a.get("sector", ""), "target_text": sp.text,
            "target_span": [sp.start_char, sp.end_char]}


def _set_code(e, info, coder):
    g = info.goldstein if coder.goldstein == "gdelt" or info.goldstein_icews is None else info.goldstein_icews
    e.update({"code": info.code, "root": info.root, "name": info.name, "quad": info.quad, "penta": info.penta,
              "goldstein": g, "plover_event": info.plover_event, "plover_mode": info.plover_mode})


def _make_event(coder, v, code, src, tgt, pattern) -> dict | None:
    """An event dict in the rule coder's shape: verb token ``v``, ``code``, source/target (span, actor dict)."""
    info = code_info(code, coder.codes)
    if info is None:
        return None
    (ss, sa) = src
    sent = v.sent
    e = {"source": sa["code"], "source_sector": sa.get("sector", ""), "source_text": ss.text,
         "target": tgt[1]["code"] if tgt else None, "target_sector": tgt[1].get("sector", "") if tgt else None,
         "target_text": tgt[0].text if tgt else None, "mode": "asserted", "reported_by": None, "verb": v.text,
         "pattern": pattern, "sentence": sent.text, "sentence_span": [sent.start_char, sent.end_char],
         "verb_span": [v.idx, v.idx + len(v.text)], "source_span": [ss.start_char, ss.end_char],
         "target_span": [tgt[0].start_char, tgt[0].end_char] if tgt else None, "confidence": 0.5}
    _set_code(e, info, coder)
    return e


def _sentence_event(sent, root, p, actors, coder) -> dict | None:
    """An event proposed for a whole sentence: predicted root's base code, source = its first actor, target = the
    next one (if any), the sentence's root verb as the evidence."""
    if not actors:
        return None
    e = _make_event(coder, sent.root, root + "0", actors[0], actors[1] if len(actors) > 1 else None,
                    f"hybrid: sentence root {root} p={p:.2f}")
    if e is not None:
        e["confidence"] = round(p, 2)
    return e


def joint_decisions(cands, pa, roots, P=None, classes=None):
    """One decision per verb and source phrase: the copies the rules write for one verb and one source phrase (the
    directed pairs A->B and B->A of a joint actor "Russia and North Korea resumed ...", or one source with a
    coordinated target) are one event as the labels count it, so they are all accepted or all rejected (the highest
    acceptance probability of the group) and get one root (the root of the summed root probabilities)."""
    import numpy as np

    groups = {}
    for j, c in enumerate(cands):
        groups.setdefault((c["verb_span"][0], tuple(c.get("source_span") or ()), c.get("root")), []).append(j)
    pa, roots = list(pa), list(roots)
    for js in groups.values():
        if len(js) < 2:
            continue
        best = max(pa[j] for j in js)
        if P is not None:
            tot = np.sum([P[j] for j in js], axis=0)
            k = int(tot.argmax())
            r = (str(classes[k]), float(tot[k] / len(js)))
        for j in js:
            pa[j] = best
            if P is not None:
                roots[j] = r
    return pa, roots


def one_per_root(events: list[dict]) -> list[dict]:
    """One event per (sentence, source, target, root), the most confident: two verbs of one sentence coded with the
    same root between the same actors ("arrived ... and met") are one event in the labels far more often than two
    (in the train labels 12 of 340 such groups have two codes)."""
    best = {}
    for e in events:
        k = (tuple(e["sentence_span"]), e.get("source"), e.get("target"), e["root"])
        if k not in best or e["confidence"] > best[k]["confidence"]:
            best[k] = e
    keep = {id(e) for e in best.values()}
    return [e for e in events if id(e) in keep]


def decide(doc, coder, model) -> tuple[list[dict], list[dict]]:
    """(events, newly abstained) of ``doc`` under ``model``; ``doc._.events`` must hold the rule coder's events. Does
    not change ``doc``. Settings in the model: ``accept_t``, ``root_t`` (see the module docstring); ``fill_target``:
    an accepted event without a target takes the next other actor of its sentence; ``fallback_t`` (> 1: off): a
    sentence with no accepted event whose P(event sentence) >= it gets one event of the sentence-root model's root
    between its first two actors."""
    cands = candidates(doc, coder, broad=model.get("broad", False), nouns=bool(model.get("nouns")),
                       retry=bool(model.get("retry")))
    if model.get("context_roots"):
        cands = annotate_context(doc, coder, cands)
    if model.get("characterise"):
        cands = recode_characterisations(doc, coder, cands)
    if model.get("speech") or model.get("speech_target"):
        cands = annotate_speech(doc, coder, cands)
        drop = {True: (), "outer": ("inside_speech",), "inner": ("speech",)}.get(model.get("speech"),
                                                                             ("speech", "inside_speech"))
        cands = [{k: v for k, v in c.items() if k not in drop or (k == "speech" and model.get("speech_target"))}
                 for c in cands]
    events, dropped, seen = [], [], set()
    sents = list(doc.sents)
    vetoed = {s.start for s, v in zip(sents, opinion_gate(model, sents)) if v}  # empty when the gate is off
    if cands:
        X = features_for(doc, cands, model)
        acc = model["accept"]
        cls = list(acc.classes_)
        Xa = [without_speech(f) for f in X] if model.get("speech_root") else X
        pa = acc.predict_proba(Xa)[:, cls.index(True)] if True in cls else [0.0] * len(X)
        rm = model.get("root")
        roots = [(None, 0.0)] * len(X)
        if rm is not None:
            P = rm.predict_proba(X)
            rc = rm.classes_
            roots = [(str(rc[j]), float(p[j])) for p in P for j in [int(p.argmax())]]
        if model.get("encoder"):  # optional fine-tuned encoder (pactwatch.events.encoder; falls back to the above)
            from pactwatch.events import encoder

            pa, roots = encoder.adjust(doc, cands, pa, roots, model["encoder"])
        at, rt = model["accept_t"], model["root_t"]
        ti = tok_index(doc)
        sib = None  # verb -> the candidates' actor pairs, for the pair model
        if model.get("joint"):
            pa, roots = joint_decisions(cands, pa, roots, P if rm is not None else None,
                                        rm.classes_ if rm is not None else None)
        for c, p, (r, pr) in zip(cands, pa, roots):
            if doc[ti[c["verb_span"][0]]].sent.start in vetoed:
                if c["origin"] == "rules":
                    dropped.append({"verb": c["verb"], "code": c["code"], "sentence": c["sentence"],
                                    "verb_span": c["verb_span"],
                                    "reason": f"hybrid: opinion or analysis sentence (P >= {model['gate_t']})"})
                continue
            if p < at:
                if c["origin"] == "rules":
                    dropped.append({"verb": c["verb"], "code": c["code"], "sentence": c["sentence"],
                                    "verb_span": c["verb_span"],
                                    "reason": f"hybrid: not an event (p={p:.2f} < {at})"})
                continue
            e = {k: v for k, v in c.items()
                 if k not in ("origin", "rule_code", "reason", "actors_from", "noun_code", "context_roots", "speech",
                              "inside_speech", "retried")}
            if r is not None and r != c["root"] and (c["origin"] != "rules" or pr >= rt):
                info = code_info(r + "0", coder.codes)
                if info is not None:
                    _set_code(e, info, coder)
            st = (c.get("speech") or {}).get("target")
            if model.get("speech_target") and e.get("target") is None and e.get("source") and st:
                e.update({"target": st[0], "target_sector": st[1], "target_text": st[2], "target_span": st[3]})
            if model.get("fill_target"):
                e = fill_target(e, doc[ti[e["verb_span"][0]]].sent)
            e["hybrid"] = {"p_event": round(float(p), 3), "root": r, "p_root": round(pr, 3), "origin": c["origin"],
                           "rule_code": c["rule_code"]}
            e["confidence"] = round(float(p), 2)
            xs = [e]
            if model.get("pairs") is not None and e.get("source"):  # the learned actor pair (pactwatch.events.pairs)
                from pactwatch.events import pairs as actor_pairs

                if sib is None:
                    sib = actor_pairs.verb_pairs(cands)
                rk, rp = actor_pairs.ranked(model["pairs"], doc[ti[e["verb_span"][0]]], {**c, **e}, e["root"],
                                            sib.get(e["verb_span"][0]))
                # the best pair when the model is sure enough (else the rules' pair), and with ``pairs_multi`` a
                # second pair as a second event when the model gives it that probability
                take = [x for x in rk[:1] if x[1] >= model.get("pairs_t", 0.5)]
                take += [x for x in rk[1:2] if take and x[1] >= model.get("pairs_multi", 1.01)]
                if any(o["pair"] != rp and o["s"] for o, _ in take):
                    xs = []
                    for opt, pp in take:
                        for x in (actor_pairs.apply(e, opt) if opt["pair"] != rp and opt["s"] else [e]):
                            xs.append(dict(x, hybrid={**e["hybrid"], "pair": round(pp, 3), "rule_pair": list(rp)}))
            for x in [y for e_ in xs for y in (split_groups(e_) if model.get("split_groups") else [e_])]:
                k = (tuple(x["sentence_span"]), x["source"], x["target"], x["code"])
                if k in seen:
                    continue
                seen.add(k)
                events.append(x)
    if model.get("one_per_root"):
        events = one_per_root(events)
    ft = model.get("fallback_t", 1.01)
    if ft <= 1.0 and model.get("sentence") is not None and model.get("sent_root") is not None:
        covered = {e["sentence_span"][0] for e in events}
        sents = [s for s in doc.sents if s.start_char not in covered and s.start not in vetoed]
        if sents:
            pe = sentence_event_proba(model, sents)
            todo = [(s, p) for s, p in zip(sents, pe) if p >= ft]
            if todo:
                sr = model["sent_root"]
                for (s, p), r in zip(todo, sr.predict([sentence_features(s) for s, _ in todo])):
                    e = _sentence_event(s, str(r), p, _sentence_actors(s), coder)
                    if e is not None:
                        e["hybrid"] = {"p_event": round(p, 3), "root": str(r), "p_root": None, "origin": "sentence",
                                       "rule_code": None}
                        events.append(e)
    events.sort(key=lambda e: e["verb_span"][0])
    return events, dropped


# -- the component -----------------------------------------------------------------------------------------------------
def default_model_path() -> Path:
    from pactwatch import paths

    env = os.environ.get("PACTWATCH_HYBRID_MODEL")
    return Path(env) if env else paths.home() / "cache" / "events" / f"hybrid-{VERSION}.pkl"


def load_model(path=None) -> dict:
    """The fitted model at ``path`` (default :func:`default_model_path`). Raises FileNotFoundError when there is
    none, it cannot be read, or it was fitted for another version or other rules."""
    from pactwatch.events.rootmodel import rules_fingerprint

    p = Path(path) if path else default_model_path()
    if not p.is_file():
        raise FileNotFoundError(f"no hybrid coder model at {p}; fit it with `pactwatch events train-hybrid`")
    try:
        with p.open("rb") as fh:
            obj = pickle.load(fh)
    except Exception as exc:  # a broken file is no model
        raise FileNotFoundError(f"{p}: hybrid coder model unreadable ({exc})") from None
    if obj.get("version") != VERSION:
        raise FileNotFoundError(f"{p}: model of version {obj.get('version')}, this code needs {VERSION}; refit it")
    if obj.get("rules") != rules_fingerprint():
        raise FileNotFoundError(f"{p}: fitted under other rule-coder sources; refit it (`events train-hybrid`)")
    return obj


@Language.factory("pactwatch_hybrid", default_config={"model_path": None})
def make_hybrid(nlp, name, model_path):
    return HybridLayer(nlp, model_path)


class HybridLayer:
    """spaCy component ``pactwatch_hybrid`` (after ``pactwatch_main_clause``). Loads its model on first use."""

    def __init__(self, nlp, model_path=None):
        self.nlp = nlp
        self.model_path = model_path
        self.model = None
        self.status = "not loaded"
        self._loaded = False

    def use(self, model: dict, status: str = "model given") -> None:
        """Code with ``model`` (e.g. just fitted by :mod:`pactwatch.events_train.hybrid`)."""
        self.model, self.status, self._loaded = model, status, True

    def load(self):
        self._loaded = True
        try:
            self.model = load_model(self.model_path)
        except FileNotFoundError as exc:
            self.status = f"rules only: {exc}"
            warnings.warn(f"pactwatch hybrid coder model not used ({exc}); coding with the rules only", stacklevel=2)
            return
        self.status = f"model {self.model.get('key', '')} ({self.model.get('n_candidates')} training candidates)"

    def __call__(self, doc):
        if not self._loaded:
            self.load()
        if self.model is None:
            return doc
        events, dropped = decide(doc, self.nlp.get_pipe("pactwatch_events"), self.model)
        doc._.events = events
        doc._.abstained = list(doc._.abstained or []) + dropped
        return doc
