"""Fine-tuning the hybrid coder's optional encoder (:mod:`pactwatch.events.encoder`) on labelled real news.

Training unit: one candidate of the hybrid layer in a TRAIN-split sentence, as collected by
:func:`pactwatch.events_train.hybrid.collect_news` (labels by :func:`pactwatch.events_train.hybrid.match`): class
``none`` when it is not an event, else its gold root. Optionally the shared gold sets' candidates that are events
(:func:`pactwatch.events_train.hybrid.collect_gold`) add root examples. Settings are chosen on the dev split only
(docs/events-finetune.md); the test split is never read here.
"""
from __future__ import annotations

from pactwatch.events import encoder as en


def examples(units, meta: dict, events_only: bool = False, origins=None) -> list[tuple[tuple[str, dict], int]]:
    """[(encoder input, class index)] of the candidates of collected units; ``events_only``: only candidates that
    are events with a root (for the gold sets); ``origins``: keep only candidates of these origins (default all)."""
    out = []
    for u in units:
        for c, (is_ev, root) in zip(u["cands"], u["labels"]):
            if origins is not None and c.get("origin") not in origins:
                continue
            if events_only and not (is_ev and root):
                continue
            y = en.LABELS.index(root) if is_ev and root in en.LABELS else 0
            sent = _sent_of(u["doc"], c)
            out.append((en.item(sent.text, sent.start_char, c, meta), y))
    return out


def _sent_of(doc, c):
    from pactwatch.events.hybrid import tok_index

    return doc[tok_index(doc)[c["verb_span"][0]]].sent


def finetune(train: list, layers: int = 6, epochs: int = 4, lr: float = 4e-5, batch: int = 16, max_len: int = 96,
             seed: int = 0, mode: str = "marked", actors: bool = True, threads: int = 2, weight_none: float = 1.0,
             head_lr: float | None = 1e-3, log=None) -> en.EncoderModel:
    """Fine-tune all-MiniLM-L6-v2 (its first ``layers`` layers) with a 21-way head on ``train``
    [(encoder input, class index)] (AdamW, the new head at ``head_lr``, linear warm-up 10 % then decay, cross
    entropy with the ``none`` class weighted ``weight_none``; batches of similar length). Deterministic for a seed
    on one machine and thread count."""
    import random

    import numpy as np

    torch, _tr, _base = en.require()
    torch.set_num_threads(threads)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    meta = {"layers": layers, "mode": mode, "actors": actors, "max_len": max_len, "labels": list(en.LABELS),
            "epochs": epochs, "lr": lr, "batch": batch, "seed": seed, "n_train": len(train),
            "weight_none": weight_none, "head_lr": head_lr}
    net = en.build_net(layers)
    tok = en.tokenizer()
    head = list(net.head.parameters())
    body = [q for n_, q in net.named_parameters() if not n_.startswith("head.")]
    opt = torch.optim.AdamW([{"params": body, "lr": lr}, {"params": head, "lr": head_lr or lr}], weight_decay=0.01)
    steps = epochs * ((len(train) + batch - 1) // batch)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    w = torch.ones(len(en.LABELS))
    w[0] = weight_none
    lossf = torch.nn.CrossEntropyLoss(weight=w)
    rng = random.Random(seed)
    order = list(range(len(train)))
    for ep in range(epochs):
        net.train()
        rng.shuffle(order)
        # length buckets (less padding): sort chunks of 8 batches by text length, then shuffle the batches
        batches = []
        for k in range(0, len(order), 8 * batch):
            chunk = sorted(order[k:k + 8 * batch], key=lambda j: len(train[j][0][0]))
            batches += [chunk[i:i + batch] for i in range(0, len(chunk), batch)]
        rng.shuffle(batches)
        tot = 0.0
        for bj in batches:
            b = [train[j] for j in bj]
            ids, att, rm = en.batch_inputs(tok, [x for x, _ in b], max_len)
            loss = lossf(net(ids, att, rm), torch.tensor([y for _, y in b]))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            tot += float(loss.detach()) * len(b)
        if log:
            log(f"epoch {ep + 1}/{epochs}: loss {tot / max(1, len(train)):.4f}")
    net.eval()
    return en.EncoderModel(net, tok, meta)


#: encoder settings used when the hybrid's ``encoder`` setting is ``True`` (docs/events-finetune.md)
ENCODER_DEFAULTS = {"layers": 3, "mode": "shared", "actors": True, "epochs": 6, "lr": 5e-5, "head_lr": 1e-3,
                    "batch": 16, "max_len": 96, "seed": 0, "use": "root", "quantize": True}


def fit_for_hybrid(news, settings, model_path, nouns: bool = False, broad: bool = True, log=None) -> dict:
    """Fine-tune the encoder on collected train units (:func:`pactwatch.events_train.hybrid.collect_news`) with
    ``settings`` (``True``: :data:`ENCODER_DEFAULTS`; a dict overrides them), save it beside the hybrid model file
    ``model_path`` (``encoder-<VERSION>.pt`` in the same cache directory) and return the hybrid model's ``encoder``
    setting ({path, use, quantize, settings})."""
    from pathlib import Path

    cfg = {**ENCODER_DEFAULTS, **(settings if isinstance(settings, dict) else {})}
    origins = {"rules", "proposed"} | ({"verb"} if broad else set()) | ({"noun"} if nouns and broad else set())
    ex = examples(news, {"mode": cfg["mode"], "actors": cfg["actors"]}, origins=origins)
    m = finetune(ex, layers=cfg["layers"], epochs=cfg["epochs"], lr=cfg["lr"], batch=cfg["batch"],
                 max_len=cfg["max_len"], seed=cfg["seed"], mode=cfg["mode"], actors=cfg["actors"],
                 head_lr=cfg["head_lr"], log=log)
    m.meta["quantize"] = cfg["quantize"]
    p = m.save(Path(model_path).parent / f"encoder-{en.VERSION}.pt")
    return {"path": str(p), "use": cfg["use"], "quantize": cfg["quantize"], "settings": cfg}
