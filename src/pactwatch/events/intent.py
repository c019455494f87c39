"""CAMEO's verbal families built on an action: express intent (03), threaten (13), appeal (02), demand (10).

CAMEO codes a stated future action not as the action but as a verbal event about it: "Turkey will allow refugees to
return" is 0343 *express intent to provide rights*, "Russia vowed to attack" is 1384 *threaten conventional attack*,
"the UN demanded that Iraq allow inspectors in" is 1055; "Israel refused to lift the curfew" and "will not lift the
curfew" are 1241 *refuse to ease administrative sanctions*. The four families share one layout of sub-codes (material
cooperation 1, diplomatic cooperation 2, aid 3, political reform 4, yield 5, meeting 6, settle 7, mediation 8/9), and
threats mirror the conflict roots. :func:`transform` maps an action code into a family, or returns None when the
family has no code for that kind of action (the coder then abstains on the complement rather than guess).
"""
from __future__ import annotations

# cooperative action -> slot shared by 02 / 03 / 10
_COOP = {
    "060": "1", "061": "11", "062": "12", "063": "13", "064": "14",
    "070": "3", "071": "31", "072": "32", "073": "33", "074": "34", "075": "3",
    "080": "5", "081": "51", "082": "52", "084": "53", "085": "54", "086": "55", "087": "56",
    "040": "6", "041": "6", "042": "6", "043": "6", "044": "6", "046": "6",
}
# conflictual action -> slot of 13 (threaten)
_CONF = {
    "160": "1", "161": "13", "162": "11", "163": "12", "164": "4", "165": "5", "166": "6",
    "170": "7", "171": "7", "172": "2", "173": "7", "174": "7", "175": "7",
    "140": "3", "141": "3", "142": "3", "143": "3", "144": "3", "145": "3",
    "150": "8", "151": "8", "152": "8", "153": "8", "154": "8",
    "180": "83", "181": "83", "182": "83", "183": "83", "184": "83", "185": "83", "186": "83",
    "190": "8", "191": "81", "192": "82", "193": "84", "194": "84", "195": "84", "196": "84",
    "200": "85", "201": "85", "202": "85", "203": "85", "204": "85",
}
_MEDIATE = {"03": "9", "02": "8", "10": "8", "12": "6"}
# 12 (reject / refuse) orders its sub-codes differently: material coop 121x, aid 122x, reform 123x, yield 124x,
# meeting 125, mediation 126, settlement 127
_REJECT = {"1": "1", "3": "2", "4": "3", "5": "4", "6": "5", "7": "7"}

# heads that make their complement a stated intention / threat / appeal / demand
INTENT_VERBS = {"promise": "03", "pledge": "03", "vow": "03", "agree": "03", "offer": "03", "commit": "03",
                "undertake": "03", "decide": "03", "resolve": "03", "volunteer": "03", "plan": "03",
                "intend": "03",
                "threaten": "13", "warn": "13",
                "urge": "02", "ask": "02", "call": "02", "appeal": "02", "request": "02", "invite": "02",
                "encourage": "02", "press": "02", "push": "02", "implore": "02", "beg": "02",
                "demand": "10", "insist": "10", "order": "10", "require": "10",
                "refuse": "12", "reject": "12", "decline": "12"}
#: nouns that make their to-infinitive a stated intention / threat / appeal / demand ("an appeal to Belgium to
#: extradite ...", "a threat to attack ..."); the verb governing the noun tells who made it
INTENT_NOUNS = {"promise": "03", "pledge": "03", "vow": "03", "offer": "03", "commitment": "03", "undertaking": "03",
                "threat": "13", "warning": "13", "ultimatum": "13",
                "appeal": "02", "call": "02", "request": "02", "plea": "02", "invitation": "02",
                "demand": "10", "order": "10"}
INTENT_ADJS = {"willing": "03", "ready": "03", "prepared": "03", "determined": "03", "committed": "03",
               "eager": "03", "keen": "03"}
FUTURE_AUX = {"will", "shall", "'ll"}
OBLIGATION_AUX = {"must", "should", "ought"}


def _slot(code: str) -> tuple[str, str] | None:
    """('coop'|'conf'|'mediate'|'intent'|'threat', slot) for an action code."""
    c3 = code[:3]
    if code[:2] in ("02", "10"):
        return "verbal", code[2:]
    if code[:2] == "03":
        return "intent", code[2:]
    if code[:2] == "13":
        return "threat", code[2:]
    if c3 == "045":
        return "mediate", ""
    if c3 == "083":
        return "coop", "4" + code[3:4]
    if code[:2] == "05":
        return "coop", "2"
    if c3 == "084":
        return "coop", "53"
    if c3 in _COOP:
        return "coop", _COOP[c3]
    if c3 in _CONF:
        return "conf", _CONF[c3]
    return None


def transform(family: str, code: str, table) -> str | None:
    """The code of ``family`` ('03', '13', '02', '10') for the action ``code``, checked against the CAMEO table
    (a 4-digit result unknown to it falls back to its 3-digit parent). None when the family has no such code."""
    s = _slot(code)
    if s is None:
        return None
    kind, slot = s
    if family in ("03", "13"):
        if kind == "verbal":
            return None
        if kind in ("conf", "threat"):
            fam = "13"
        elif kind in ("coop", "intent"):
            fam = "03"
        else:
            fam = "03"
            slot = _MEDIATE["03"]
        if family == "13" and fam == "03":
            return None  # "threatened to cooperate": no such code
    elif family == "12":
        if kind == "mediate":
            slot = "6"
        elif kind in ("coop", "intent") and slot[:1] in _REJECT:
            slot = _REJECT[slot[:1]] + slot[1:]
        elif kind in ("coop", "intent"):
            slot = "0"  # "refused to allow ...": a refusal of cooperation with no finer code is 120 Reject
        else:
            return None
        fam = "12"
    elif family in ("02", "10"):
        if kind == "mediate":
            slot = _MEDIATE[family]
        elif kind in ("intent", "verbal"):
            pass  # "urged X to agree to ...", "said Sudan must return ..." (already a demand): the same slot
        elif kind != "coop":
            return None
        fam = family
    else:
        raise ValueError(family)
    for cand in (fam + slot, fam + slot[:1], fam + "0"):
        if cand in table and len(cand) >= 3:
            return cand
    return None
