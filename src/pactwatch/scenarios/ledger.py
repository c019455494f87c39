"""A forecast ledger: every headline forecast the main job makes, kept with what it was made from, and scored once
the outcome is known (issue 13, item 7).

The ledger is one append-only JSON-lines file, ``paths.home()/ledger.jsonl``. Two kinds of record:

- ``forecast`` (:func:`append`): ``case``, ``run_date`` (UTC time of the run), ``as_of`` (the date the forecast speaks
  from), ``horizon`` (years), ``resolution_date`` (as_of + horizon), ``probability`` (that the alliance is still in
  effect — has not ended under ``event`` — on the resolution date), ``interval`` ([lower, upper]), ``event`` (the
  event definition), ``scenario``, ``model_version``, ``data_checksums`` ({table: sha256}), ``id`` (a hash of the
  record's content).
- ``outcome`` (:func:`record_outcome`): ``case``, ``date``, ``ended`` — the alliance ended on ``date`` (``ended`` true),
  or was still in effect on ``date`` (false).

Resolution (:func:`resolve`), per forecast, from the outcomes of its case: an ending dated after ``as_of`` and on or
before the resolution date resolves it as *ended* (outcome 0); "still in effect" on or after the resolution date (with
no ending up to it) resolves it as *survived* (1); an ending on or before ``as_of`` makes it *void* (the outcome was
known when it was made); otherwise it is *open*. :func:`score` is the Brier score of the resolved forecasts,
mean((probability − outcome)²). Records are never rewritten; a later outcome record for the same case and date wins.
"""
from __future__ import annotations

import builtins
import datetime as _dt
import fcntl
import hashlib
import json
import math
from pathlib import Path
from typing import Any

from pactwatch.errors import DataError, PactwatchError

LEDGER_FILE = "ledger.jsonl"


def ledger_path() -> Path:
    from pactwatch.paths import home

    return home() / LEDGER_FILE


def _date(v: Any, what: str) -> _dt.date:
    if isinstance(v, _dt.datetime):
        return v.date()
    if isinstance(v, _dt.date):
        return v
    try:
        return _dt.date.fromisoformat(str(v)[:10])
    except ValueError:
        raise PactwatchError(f"ledger: {what} must be a date YYYY-MM-DD, got {v!r}") from None


def _add_years(d: _dt.date, years: float) -> _dt.date:
    whole = int(years)
    if whole == years:
        try:
            return d.replace(year=d.year + whole)
        except ValueError:  # 29 February
            return d.replace(year=d.year + whole, day=28)
    return d + _dt.timedelta(days=round(years * 365.25))


def _write(record: dict, path: Path | None) -> None:
    p = path or ledger_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, sort_keys=True, allow_nan=False) + "\n"
    with open(p, "a", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            f.write(line)
            f.flush()
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def append(entry: dict, *, path: Path | None = None) -> dict:
    """Validate a forecast and append it to the ledger; returns the stored record (with ``id``, ``resolution_date``,
    ``run_date`` if not given). Required: case, as_of, horizon, probability, interval, model_version, data_checksums."""
    need = ["case", "as_of", "horizon", "probability", "interval", "model_version", "data_checksums"]
    miss = [k for k in need if k not in entry or entry[k] is None]
    if miss:
        raise PactwatchError(f"ledger entry: missing {', '.join(miss)}")
    case = str(entry["case"]).strip()
    if not case:
        raise PactwatchError("ledger entry: case is empty")
    as_of = _date(entry["as_of"], "as_of")
    try:
        horizon = float(entry["horizon"])
        p = float(entry["probability"])
        lo, hi = (float(x) for x in entry["interval"])
    except (TypeError, ValueError):
        raise PactwatchError("ledger entry: horizon and probability must be numbers and interval a pair of numbers") from None
    if not (math.isfinite(horizon) and horizon > 0):
        raise PactwatchError(f"ledger entry: horizon must be a positive number of years, got {entry['horizon']!r}")
    for name, v in (("probability", p), ("interval lower", lo), ("interval upper", hi)):
        if not (math.isfinite(v) and 0.0 <= v <= 1.0):
            raise PactwatchError(f"ledger entry: {name} must be in [0, 1], got {v!r}")
    if not lo <= p <= hi:
        raise PactwatchError(f"ledger entry: interval [{lo}, {hi}] does not contain the probability {p}")
    if not isinstance(entry["data_checksums"], dict):
        raise PactwatchError("ledger entry: data_checksums must be a mapping {table: sha256}")
    run = entry.get("run_date") or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    rec = {"kind": "forecast", "case": case, "run_date": str(run), "as_of": as_of.isoformat(), "horizon": horizon,
           "resolution_date": _add_years(as_of, horizon).isoformat(), "probability": p, "interval": [lo, hi],
           "event": str(entry.get("event", "any-end")), "scenario": str(entry.get("scenario", "status quo")),
           "model_version": str(entry["model_version"]),
           "data_checksums": {str(k): str(v) for k, v in entry["data_checksums"].items()}}
    rec["id"] = hashlib.sha256(json.dumps(rec, sort_keys=True).encode()).hexdigest()[:16]
    _write(rec, path)
    return rec


def entry_from_result(result: dict, *, scenario: str = "status-quo", horizon: float = 5.0) -> dict:
    """The ledger entry for a forecast's headline: ``result`` is ``ForecastResult.to_json()``; the probability is the
    ``scenario``'s survival point at ``horizon`` years with its interval. The main job calls
    ``ledger.append(ledger.entry_from_result(result.to_json()))``."""
    try:
        sc = next(x for x in result["scenarios"] if x["name"] == scenario)
        pt = next(x for x in sc["survival"] if float(x["t"]) == float(horizon))
        prov = result["provenance"]
        return {"case": result["case"]["id"], "as_of": result["as_of"], "horizon": float(horizon),
                "probability": pt["point"], "interval": [pt["lower"], pt["upper"]], "event": result["event"]["name"],
                "scenario": scenario, "model_version": prov["model_version"], "data_checksums": prov["data"],
                "level": result.get("level")}
    except (KeyError, StopIteration, TypeError) as exc:
        raise PactwatchError(f"ledger: the forecast has no {scenario!r} survival at {horizon:g} years ({exc!r})") from None


def record_outcome(case: str, date, ended: bool, *, path: Path | None = None) -> dict:
    """Record that ``case``'s alliance ended on ``date`` (``ended=True``) or was still in effect on it (False)."""
    case = str(case).strip()
    if not case:
        raise PactwatchError("ledger outcome: case is empty")
    if not isinstance(ended, bool):
        raise PactwatchError(f"ledger outcome: ended must be true or false, got {ended!r}")
    rec = {"kind": "outcome", "case": case, "date": _date(date, "date").isoformat(), "ended": ended,
           "recorded": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    _write(rec, path)
    return rec


def _read(path: Path | None) -> builtins.list[dict]:
    p = path or ledger_path()
    if not p.exists():
        return []
    out = []
    with open(p, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{p}: line {i} is not valid JSON ({exc.msg}); the file is kept as it is — fix or "
                                "remove that line") from None
            if not isinstance(rec, dict) or rec.get("kind") not in ("forecast", "outcome"):
                raise DataError(f"{p}: line {i} is not a ledger record (kind must be 'forecast' or 'outcome')")
            out.append(rec)
    return out


def list_entries(case: str | None = None, *, path: Path | None = None) -> builtins.list[dict]:
    """The forecasts in the ledger (oldest first), each with its resolution (``status``: open / ended / survived /
    void, and ``outcome`` 0/1 when resolved); only ``case``'s when given."""
    recs = _read(path)
    outs = [r for r in recs if r["kind"] == "outcome"]
    res = []
    for r in recs:
        if r["kind"] != "forecast" or (case is not None and r["case"] != case):
            continue
        res.append({**r, **resolve(r, [o for o in outs if o["case"] == r["case"]])})
    return res


def outcomes(case: str | None = None, *, path: Path | None = None) -> builtins.list[dict]:
    return [r for r in _read(path) if r["kind"] == "outcome" and (case is None or r["case"] == case)]


def resolve(forecast: dict, case_outcomes: builtins.list[dict]) -> dict:
    """``status`` and ``outcome`` of one forecast given its case's outcome records (module docstring)."""
    as_of = _date(forecast["as_of"], "as_of")
    due = _date(forecast["resolution_date"], "resolution_date")
    latest: dict = {}
    for o in case_outcomes:  # a later record for the same date wins
        latest[o["date"]] = bool(o["ended"])
    ends = sorted(_date(d, "date") for d, e in latest.items() if e)
    if ends and ends[0] <= as_of:
        return {"status": "void", "outcome": None}
    ends_in = [d for d in ends if as_of < d <= due]
    if ends_in:
        return {"status": "ended", "outcome": 0, "resolved_by": ends_in[0].isoformat()}
    alive = [_date(d, "date") for d, e in latest.items() if not e and _date(d, "date") >= due]
    if alive:
        return {"status": "survived", "outcome": 1, "resolved_by": min(alive).isoformat()}
    return {"status": "open", "outcome": None}


def score(*, path: Path | None = None) -> dict:
    """Brier score of the resolved forecasts: mean((probability − outcome)²), outcome 1 = still in effect on the
    resolution date. Returns n (resolved), open, void, brier (None without resolved forecasts) and per-entry rows."""
    rows = list_entries(path=path)
    done = [r for r in rows if r["status"] in ("ended", "survived")]
    brier = (sum((r["probability"] - r["outcome"]) ** 2 for r in done) / len(done)) if done else None
    return {"n": len(done), "open": sum(r["status"] == "open" for r in rows),
            "void": sum(r["status"] == "void" for r in rows), "brier": brier,
            "entries": [{"id": r["id"], "case": r["case"], "as_of": r["as_of"], "horizon": r["horizon"],
                         "probability": r["probability"], "status": r["status"], "outcome": r["outcome"]} for r in rows]}


#: ``ledger.list()``, as the issue names it (``list_entries`` inside the package, so the builtin stays usable).
list = list_entries  # noqa: A001

__all__ = ["append", "entry_from_result", "list", "list_entries", "outcomes", "record_outcome", "resolve", "score", "ledger_path",
           "LEDGER_FILE"]
