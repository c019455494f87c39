"""The ATOP 5.1 codebook in one place: coverage, censoring date, obligation names and the labels of its codes.

Every module that needs an ATOP constant imports it from here (panels, models, scenarios, replications, web).
Source: Leeds, Ritter, Mitchell and Long, *ATOP 5.1 codebook* (atop_5_1_codebook.pdf).
"""
from __future__ import annotations

import pandas as pd

#: ATOP 5.1 covers alliances formed 1815..2018 and codes every alliance still in effect on 31 Dec 2018 as censored.
FIRST_YEAR, LAST_YEAR = 1815, 2018
CENSOR_DATE = pd.Timestamp("2018-12-31")

#: The five primary obligations, in the codebook's order.
OBLIGATIONS: tuple[str, ...] = ("defense", "offense", "neutral", "nonagg", "consul")
OBLIGATION_LABELS = {"defense": "defence", "offense": "offence", "neutral": "neutrality", "nonagg": "non-aggression",
                     "consul": "consultation"}

TERM_LABELS = {
    0: "in effect on 31 Dec 2018, or censored by a member's loss of independence unrelated to the alliance",
    1: "provisions fulfilled (term completed or goals accomplished)",
    2: "violation of provisions / abrogation before scheduled termination",
    3: "members negotiated a new relationship",
}
TERMMODE_LABELS = {
    0: "in effect for this member on 31 Dec 2018",
    1: "not renewed at its scheduled termination date",
    2: "replaced by a new agreement among the members",
    3: "broken before its scheduled termination date",
    4: "a member lost political independence",
    5: "casus foederis ceased to exist (moot)",
    6: "terminated due to loss of a war",
}
TERMCAUS_LABELS = {
    0: "in effect for this member on 31 Dec 2018",
    1: "replaced by a new agreement among the members",
    2: "a member lost political independence",
    3: "the problem the alliance addressed was resolved",
    4: "policy dispute unrelated to alliance management",
    5: "policy dispute over alliance management",
    6: "military conflict among the members",
    7: "war involvement ended the alliance (unfulfilled obligations or war lost)",
    8: "violation of a provision short of war",
}
#: ATOP alliance-level provisions shown on an alliance's page: column -> (label, meaning of the codes), worded from the
#: ATOP 5.1 codebook (atop_5_1_codebook.pdf, "Alliance-level" variables). Values are as published; NA means ATOP had not
#: located the treaty text and does not know.
PROVISIONS: dict[str, tuple[str, str]] = {
    "defense": ("Defence obligation", "1 = active military support if an ally's sovereignty or territory is attacked"),
    "offense": ("Offence obligation", "1 = active military support in conditions not precipitated by an attack on an ally"),
    "neutral": ("Neutrality", "1 = not to join a conflict between an ally and a third party on the adversary's side"),
    "nonagg": ("Non-aggression", "1 = not to use force against the allies to settle disputes"),
    "consul": ("Consultation", "1 = to consult in crises that may become militarised, for policy coordination"),
    "conditio": ("Conditional obligations", "1 = some primary obligation holds only in particular circumstances"),
    "asymm": ("Asymmetric obligations", "1 = obligations differ among the members"),
    "wartime": ("Formed in wartime", "1 = a member was at war when the alliance began"),
    "pubsecr": ("Secrecy", "0 public; 1 public with secret articles; 2 entire content secret"),
    "specthrt": ("Specific threat", "0 none; 1 state(s); 2 region; 3 state(s) in a region; 4 ongoing conflict; "
                                    "5 domestic/non-state actors; 6 other alliance"),
    "milcon": ("Military contact", "0 none; 1 only in hostilities; 2 also in peacetime; 3 common defence policy"),
    "milaid": ("Military aid", "0 none; 1 general; 2 grants/loans; 3 training/technology; 4 both 2 and 3"),
    "intcom": ("Integrated command", "1 = integrated command in peacetime and wartime"),
    "base": ("Bases / troop placement", "0 none; 1 joint, on neutral territory; 2 reciprocal; 3 non-reciprocal"),
    "organ1": ("Organisation", "0 none; 1 regular meetings; 2 named organisation; 3 permanent bureaucracy"),
    "contrib": ("Contributions specified", "1 = the treaty details each ally's troops, supplies or funds"),
    "armred": ("Arms limits", "0 none; 1 limits on arms or rules of warfare; 2 coordinated increase"),
    "noothall": ("No contrary alliances", "1 = a member promises not to join alliances with contrary purposes"),
    "nomicoop": ("Non-military cooperation", "1 = provisions for cooperation on non-military issues"),
    "ecaid": ("Economic aid", "0 none; 1 general; 2 postwar recovery; 3 trade concessions (incl. MFN)"),
    "speclgth": ("Term", "0 not specified; 1 fixed period; 2 until a condition occurs; 3 indefinite"),
    "length": ("Initial term (months)", "months of the initial term when fixed (term = 1); 0 otherwise"),
    "renounce": ("Renunciation", "0 no provision; 1 any time with notice; 2 if an ally aggresses; "
                                 "3 after a set period; 4 prohibited"),
    "proren": ("Renewal", "0 not mentioned; 1 must be renewed actively; 2 renewed automatically unless notice"),
}


