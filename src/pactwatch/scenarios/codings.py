"""Coding uncertainty: the case's uncertain values, their alternatives, and how the Monte Carlo samples them.

A case value marked ``uncertain: true`` may list ``alternatives`` (:class:`.schema.Alternative`): other readings with
weights; the coded value keeps 1 − the sum of the weights. :func:`uncertain_codings` lists every uncertain
:class:`.schema.Sourced` value of a case (dotted path, coded value, alternatives).

Sampling (:func:`draw_codings`): each Monte Carlo draw takes one reading per uncertain value, independently across
values, with probability equal to its weight. The draws come from a random stream of their own (seed sequence
``[seed, 0, CODING_STREAM]``), so the coefficient, baseline and shock-timing draws of a run do not change when codings
are added, and with every alternative weight 0 (or none given) the forecast is exactly the one without them.

Variants (:func:`coding_draws`): each distinct combination of readings is a copy of the case with those values
(:func:`case_with`, validated like the file), resolved like the case itself; combinations that give the same model
covariates and member states are one variant. Variant 0 is always the case as coded. Each variant's probability
(the product of the weights of its readings, summed over the combinations it stands for) is enumerated for the point
forecast when there are at most :data:`MAX_EXACT` combinations (``exact``). The forecast builds one
covariate path per distinct (shock timing, variant) pair (:func:`pactwatch.scenarios.forecast.run_scenarios`).
"""
from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from pydantic import BaseModel

from .schema import Case, Sourced

#: Most combinations of readings whose probabilities are enumerated for the point forecast (beyond: draw shares).
MAX_EXACT = 1024
#: Third element of the seed sequence of the coding draws (a stream no other draw of a run uses).
CODING_STREAM = 0xC0D1


@dataclass(frozen=True)
class Coding:
    """One uncertain value of a case: where it is, what it is coded as, and its alternatives."""
    path: tuple  # keys from the case down to the Sourced value, e.g. ("obligations", "nonagg"), ("formation", "polity2", 365)
    value: Any
    source: str
    alternatives: tuple = ()  # of schema.Alternative

    @property
    def name(self) -> str:
        return ".".join(str(p) for p in self.path)

    @property
    def values(self) -> list:
        """The coded value, then each alternative."""
        return [self.value, *(a.value for a in self.alternatives)]

    @property
    def weights(self) -> np.ndarray:
        """The probability of each reading (coded first): 1 − the alternatives' sum, then each alternative's weight."""
        w = np.array([a.weight for a in self.alternatives], float)
        return np.concatenate([[max(0.0, 1.0 - float(w.sum()))], w])


def uncertain_codings(case: Case) -> list[Coding]:
    """Every :class:`.schema.Sourced` value of ``case`` marked ``uncertain: true``, in the order of the file's schema
    (with or without alternatives)."""
    out: list[Coding] = []

    def walk(obj, path):
        if isinstance(obj, Sourced):
            if obj.uncertain:
                out.append(Coding(tuple(path), obj.value, obj.source, tuple(obj.alternatives)))
            return
        if isinstance(obj, BaseModel):
            for k in type(obj).model_fields:
                walk(getattr(obj, k), [*path, k])
        elif isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, [*path, k])
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                walk(v, [*path, i])

    walk(case, [])
    return out


def case_with(case: Case, choice: dict) -> Case:
    """A copy of ``case`` with the values at the given paths (``{path tuple: value}``) replaced, validated again. A
    replaced value keeps ``uncertain`` and drops its alternatives (the reading is now fixed)."""
    if not choice:
        return case
    data = case.model_dump(mode="python")
    for path, value in choice.items():
        node = data
        for k in path:
            node = node[k]
        node["value"] = value
        node["alternatives"] = []
    return Case.model_validate(data)


def draw_codings(codings: list[Coding], n: int, seed: int) -> np.ndarray:
    """(n x len(codings)) indices into each coding's :attr:`Coding.values` (0 = as coded), one row per Monte Carlo
    draw, sampled independently per coding with its :attr:`Coding.weights`, from the stream of :data:`CODING_STREAM`."""
    out = np.zeros((n, len(codings)), dtype=np.int64)
    if not codings:
        return out
    rng = np.random.default_rng([int(seed), 0, CODING_STREAM])
    for j, c in enumerate(codings):
        w = c.weights
        out[:, j] = rng.choice(len(w), size=n, p=w / w.sum())
    return out


@dataclass
class Variant:
    """A reading of the case: its formation covariates and member states (as :func:`.cases.resolve` gives them)."""
    formation: dict
    states: list
    choice: dict = field(default_factory=dict)  # {coding name: index into Coding.values} that differ from the coded


@dataclass
class CodingDraws:
    """What the Monte Carlo needs about coding uncertainty: the variants (0 = as coded), the variant of each draw, and
    for each alternative of each coding the variant with only that value changed (for the sensitivity)."""
    codings: list  # Coding with at least one alternative (the sampled ones)
    variants: list  # Variant
    index: np.ndarray  # (n,) variant of each draw
    singles: list = field(default_factory=list)  # [{"coding": Coding, "k": alternative number (1..), "variant": int}]
    frequencies: dict = field(default_factory=dict)  # coding name -> share of draws per reading (coded first)
    #: [(variant, probability)] from the weights (product over codings, every combination), for the point forecast;
    #: None when there are more than MAX_EXACT combinations (the point then weights the variants by their draw shares)
    exact: list | None = None

    @classmethod
    def none(cls, formation: dict, states: list, n: int) -> "CodingDraws":
        """No coding uncertainty: every draw uses the case as coded."""
        return cls([], [Variant(formation, states)], np.zeros(n, dtype=np.int64), exact=[(0, 1.0)])


def _key(formation: dict, states: list) -> str:
    return json.dumps({"f": {k: float(v) for k, v in sorted(formation.items())},
                       "s": [[s.ccode, s.major, s.at_war, sorted(s.rivals), s.log_cinc_ratio, s.polity2_change,
                              s.leader_change, s.new_outside_alliance] for s in states]}, sort_keys=True, default=str)


def coding_draws(case: Case, resolved, resolve_fn: Callable[[Case], Any], n: int, seed: int) -> CodingDraws:
    """Sample the case's uncertain codings for ``n`` draws and resolve each distinct combination
    (``resolve_fn(case) -> ResolvedCase``; ``resolved`` = the case as coded, already resolved)."""
    codings = [c for c in uncertain_codings(case) if c.alternatives]
    base = CodingDraws.none(resolved.formation, resolved.states, n)
    if not codings:
        return base
    C = draw_codings(codings, n, seed)
    variants = list(base.variants)
    keys = {_key(resolved.formation, resolved.states): 0}

    def variant_of(row) -> int:
        choice = {c.path: c.values[i] for c, i in zip(codings, row) if i}
        if not choice:
            return 0
        rc = resolve_fn(case_with(case, choice))
        k = _key(rc.formation, rc.states)
        if k not in keys:
            keys[k] = len(variants)
            variants.append(Variant(rc.formation, rc.states, {c.name: int(i) for c, i in zip(codings, row) if i}))
        return keys[k]

    uniq, inv = np.unique(C, axis=0, return_inverse=True)
    vid = np.array([variant_of(tuple(int(v) for v in u)) for u in uniq], dtype=np.int64)
    index = vid[np.asarray(inv).ravel()]
    singles = []
    for j, c in enumerate(codings):
        for k in range(1, len(c.values)):
            row = [0] * len(codings)
            row[j] = k
            singles.append({"coding": c, "k": k, "variant": variant_of(row)})
    freq = {c.name: (np.bincount(C[:, j], minlength=len(c.values)) / n).tolist() for j, c in enumerate(codings)}
    exact = None
    if math.prod(len(c.values) for c in codings) <= MAX_EXACT:
        pv: dict = {}
        for row in itertools.product(*(range(len(c.values)) for c in codings)):
            p = math.prod(float(c.weights[i]) for c, i in zip(codings, row))
            if p > 0:
                v = variant_of(row)
                pv[v] = pv.get(v, 0.0) + p
        exact = sorted(pv.items())
    return CodingDraws(codings, variants, index, singles, freq, exact)
