"""Case files (``cases/*.yaml``) and scenario files (``scenarios/*.yaml``): finding, loading, resolving.

Search order for a name: an existing path; ``$PACTWATCH_CASES_DIR`` / ``$PACTWATCH_SCENARIOS_DIR``; the ``cases`` /
``scenarios`` directory of the repository this package lives in; ``./cases`` / ``./scenarios``.

:func:`resolve` turns a case into what the model needs at an as-of date: the formation covariates (from ATOP for an
ATOP case, from the file for a direct one) and each member's state at the as-of date (:class:`.shocks.MemberState`).
For a direct case each member-level value of the as-of year and the year before (the lagged covariates) comes from
:func:`pactwatch.panels.state.member_state_years` — the code the survival table's training rows are built with —
wherever the value's source reaches that year, and from the case's ``observed`` block only past the source's end
(:data:`pactwatch.panels.state.DATA_END`): each value's origin is in ``ResolvedCase.sources``
(``state.<ccode>.<value>.<year>``: "data: <source>, <year>" or "hand, past data end <year>: <the case's source>"),
each hand value used in ``ResolvedCase.hand_values`` (the forecast lists them), and where a hand value contradicts
the data for a year they cover the data are used and a note says so.
For an ATOP case at a date inside the data the member states come from the panels (war, rivals, capability and
regime change since entry, that year's leader change and new outside alliances); after the data's end they must be
given in the file's ``observed`` block — nothing is carried forward silently. A needed value that is missing in the
data raises an error naming it.

Reading YAML safely (:func:`read_yaml`): files larger than :data:`MAX_YAML_BYTES` are refused unread; the text must be
UTF-8; the safe loader builds plain data only, and a document whose aliases would expand to more than
:data:`MAX_YAML_NODES` nodes (an "alias bomb": ten lines that expand to a billion) or refer to themselves is refused
before anything walks it. Every problem is a PactwatchError naming the file. :func:`list_cases_with_errors` lists every
case file with its problem, so one bad file never hides the good ones.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Optional
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from pactwatch.errors import PactwatchError

from .schema import Case, Scenario, parse
from .shocks import MemberState

REPO_ROOT = Path(__file__).resolve().parents[3]
#: Largest case or scenario file read (the shipped ones are under 20 kB).
MAX_YAML_BYTES = 1 << 20
#: Largest number of nodes a YAML document may hold once its aliases are expanded.
MAX_YAML_NODES = 100_000
#: Deepest nesting of mappings and lists (the shipped files nest 6 levels).
MAX_YAML_DEPTH = 50
#: Years the member-state covariates are observed in the panels for an ATOP case (war data end 2007, leaders 2015,
#: CINC 2016); direct cases take each value to its own source's end (:mod:`pactwatch.panels.state`).
DATA_STATE_END = 2007


def _dirs(kind: str) -> list[Path]:
    """Where case (or scenario) files are looked for, in order, each folder once: $PACTWATCH_<KIND>_DIR, the checkout's
    own folder, the working directory's."""
    env = os.environ.get(f"PACTWATCH_{kind.upper()}_DIR")
    out: list[Path] = []
    for d in ([Path(env)] if env else []) + [REPO_ROOT / kind, Path.cwd() / kind]:
        if all(d.resolve() != k.resolve() for k in out):
            out.append(d)
    return out


def _find(name: str | os.PathLike, kind: str) -> Path:
    p = Path(name)
    if p.suffix in (".yaml", ".yml") and p.exists():
        return p
    for d in _dirs(kind):
        for cand in (d / f"{name}.yaml", d / f"{name}.yml"):
            if cand.exists():
                return cand
    avail = ", ".join(list_names(kind)) or "none found"
    raise PactwatchError(f"no {kind[:-1]} named {str(name)!r} (looked in {', '.join(str(d) for d in _dirs(kind))}; "
                         f"available: {avail})")


def search_dirs(kind: str = "cases") -> list[Path]:
    """Where case (``kind`` "cases") or scenario ("scenarios") files are looked for, in order."""
    return _dirs(kind)


def list_names(kind: str = "cases") -> list[str]:
    for d in _dirs(kind):
        if d.is_dir():
            names = sorted(p.stem for p in d.glob("*.yaml"))
            if names:
                return names
    return []


class _Refused(yaml.YAMLError):
    """A YAML document refused for its shape (an alias bomb, a recursive alias), not for its syntax."""


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses a document whose aliases expand past :data:`MAX_YAML_NODES` nodes, or
    that refers to itself, before it is turned into Python objects (aliases share objects there, but everything
    that walks the result, validation included, would see the expanded tree)."""

    _depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _Refused(f"nested more than {MAX_YAML_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self):
        node = super().compose_document()
        _check_expanded_size(node, MAX_YAML_NODES)
        return node


def _check_expanded_size(root, limit: int) -> None:
    """Raise _Refused when ``root`` expanded (each alias counted as a copy of its anchor) exceeds ``limit``
    nodes, or is recursive. Linear in the number of distinct nodes (sizes are memoised per node)."""
    size: dict[int, int] = {}
    active: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        k = id(node)
        if done:
            active.discard(k)
            if isinstance(node, yaml.MappingNode):
                kids = [x for pair in node.value for x in pair]
            elif isinstance(node, yaml.SequenceNode):
                kids = node.value
            else:
                kids = []
            size[k] = 1 + sum(size[id(c)] for c in kids)
            if size[k] > limit:
                raise _Refused(f"its aliases expand to more than {limit:,} nodes (an alias bomb?); "
                                     "write the values out instead of repeating anchors")
            continue
        if k in size:
            continue
        if k in active:
            raise _Refused("an alias refers to the node that contains it (a recursive document)")
        active.add(k)
        stack.append((node, True))
        if isinstance(node, yaml.MappingNode):
            stack.extend((x, False) for pair in node.value for x in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((x, False) for x in node.value)


def read_yaml(path: str | os.PathLike):
    """The content of a YAML case or scenario file, read safely (see the module docstring). Every problem (too
    large, not UTF-8, not YAML, an alias bomb, unreadable) is a PactwatchError naming the file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise PactwatchError(f"{path}: {size:,} bytes, more than the {MAX_YAML_BYTES:,} a case or scenario file "
                                 "may have; is this the right file?")
        raw = path.read_bytes()
    except OSError as exc:
        raise PactwatchError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > MAX_YAML_BYTES:  # grew since the stat
        raise PactwatchError(f"{path}: more than the {MAX_YAML_BYTES:,} bytes a case or scenario file may have")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PactwatchError(f"{path}: not UTF-8 text (byte {raw[exc.start]:#04x} on line {line}); save the file as "
                             "UTF-8 (it may be Latin-1 / Windows-1252)") from None
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader subclass
    except _Refused as exc:
        raise PactwatchError(f"{path}: refused: {exc}") from None
    except yaml.YAMLError as exc:
        raise PactwatchError(f"{path}: not valid YAML ({exc})") from None
    except RecursionError:
        raise PactwatchError(f"{path}: not valid YAML (nested too deeply)") from None


_read_yaml = read_yaml  # the name other modules used before


def load_case(name: str | os.PathLike) -> Case:
    """A validated case by name (``rus-prk-2024``) or path; a bad file raises naming the file and the field."""
    path = _find(name, "cases")
    case = parse(Case, read_yaml(path), str(path))
    case.__dict__["_path"] = str(path)
    return case


def load_scenarios(directory: str | os.PathLike | None = None) -> dict[str, Scenario]:
    """Every scenario file in the scenarios directory, by name (the ``name`` field must match the file name)."""
    dirs = [Path(directory)] if directory else _dirs("scenarios")
    for d in dirs:
        if d.is_dir() and list(d.glob("*.yaml")):
            out = {}
            for p in sorted(d.glob("*.yaml")):
                sc = parse(Scenario, read_yaml(p), str(p))
                if sc.name != p.stem:
                    raise PactwatchError(f"{p}: field 'name': {sc.name!r} differs from the file name {p.stem!r}")
                out[sc.name] = sc
            return out
    raise PactwatchError(f"no scenario files found (looked in {', '.join(str(d) for d in dirs)})")


@dataclass
class CaseListing:
    """One case file as :func:`list_cases_with_errors` finds it: ``case`` when it loads, else ``error`` (a message
    naming the file and each problem)."""
    name: str
    path: Path
    case: Optional[Case] = None
    error: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.error is None


def list_cases_with_errors(directory: str | os.PathLike | None = None) -> list[CaseListing]:
    """Every case file (``*.yaml`` / ``*.yml``) in ``directory`` (default: the first cases directory that has any,
    as :func:`list_names` finds it), sorted by name, each loaded and validated: a bad file is listed with its error
    (too large, not UTF-8, not YAML, an alias bomb, a schema error naming the field) and never hides the others."""
    dirs = [Path(directory)] if directory is not None else _dirs("cases")
    files: list[Path] = []
    for d in dirs:
        if d.is_dir():
            files = sorted(p for p in d.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
            if files:
                break
    out = []
    for p in files:
        try:
            case = parse(Case, read_yaml(p), str(p))
        except PactwatchError as exc:
            out.append(CaseListing(p.stem, p, None, str(exc)))
        else:
            case.__dict__["_path"] = str(p)
            out.append(CaseListing(p.stem, p, case, None))
    return out


# --------------------------------------------------------------------------------------------------------- resolve
@dataclass
class ResolvedCase:
    case: Case
    atopid: int | None
    in_force: pd.Timestamp
    members: list  # [{ccode, name, major}]
    formation: dict  # time-constant model covariates
    states: list  # MemberState at the as-of date
    state_source: str
    sources: dict = field(default_factory=dict)  # covariate (or state.<ccode>.<value>.<year>) -> where its value comes from
    notes: list = field(default_factory=list)
    #: member states in the year before the as-of year (for the lagged covariates; direct cases), else None
    prev_states: list | None = None
    #: case values used as hand values past the data's end: [{path, value, year, data_end, source}]
    hand_values: list = field(default_factory=list)

    @property
    def lagged(self) -> dict:
        """``<covariate>_lag1``: the alliance-year covariates of the year before the as-of year (from
        :attr:`prev_states`; empty without them)."""
        if self.prev_states is None:
            return {}
        from .shocks import aggregate

        y = self.prev_year
        return {f"{k}_lag1": v for k, v in aggregate(self.prev_states, year=y).items()}

    @property
    def prev_year(self) -> int | None:
        return self.__dict__.get("_prev_year")


def _direct_formation(c: Case) -> tuple[dict, dict]:
    ob, de, fo = c.obligations, c.design, c.formation
    n = len(c.members)
    majors = set(fo.major_powers.value)
    n_major = sum(1 for m in c.members if m.ccode in majors)
    p2 = [fo.polity2[m.ccode].value for m in c.members]
    f = {k: float(getattr(ob, k).value) for k in ("defense", "offense", "neutral", "nonagg", "consul")}
    f.update(bilateral=float(n == 2), log_members=math.log(n), any_major=float(n_major > 0),
             asymmetric=float(0 < n_major < n), dem_share=float(np.mean([v >= 6 for v in p2])),
             wartime=float(fo.wartime.value), fixed_term=float(de.length.value == "fixed"),
             conditional_term=float(de.length.value == "conditional"), renounce_clause=float(de.renunciation.value),
             econ_linkage=float(de.econ_linkage.value))
    src = {k: getattr(ob, k).source for k in ("defense", "offense", "neutral", "nonagg", "consul")}
    src.update(bilateral="members list", log_members="members list", any_major=fo.major_powers.source,
               asymmetric=fo.major_powers.source, dem_share="; ".join(f"{k}: {v.source}" for k, v in fo.polity2.items()),
               wartime=fo.wartime.source, fixed_term=de.length.source, conditional_term=de.length.source,
               renounce_clause=de.renunciation.source, econ_linkage=de.econ_linkage.source)
    return f, src


def _observed_states(c: Case, majors: set, polity_at_formation: dict) -> list[MemberState]:
    out = []
    for m in c.members:
        o = c.observed.members[m.ccode]
        p0 = polity_at_formation.get(m.ccode)
        out.append(MemberState(ccode=m.ccode, major=m.ccode in majors, at_war=bool(o.at_war.at_war),
                               rivals=frozenset(int(r) for r in o.rivals.value), log_cinc_ratio=math.log(o.cinc_ratio.value),
                               polity2_change=0.0 if p0 is None else float(o.polity2.value - p0),
                               leader_change=int(o.leader_change_this_year.value),
                               new_outside_alliance=int(o.new_outside_alliance_this_year.value)))
    return out


#: Case value (``observed.members.<cc>.<name>``) behind each member-level value, for the hand values.
_HAND_FIELD = {"at_war_cow_ucdp": "at_war", "cinc_ratio": "cinc_ratio", "polity2_change": "polity2",
               "abs_euds_change": "euds", "leader_change": "leader_change_this_year",
               "irregular_entry": "irregular_leader_entry_this_year",
               "new_outside_alliance": "new_outside_alliance_this_year", "tss_rivals": "rivals",
               "peace_rivals": "peace_rivals", "severe_rivals": "severe_rivals", "mid_opponents_10y": "mid_opponents_10y"}


def _fmt(v):
    if isinstance(v, frozenset):
        return "[" + ", ".join(str(x) for x in sorted(v)) + "]"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def _differs(a, b) -> bool:
    """True if two values of a member state differ (floats by more than 0.001)."""
    if isinstance(a, frozenset) or isinstance(b, frozenset):
        return a != b
    return abs(float(a) - float(b)) > 1e-3


def _war_label(name: str, year: int) -> str:
    from pactwatch.panels import state as PS

    return PS.DATA_SOURCE["at_war"] if year <= PS.DATA_END["at_war"] else "UCDP/PRIO armed conflict v23.1 (inter-state, >= 1,000 deaths)"


def _direct_states(c: Case, src, y: int, majors: set, in_force: pd.Timestamp):
    """Member states of a direct case in years y-1 and y: from :func:`pactwatch.panels.state.member_state_years`
    (the survival table's code) wherever the data reach, else from the ``observed`` hand values (each recorded as a
    hand value). Returns ({year: [MemberState]}, hand values, sources, notes)."""
    from pactwatch.panels import state as PS

    ccodes = [m.ccode for m in c.members]
    entry = int(in_force.year)
    last_years = sorted({PS.DATA_END[k] for k in _HAND_FIELD} - {y - 1, y})
    years = [y - 1, y, *[ly for ly in last_years if entry <= ly < y - 1]]
    tab = PS.member_state_years(ccodes, years, entry, src).set_index(["ccode", "year"])
    fw = PS.formation_war_end(ccodes, entry, bool(c.formation.wartime.value), src)
    fw_data = fw["source"] == "cow" or (fw["source"] in ("ucdp", "none") and entry <= PS.DATA_END["formation_war_end"])
    sources: dict = {}
    hand: list = []
    notes: list = []
    p0 = {k: v.value for k, v in c.formation.polity2.items()}
    out: dict = {}
    for Y in (y - 1, y):
        states = []
        for m in c.members:
            cc = m.ccode
            o = c.observed.members[cc]
            row = tab.loc[(cc, Y)]
            since = o.at_war.since
            lsince = o.leader_since.value if o.leader_since is not None else None
            hv = {  # hand value (and its source) for year Y
                "at_war_cow_ucdp": (float(o.at_war.at_war == 1 and (since is None or since.year <= Y)), o.at_war.source),
                "cinc_ratio": (float(o.cinc_ratio.value), o.cinc_ratio.source),
                "polity2_change": (float(o.polity2.value - p0[cc]) if cc in p0 else None, o.polity2.source),
                "abs_euds_change": (None, "no 'euds' hand value in the case"),
                "leader_change": ((float(o.leader_change_this_year.value or (lsince is not None and lsince.year == Y)),
                                   o.leader_change_this_year.source) if Y == y else
                                  (float(lsince is not None and lsince.year == Y),
                                   o.leader_since.source if o.leader_since is not None else "no leader_since")),
                "irregular_entry": ((float(o.irregular_leader_entry_this_year.value), o.irregular_leader_entry_this_year.source)
                                    if Y == y or lsince is None or lsince.year == Y else
                                    (0.0, f"no new leader in {Y} (in office since {lsince})")),
                "new_outside_alliance": ((float(o.new_outside_alliance_this_year.value),
                                          o.new_outside_alliance_this_year.source) if Y == y else
                                         (float(o.new_outside_alliance_this_year.value),
                                          f"assumed as in {y}: {o.new_outside_alliance_this_year.source}")),
                "tss_rivals": (frozenset(o.rivals.value), o.rivals.source),
                "peace_rivals": ((frozenset(o.peace_rivals.value), o.peace_rivals.source) if o.peace_rivals else
                                 (None, "no 'peace_rivals' hand value in the case")),
                "severe_rivals": ((frozenset(o.severe_rivals.value), o.severe_rivals.source) if o.severe_rivals else
                                  (None, "no 'severe_rivals' hand value in the case")),
                "mid_opponents_10y": ((frozenset(o.mid_opponents_10y.value), o.mid_opponents_10y.source)
                                      if o.mid_opponents_10y else (None, "no 'mid_opponents_10y' hand value in the case")),
            }
            if o.euds is not None:
                e0 = row.get("euds_entry") if hasattr(row, "get") else None
                if e0 is not None and not pd.isna(e0):
                    hv["abs_euds_change"] = (abs(float(o.euds.value) - float(e0)), o.euds.source + f" (entry {entry}: "
                                             f"{float(e0):.3f} from the data)")
                else:
                    hv["abs_euds_change"] = (None, f"{o.euds.source} (no extended UDS value for the entry year {entry})")
            vals = {}
            for name, (h, hsrc) in hv.items():
                d = row[name]
                known = d is not None and not (isinstance(d, float) and math.isnan(d))
                key = f"state.{cc}.{name}.{Y}"
                label = _war_label(name, Y) if name == "at_war_cow_ucdp" else PS.DATA_SOURCE[name]
                if PS.covered(name, Y) and known:
                    vals[name] = d
                    sources[key] = f"data: {label}, {Y}"
                    if Y == y and h is not None and _differs(h, d):
                        notes.append(f"member {cc}, {name} in {Y}: the data ({label}) say {_fmt(d)}, the case's hand value "
                                     f"(observed.members.{cc}.{_HAND_FIELD[name]}) says {_fmt(h)}; the data are used")
                    continue
                vals[name] = h
                why = (f"past data end {PS.DATA_END[name]}" if Y > PS.DATA_END[name] else
                       f"before data start {PS.DATA_START[name]}" if Y < PS.DATA_START[name] else f"no data value for {Y}")
                sources[key] = f"hand, {why}: {hsrc}"
                fld = _HAND_FIELD[name]
                if Y != y and name in ("leader_change", "irregular_entry") and lsince is not None:
                    fld = "leader_since"
                path = f"observed.members.{cc}.{fld}"
                hand.append({"path": path, "covariate_value": name, "year": Y, "value": _fmt(h) if h is not None else None,
                             "data_end": PS.DATA_END[name], "source": hsrc})
                if h is None:
                    notes.append(f"member {cc}, {name} in {Y}: {why} and {hsrc}: NA (covariates built from it are NA)")
                ly = PS.DATA_END[name]
                if Y == y and h is not None and Y > ly and (cc, ly) in tab.index and entry <= ly:
                    dl = tab.loc[(cc, ly), name]
                    if dl is not None and not (isinstance(dl, float) and math.isnan(dl)) and _differs(dl, h):
                        notes.append(f"member {cc}, {name}: hand value {_fmt(h)} for {Y} differs from the data's last "
                                     f"year ({label}, {ly}): {_fmt(dl)}")
            # the war the alliance was formed in
            in_fw = bool(c.formation.wartime.value) and o.at_war.at_war == 1 and (since is None or
                                                                              pd.Timestamp(since) <= in_force)
            if fw_data:
                fwe = fw["end_year"] if fw["end_year"] is not None and fw["end_year"] <= Y else None
                sources[f"state.{cc}.formation_war_end.{Y}"] = f"data: {PS.DATA_SOURCE['formation_war_end']} ({fw['source']})"
                if fw["end_year"] is None and fw["source"] == "ucdp" and Y > PS.DATA_END["formation_war_end"]:
                    fwe = None  # still under way in the data's last year: the hand value (at_war) says whether it ended
                    sources[f"state.{cc}.formation_war_end.{Y}"] = (f"hand, past data end {PS.DATA_END['formation_war_end']}"
                                                                    f": {o.at_war.source}")
                    if not o.at_war.at_war:
                        notes.append(f"member {cc}: the formation war is under way in {PS.DATA_END['formation_war_end']} "
                                     "and the case says it is no longer at war; give the end year (not coded)")
                in_fw = in_fw and fwe is None
            else:
                fwe = None
                sources[f"state.{cc}.formation_war_end.{Y}"] = (
                    f"hand, formation year {entry} past data end {PS.DATA_END['formation_war_end']}: "
                    + (f"at war since {since} and on the as-of date ({o.at_war.source})" if in_fw else
                       "not at war in the formation war on the as-of date: its end year is not known (war_ended_0_2 = 0)"))
                if bool(c.formation.wartime.value):
                    hand.append({"path": f"observed.members.{cc}.at_war", "covariate_value": "formation_war_end", "year": Y,
                                 "value": "under way" if in_fw else "not known", "data_end": PS.DATA_END["formation_war_end"], "source": o.at_war.source})
            lr = vals["cinc_ratio"]
            states.append(MemberState(
                ccode=cc, major=cc in majors, at_war=bool(vals["at_war_cow_ucdp"] == 1), rivals=vals["tss_rivals"],
                log_cinc_ratio=math.log(lr) if lr and lr > 0 else 0.0,
                polity2_change=float(vals["polity2_change"]) if vals["polity2_change"] is not None else 0.0,
                leader_change=int(vals["leader_change"] == 1), new_outside_alliance=int(vals["new_outside_alliance"] == 1),
                irregular_leader_entry=None if vals["irregular_entry"] is None else int(vals["irregular_entry"] == 1),
                euds_change=vals["abs_euds_change"], peace_rivals=vals["peace_rivals"],
                severe_rivals=vals["severe_rivals"], mid_opponents_10y=vals["mid_opponents_10y"],
                formation_war_end=fwe, in_formation_war=in_fw))
        out[Y] = states
    # one entry per case value used as a hand value (the years it served)
    merged: dict = {}
    for h in hand:
        k = (h["path"], h["covariate_value"])
        if k in merged:
            merged[k]["years"].append(h["year"])
        else:
            merged[k] = {**{kk: v for kk, v in h.items() if kk != "year"}, "years": [h["year"]]}
    return out, list(merged.values()), sources, notes


def resolve(c: Case, data, as_of: pd.Timestamp, src=None) -> ResolvedCase:
    """Formation covariates and member states at ``as_of`` (see the module docstring). ``src``: the data source a
    direct case's member states are read from (:mod:`pactwatch.panels.state`; default the process-wide one)."""
    from .training import FORMATION

    notes = []
    if c.kind == "direct":
        formation, sources = _direct_formation(c)
        majors = set(c.formation.major_powers.value)
        members = [{"ccode": m.ccode, "name": m.name, "major": m.ccode in majors} for m in c.members]
        in_force = pd.Timestamp(c.in_force.value)
        if c.observed is None:
            raise PactwatchError(f"case {c.id!r}: a direct case needs an 'observed' block (member states at the as-of date)")
        y = int(as_of.year)
        by_year, hand, st_sources, st_notes = _direct_states(c, src, y, majors, in_force)
        sources.update(st_sources)
        notes.extend(st_notes)
        states, prev = by_year[y], by_year[y - 1]
        if hand:
            last = sorted({h["path"] for h in hand})
            state_source = (f"data (ATOP/COW/UCDP/peace-scale/GML panels) for {y - 1}-{y} where they reach; hand values "
                            f"from the case file's 'observed' block dated {c.observed.date} past the data's end: "
                            + ", ".join(last))
        else:
            state_source = f"data (ATOP/COW/UCDP/peace-scale/GML panels), years {y - 1}-{y}"
        if hand and pd.Timestamp(c.observed.date) != as_of:
            notes.append(f"hand values observed on {c.observed.date} are used as the state on the as-of date {as_of.date()}")
        rc = ResolvedCase(c, None, in_force, members, formation, states, state_source, sources, notes,
                          prev_states=prev, hand_values=hand)
        rc.__dict__["_prev_year"] = y - 1
        return rc

    al = data.eval.alliances
    row = al[al["atopid"] == c.atopid]
    if row.empty:
        raise PactwatchError(f"case {c.id!r}: atopid {c.atopid} is not in ATOP 5.1")
    row = row.iloc[0]
    miss = [k for k in FORMATION if pd.isna(row[k])]
    if miss:
        raise PactwatchError(f"case {c.id!r}: ATOP {c.atopid} has no value for formation covariate(s) {miss}")
    formation = {k: float(row[k]) for k in FORMATION}
    sources = {k: f"ATOP 5.1 atopid {c.atopid} (phase 1 / formation year), via pactwatch.models.specs" for k in FORMATION}
    in_force = pd.Timestamp(row["begin"])
    my = data.member_years
    y = int(as_of.year)
    m_all = my[my["atopid"] == c.atopid]
    members_cc = sorted(m_all.loc[m_all["year"] == int(row["begyr"]), "ccode"].unique().tolist())
    if c.members:
        given = sorted(m.ccode for m in c.members)
        if given != members_cc:
            raise PactwatchError(f"case {c.id!r}: members {given} differ from ATOP {c.atopid}'s founding members {members_cc}")
    if c.observed is not None and y > DATA_STATE_END:
        majors = {m.ccode for m in c.members if m.ccode in set(m_all.loc[m_all["cowmaj"] == 1, "ccode"])}
        states = _observed_states(c, majors, {})
        members = [{"ccode": cc, "name": data.states.get(cc, {}).get("name", str(cc)), "major": cc in majors}
                   for cc in members_cc]
        return ResolvedCase(c, int(c.atopid), in_force, members, formation, states,
                            f"case file 'observed' block dated {c.observed.date}", sources, notes)
    if y > DATA_STATE_END:
        raise PactwatchError(f"case {c.id!r}: as-of year {y} is after the war data end ({DATA_STATE_END}); give the "
                             "member states in the case's 'observed' block")
    cur = m_all[m_all["year"] == y]
    if cur.empty:
        raise PactwatchError(f"case {c.id!r}: ATOP {c.atopid} has no members in {y} (formed {int(row['begyr'])}, "
                             f"ended {row['end'].date() if pd.notna(row['end']) else 'in effect'})")
    rv = data.rivalries[data.rivalries["year"] == y]
    states, members = [], []
    for r in cur.itertuples(index=False):
        need = {"at_war": r.at_war, "cinc_ratio": r.cinc_ratio, "polity2_change": r.polity2_change,
                "leader_change": r.leader_change, "cowmaj": r.cowmaj}
        bad = [k for k, v in need.items() if pd.isna(v)]
        if bad:
            raise PactwatchError(f"case {c.id!r}: member {r.ccode} in {y} has no value for {bad} in the data; give the "
                                 "member states in the case's 'observed' block")
        riv = frozenset(int(v) for v in rv.loc[rv["ccode1"] == r.ccode, "ccode2"])
        states.append(MemberState(ccode=int(r.ccode), major=bool(r.cowmaj == 1), at_war=bool(r.at_war == 1), rivals=riv,
                                  log_cinc_ratio=math.log(r.cinc_ratio) if r.cinc_ratio > 0 else 0.0,
                                  polity2_change=float(r.polity2_change), leader_change=int(r.leader_change),
                                  new_outside_alliance=int(r.new_outside_alliance),
                                  # not read here: the path takes the data's alliance-level values (build_path's held)
                                  irregular_leader_entry=None, in_formation_war=None))
        members.append({"ccode": int(r.ccode), "name": data.states.get(int(r.ccode), {}).get("name", str(r.ccode)),
                        "major": bool(r.cowmaj == 1)})
    return ResolvedCase(c, int(c.atopid), in_force, members, formation, states, f"ATOP/COW panels, year {y}", sources, notes)
