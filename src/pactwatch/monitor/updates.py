"""News -> case state: coded events that change a case's observed state, proposed as dated updates to the case file.

What is detected (each from pactwatch's coded events whose source or target is a member, dated after the case's
``observed.date`` unless another start is given), with the rule and the base confidence:

- ``war-ended``: a member at war declares a truce or ceasefire (CAMEO 0871; 0.6, 0.8 when the sentence says ceasefire,
  truce, armistice or peace), or signs an agreement (057) whose sentence names a ceasefire, truce, armistice or peace
  agreement (0.75). Proposes ``observed.members.<m>.at_war`` = 0 (``since`` the event date) for that member, and for
  every other member whose war has the same name or contains it (e.g. "Russia–Ukraine war (Kursk)"), at 0.8 times the
  confidence. A ceasefire is not a peace: the analyst decides.
- ``article-4``: one member appeals to or demands of the other military aid, cooperation or protection (CAMEO
  0212/0232/0234/1012/1032/1034; or 020/021/023/100/101/103 when the sentence asks for military aid, assistance, help
  or protection, troops, or names Article 4 or mutual defence; 0.55), or provides military aid or protection (06, 07)
  in a sentence naming the treaty's Article 4 or its mutual-assistance clause (0.7); 0.85 for an appeal that names
  Article 4, the treaty or mutual defence. Proposes an entry in the case's ``events`` list and, when the other member is
  not at war, ``observed.members.<other>.at_war`` = 1 (the appealing member's war).
- ``leader-change``: a member accedes to a demand for a change in leadership (0831; 0.6) or a sentence about an event of
  the member says a president or leader died, resigned, stepped down or was ousted, someone was sworn in or elected
  as president or leader, a new president or leader, or a coup (0.4). Proposes
  ``observed.members.<m>.leader_change_this_year`` = 1; the new leader's name and date are left to the analyst.
- ``termination-notice``: a member's event against the other (any code; 0.5; reduce relations or aid, 16, 0.8) whose
  sentence says terminate, renounce, denounce, abrogate, withdraw from or pull out of the treaty, pact or partnership.
  Proposes an entry in ``events`` (the schema has no field for a notice of termination; the treaty ends one year
  after it is received).
- ``outside-alliance``: a member signs an agreement (057) with a state or organisation outside the case whose sentence
  names an alliance, mutual defence or a defence/security pact or treaty (0.75), or only a treaty or pact (0.45).
  Proposes ``observed.members.<m>.new_outside_alliance_this_year`` = 1.

Guards: an evidence sentence that dates what it reports in the past ("last June", "in 2016", "two years ago": the
event is not of the article's date) proposes nothing; nor does one that is hypothetical, hedged or negated (would, could, might, may, if, whether, should,
possibly, likely, expect, speculate, hope, plan to, not, never, deny ...; 'may' in lower case only) proposes nothing (counted in ``log``); the
coder's own abstention (opinion, analysis) has already removed most such sentences. Several events for the same update
are one proposal: dated by its earliest evidence, confidence 1 - prod(1 - c) over distinct articles (each article's
best event), at most 0.95; every event is listed as evidence (article id, URL, title, sentence and its span, code).

:func:`apply_proposals` writes accepted proposals into the YAML text with ruamel.yaml's round-trip mode, so the
file's comments, order and quoting stay; :func:`unified_diff` shows the change.
"""
from __future__ import annotations

import datetime as dt
import difflib
import io
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from pactwatch.errors import PactwatchError

MAX_CONFIDENCE = 0.95
#: proposals below this confidence are not shown by default (`case update --min-confidence`)
DEFAULT_MIN_CONFIDENCE = 0.5

_HEDGE = re.compile(
    r"(?<!\w)(?:would|could|might|if|whether|should|unless|possibl\w*|likely|unlikely|expect\w*|speculat\w*|"
    r"hope\w*|rumou?r\w*|plans? to|planned to|intends? to|consider\w*|prepar\w* to|ready to|in the event|"
    r"not|no|never|n't|den(?:y|ies|ied)|refus\w*|reject\w*|opinion|in my view)(?!\w)", re.IGNORECASE)

_CEASEFIRE = re.compile(r"cease-?fire|truce|armistice|peace (?:deal|agreement|accord|treaty)|end(?:ed|s)? (?:of )?the war",
                        re.IGNORECASE)
_MILITARY = re.compile(r"military (?:aid|assistance|help|support|protection|backing)|troops|soldiers|Article (?:4|IV)\b|"
                       r"Art\. ?4\b|mutual[- ](?:military )?(?:defen[cs]e|assistance)", re.IGNORECASE)
_ART4 = re.compile(r"Article (?:4|IV|four)\b|Art\. ?4\b|mutual[- ](?:military )?(?:defen[cs]e|assistance)|"
                   r"the treaty|their treaty|partnership treaty|defen[cs]e (?:treaty|pact|clause)", re.IGNORECASE)
_LEADER = re.compile(
    r"(?:president|leader|chairman|general secretary|head of state|premier)\b[^.;]{0,40}?(?<!\w)(?:died|has died|"
    r"resign\w*|stepped down|steps down|was ousted|ousted|overthrown|assassinated|removed from (?:office|power))|"
    r"(?:sworn in|inaugurated|elected|installed) as (?:the )?(?:new )?(?:president|leader|supreme leader|head of state)|"
    r"(?<!\w)new (?:president|supreme leader|head of state)|death of (?:president|leader|the leader)|"
    r"(?<!\w)coup(?!\w)|succeeded (?:him|her|\w+ \w+) as (?:president|leader)", re.IGNORECASE)
#: a sentence that dates what it reports in the past ("last June", "in 2016", "two years ago"): the event is not of the
#: article's date, so it proposes nothing
_RETRO = re.compile(
    r"(?<!\w)(?:last (?:year|month|week|summer|winter|spring|autumn|fall|January|February|March|April|May|June|July|"
    r"August|September|October|November|December)|(?:\d+|one|two|three|four|five|six|several|many) (?:years|months|weeks|"
    r"decades) ago|in (?:19|20)\d\d|earlier this year|previously|in the past)(?!\w)", re.IGNORECASE)
_TERMINATE = re.compile(r"(?<!\w)(?:terminat\w*|renounc\w*|denounc\w*|abrogat\w*|withdr[ae]w\w*|pull\w* out|annul\w*|"
                        r"scrap\w*|exit\w*)", re.IGNORECASE)
_TREATY = re.compile(r"treaty|pact|partnership agreement|alliance", re.IGNORECASE)
_ALLIANCE = re.compile(r"allian|mutual[- ](?:military )?defen[cs]e|mutual assistance|(?:defen[cs]e|security|military) "
                       r"(?:pact|treaty|agreement)|collective (?:defen[cs]e|security)", re.IGNORECASE)

APPEAL_MILITARY = ("0212", "0232", "0234", "1012", "1032", "1034")
#: appeals and demands that can ask for help (not 022 policy support, 024-028 reform, yielding, meeting, mediation)
APPEAL_ANY = ("020", "021", "023", "100", "101", "103")

KINDS = ("war-ended", "article-4", "leader-change", "termination-notice", "outside-alliance")


@dataclass
class Proposal:
    """One proposed change to the case file. ``path``: where in the YAML (``["observed", "members", 365, "at_war"]``,
    or ``["events"]`` for an appended entry); ``value``: the new value (a mapping as it will be written)."""
    kind: str
    member: int | None
    path: list
    value: Any
    date: str
    confidence: float
    summary: str
    evidence: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def member_iso3(case: dict, table: list[dict] | None = None) -> dict[int, str]:
    """COW code -> ISO3 (the event table's codes) for the case's members, from the events country list by the member's
    name (with and without a parenthesis: 'North Korea (DPRK)'). A member whose name is not in the list is an error
    naming it."""
    if table is None:
        from pactwatch.events.actors import country_table

        table = country_table()
    by_name = {}
    for r in table:
        for n in [r.get("name"), *(r.get("names") or [])]:
            if n:
                by_name.setdefault(str(n).lower(), r["iso3"])
    out = {}
    for m in case.get("members") or []:
        name = str(m.get("name", ""))
        cands = [name, re.sub(r"\s*\(.*?\)\s*", " ", name).strip(), *re.findall(r"\((.*?)\)", name)]
        iso = next((by_name[c.lower()] for c in cands if c and c.lower() in by_name), None)
        if iso is None:
            raise PactwatchError(f"case member {m.get('ccode')} {name!r}: name not in the events country list, so its "
                                 "events cannot be found (use the country's common English name)")
        out[int(m["ccode"])] = iso
    return out


def _conf_noisy_or(evs: list[dict]) -> float:
    best: dict[str, float] = {}
    for e in evs:
        k = e.get("article_id") or e["event_id"]
        best[k] = max(best.get(k, 0.0), e["_conf"])
    p = 1.0
    for c in best.values():
        p *= 1 - c
    return round(min(MAX_CONFIDENCE, 1 - p), 3)


def _ev(r) -> dict:
    def val(x):
        return None if x is None or (not isinstance(x, str) and pd.isna(x)) else x

    s0 = val(getattr(r, "sentence_start", None))
    s1 = val(getattr(r, "sentence_end", None))
    return {"event_id": r.event_id, "date": str(pd.Timestamp(r.event_date).date()), "code": val(r.code),
            "source": val(r.source_country), "target": val(r.target_country), "article_id": val(r.article_id),
            "url": val(r.url), "title": val(getattr(r, "title", None)),
            "sentence": val(r.evidence).strip() if val(r.evidence) else None,
            "sentence_span": [int(s0), int(s1)] if s0 is not None and s1 is not None else None,
            "coder_confidence": None if val(r.confidence) is None else float(r.confidence)}


def _cites(evs: list[dict]) -> str:
    e = evs[0]
    where = e.get("title") or e.get("url") or f"article {str(e.get('article_id'))[:12]}"
    more = f" (+{len(evs) - 1} more)" if len(evs) > 1 else ""
    return f"news, proposed by pactwatch from coded events: {where}, {e['date']}: \"{e['sentence']}\"{more}"


def propose_updates(events: pd.DataFrame, case: dict, iso3: dict[int, str] | None = None,
                    since: str | dt.date | None = None) -> dict:
    """Proposed updates (see the module docstring) from an event table (columns of
    :func:`pactwatch.monitor.indicators.read_events`) for ``case`` (the case file as a plain mapping). ``since``: only
    events dated after this day (default the case's ``observed.date``; events on or before it are taken as already in
    the case). Returns ``{"proposals": [Proposal.to_dict()...], "log": [...], "since": ...}``."""
    obs = case.get("observed") or {}
    if not obs:
        raise PactwatchError(f"case {case.get('id')!r} has no 'observed' block: nothing to update")
    iso3 = iso3 if iso3 is not None else member_iso3(case)
    cc_of = {v: k for k, v in iso3.items()}
    since_d = pd.Timestamp(since if since is not None else obs.get("date")).date() if (since or obs.get("date")) else None
    mobs = {int(k): v for k, v in (obs.get("members") or {}).items()}
    log = []
    ev = events.dropna(subset=["event_date"]) if len(events) else events
    n_undated = len(events) - len(ev)
    if n_undated:
        log.append({"step": "undated", "rows": n_undated, "note": f"{n_undated} events without a date not considered"})
    if since_d is not None and len(ev):
        d = pd.to_datetime(ev["event_date"]).dt.date
        old = int((d <= since_d).sum())
        ev = ev[(d > since_d).to_numpy()]
        log.append({"step": "since", "rows": old, "note": f"{old} events dated on or before {since_d} (already in the "
                    "case's observed state) not considered"})
    members = set(iso3.values())
    ev = ev[ev["source_country"].isin(members) | ev["target_country"].isin(members)] if len(ev) else ev
    log.append({"step": "members", "rows": int(len(ev)), "note": f"{len(ev)} events with a member as source or target"})
    hits: dict[tuple, list[dict]] = {}
    hedged = retro = 0

    def add(kind, member, conf, r, extra=None):
        e = _ev(r)
        e["_conf"] = conf
        if extra:
            e.update(extra)
        hits.setdefault((kind, member), []).append(e)

    for r in ev.itertuples(index=False):
        sent = r.evidence if isinstance(r.evidence, str) else ""
        code = str(r.code or "")
        src, tgt = r.source_country, r.target_country
        src_m = cc_of.get(src) if isinstance(src, str) else None
        tgt_m = cc_of.get(tgt) if isinstance(tgt, str) else None
        found = []
        # war ended / ceasefire
        if code.startswith("0871") or (code.startswith("057") and _CEASEFIRE.search(sent)):
            conf = 0.75 if code.startswith("057") else (0.8 if _CEASEFIRE.search(sent) else 0.6)
            for m in {src_m, tgt_m} - {None}:
                found.append(("war-ended", m, conf))
        # Article 4: appeal / demand between the members, or assistance naming the treaty
        if src_m is not None and tgt_m is not None and src_m != tgt_m:
            if code.startswith(APPEAL_MILITARY) or (code.startswith(APPEAL_ANY) and _MILITARY.search(sent)):
                found.append(("article-4", src_m, 0.85 if _ART4.search(sent) else 0.55))
            elif code.startswith(("06", "07")) and re.search(r"Article (?:4|IV|four)\b|Art\. ?4\b|mutual[- ]assistance",
                                                             sent, re.IGNORECASE):
                found.append(("article-4", tgt_m, 0.7))  # the provider assists the attacked member
            if _TERMINATE.search(sent) and _TREATY.search(sent):
                found.append(("termination-notice", src_m, 0.8 if code.startswith("16") else 0.5))
        # leader change
        if code.startswith("0831") and src_m is not None:
            found.append(("leader-change", src_m, 0.6))
        elif _LEADER.search(sent):
            for m in {src_m, tgt_m} - {None}:
                found.append(("leader-change", m, 0.4))
        # new outside alliance
        if code.startswith("057") and src_m is not None and isinstance(tgt, str) and tgt and tgt not in members:
            if _ALLIANCE.search(sent):
                found.append(("outside-alliance", src_m, 0.75))
            elif _TREATY.search(sent):
                found.append(("outside-alliance", src_m, 0.45))
        if not found:
            continue
        if _HEDGE.search(sent) or re.search(r"(?<!\w)may(?!\w)", sent):  # lower-case 'may': not the month
            hedged += 1
            continue
        if _RETRO.search(sent):
            retro += 1
            continue
        for kind, m, conf in found:
            add(kind, m, conf, r)
    if hedged:
        log.append({"step": "hedged", "rows": hedged, "note": f"{hedged} candidate events left out: the sentence is "
                    "hypothetical, hedged or negated"})
    if retro:
        log.append({"step": "retrospective", "rows": retro, "note": f"{retro} candidate events left out: the sentence "
                    "dates what it reports in the past (last June, in 2016, years ago), not at the article's date"})
    # ceasefire of one member: the members fighting the same war
    for (kind, m), evs in list(hits.items()):
        if kind != "war-ended":
            continue
        war = str(((mobs.get(m) or {}).get("at_war") or {}).get("war") or "")
        for other, o in mobs.items():
            if other == m or ("war-ended", other) in hits:
                continue
            ow = str((o.get("at_war") or {}).get("war") or "")
            if war and ow and (war in ow or ow in war):
                hits[("war-ended", other)] = [{**e, "_conf": round(0.8 * e["_conf"], 3), "via": iso3[m]} for e in evs]
    proposals = []
    recorded = case.get("events") or []
    for (kind, m), evs in sorted(hits.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        evs = sorted(evs, key=lambda e: (e["date"], e["event_id"]))
        date = evs[0]["date"]
        conf = _conf_noisy_or(evs)
        src_text = _cites(evs)
        note = f"proposed from news, confidence {conf}; check the evidence before accepting"
        mo = mobs.get(m) or {}
        name = next((x.get("name") for x in case.get("members") or [] if int(x.get("ccode", -1)) == m), str(m))
        if kind == "war-ended":
            cur = mo.get("at_war") or {}
            if not cur.get("at_war"):
                log.append({"step": "no-change", "rows": len(evs), "note": f"war-ended: {name} is not at war in the case"})
                continue
            value = {"at_war": 0, "war": cur.get("war"), "since": date, "source": src_text, "uncertain": True,
                     "note": f"ceasefire or end of war reported; {note}"}
            props = [Proposal(kind, m, ["observed", "members", m, "at_war"], value, date, conf,
                              f"{name}: no longer at war ({cur.get('war')}) from {date}", evs)]
        elif kind == "article-4":
            if any(_art4_recorded(x, date) for x in recorded):
                log.append({"step": "no-change", "rows": len(evs), "note": f"article-4: already in the case's events near {date}"})
                continue
            props = [Proposal(kind, m, ["events"], {"date": date, "what": f"{name} invokes Art. 4 of the treaty "
                                                    "(appeal for or provision of military assistance), as reported",
                                                    "source": src_text}, date, conf,
                              f"Art. 4 invoked by {name} on {date}", evs)]
            for other, o in mobs.items():
                if other != m and not (o.get("at_war") or {}).get("at_war"):
                    value = {"at_war": 1, "war": (mo.get("at_war") or {}).get("war") or f"war of {name}",
                             "since": date, "source": src_text, "uncertain": True,
                             "note": f"joins {name}'s war under Art. 4; {note}"}
                    oname = next((x.get("name") for x in case.get("members") or [] if int(x.get("ccode", -1)) == other), str(other))
                    props.append(Proposal(kind, other, ["observed", "members", other, "at_war"], value, date, conf,
                                          f"{oname}: at war from {date} (Art. 4 assistance to {name})", evs))
        elif kind == "leader-change":
            cur = mo.get("leader_change_this_year") or {}
            if cur.get("value") == 1:
                continue
            props = [Proposal(kind, m, ["observed", "members", m, "leader_change_this_year"],
                              {"value": 1, "source": src_text, "uncertain": True,
                               "note": f"set leader and leader_since by hand; {note}"}, date, conf,
                              f"{name}: leader change reported on {date}", evs)]
        elif kind == "termination-notice":
            props = [Proposal(kind, m, ["events"], {"date": date, "what": f"{name} gives notice of termination of the "
                                                    "treaty, as reported (it ends one year after receipt)",
                                                    "source": src_text}, date, conf,
                              f"notice of termination by {name} on {date}", evs)]
        else:  # outside-alliance
            cur = mo.get("new_outside_alliance_this_year") or {}
            if cur.get("value") == 1:
                continue
            partners = sorted({e["target"] for e in evs if e.get("target")})
            props = [Proposal(kind, m, ["observed", "members", m, "new_outside_alliance_this_year"],
                              {"value": 1, "source": src_text, "uncertain": True,
                               "note": f"agreement with {', '.join(partners)}; {note}"}, date, conf,
                              f"{name}: new outside alliance with {', '.join(partners)} on {date}", evs)]
        for p in props:
            p.evidence = [{k: v for k, v in e.items() if k != "_conf"} | {"confidence": e["_conf"]} for e in evs]
            proposals.append(p.to_dict())
    return {"proposals": proposals, "since": str(since_d) if since_d else None, "log": log}


def _art4_recorded(entry: dict, date: str) -> bool:
    try:
        d = pd.Timestamp(entry.get("date")).date()
    except (ValueError, TypeError):
        return False
    what = str(entry.get("what", ""))
    return abs((d - pd.Timestamp(date).date()).days) <= 7 and bool(re.search(r"Art(?:icle|\.) ?4", what))


# ------------------------------------------------------------------------------------------------- writing the YAML
def _yaml():
    from ruamel.yaml import YAML

    y = YAML()  # round-trip: comments, key order and quoting kept
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _plain(v):
    """Proposal values -> YAML values (ISO dates as dates, as the case file writes them)."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items() if x is not None}
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return dt.date.fromisoformat(v)
    return v


def apply_proposals(text: str, proposals: list[dict], where: str = "case file") -> str:
    """The YAML ``text`` with the proposals applied (observed fields replaced, ``events`` entries appended, and
    ``observed.date`` moved to the latest proposal date when later); comments and layout of untouched parts kept."""
    from ruamel.yaml.comments import CommentedMap

    y = _yaml()
    try:
        doc = y.load(text)
    except Exception as exc:  # ruamel raises several parser error types
        raise PactwatchError(f"{where}: not valid YAML ({exc})") from None
    latest = None
    for p in proposals:
        path, value = p["path"], _plain(p["value"])
        if path == ["events"]:
            if doc.get("events") is None:
                doc["events"] = []
            doc["events"].append(CommentedMap(value))
        else:
            node = doc
            for k in path[:-1]:
                if k not in node:
                    raise PactwatchError(f"{where}: no {'.'.join(str(x) for x in path[:-1])} to update")
                node = node[k]
            node[path[-1]] = CommentedMap(value)
        d = dt.date.fromisoformat(p["date"])
        latest = d if latest is None or d > latest else latest
    obs = doc.get("observed")
    if latest is not None and obs is not None:
        cur = obs.get("date")
        cur = dt.date.fromisoformat(str(cur)) if cur is not None else None
        if cur is None or latest > cur:
            obs["date"] = latest
    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()


def unified_diff(old: str, new: str, name: str = "case.yaml") -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=f"a/{name}", tofile=f"b/{name}"))


def write_atomically(path, text: str) -> None:
    """Replace ``path`` by ``text`` in one step (a temporary file in the same directory, then rename)."""
    import os
    import tempfile
    from pathlib import Path

    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
