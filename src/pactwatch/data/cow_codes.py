"""The Correlates of War state codes (COW State System Membership List v2016, ``cow/states2016.csv``): every code a
state has had in the system, 1816-2016 (217 codes). Case and scenario files are checked against this list, so a
mistyped code (998) is an error naming the file, not a member nobody can look up. ``tests/test_case_validation.py``
checks it against the data file.
"""
from __future__ import annotations

#: Every ``ccode`` of COW ``states2016.csv``.
COW_STATE_CODES: frozenset[int] = frozenset({
    2, 20, 31, 40, 41, 42, 51, 52, 53, 54, 55, 56, 57, 58, 60, 70, 80, 90, 91, 92, 93, 94, 95, 100, 101, 110, 115, 130,
    135, 140, 145, 150, 155, 160, 165, 200, 205, 210, 211, 212, 220, 221, 223, 225, 230, 232, 235, 240, 245, 255, 260,
    265, 267, 269, 271, 273, 275, 280, 290, 300, 305, 310, 315, 316, 317, 325, 327, 329, 331, 332, 335, 337, 338, 339,
    341, 343, 344, 345, 346, 347, 349, 350, 352, 355, 359, 360, 365, 366, 367, 368, 369, 370, 371, 372, 373, 375, 380,
    385, 390, 395, 402, 403, 404, 411, 420, 432, 433, 434, 435, 436, 437, 438, 439, 450, 451, 452, 461, 471, 475, 481,
    482, 483, 484, 490, 500, 501, 510, 511, 516, 517, 520, 522, 530, 531, 540, 541, 551, 552, 553, 560, 565, 570, 571,
    572, 580, 581, 590, 591, 600, 615, 616, 620, 625, 626, 630, 640, 645, 651, 652, 660, 663, 666, 670, 678, 679, 680,
    690, 692, 694, 696, 698, 700, 701, 702, 703, 704, 705, 710, 712, 713, 730, 731, 732, 740, 750, 760, 770, 771, 775,
    780, 781, 790, 800, 811, 812, 816, 817, 820, 830, 835, 840, 850, 860, 900, 910, 920, 935, 940, 946, 947, 950, 955,
    970, 983, 986, 987, 990
})


def is_cow_state(code: int) -> bool:
    """True if ``code`` is a COW state code (any period)."""
    return code in COW_STATE_CODES
