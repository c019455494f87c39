"""Covariate paths of a scenario and their Monte Carlo weights: shared by the forecast (:mod:`.forecast`,
``run_scenarios``) and the landmark back-test (:mod:`.landmark`, ``predict_alliance_at``), so both predict the same
way. Each shock's timing is drawn from its own random stream keyed by the seed and the shock as written; one path per
distinct (timing tuple, coding variant)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import shocks as SH
from .cases import ResolvedCase
from .codings import CodingDraws

#: The forecast's default number of Monte Carlo draws (the back-test predicts the status quo with as many).
DEFAULT_SIMS = 1000


def _shock_rng(seed: int, sh, seen: dict) -> np.random.Generator:
    """The random stream of one shock's timing: keyed by the seed and the shock's content (and its occurrence within
    the scenario), so the same shock — e.g. the status quo's yearly chance of the war ending, which every scenario
    carries — gets the same timing draws in every scenario (common random numbers for the differences)."""
    import hashlib
    import json

    h = hashlib.sha256(json.dumps(sh.model_dump(mode="json"), sort_keys=True).encode()).digest()
    key = (int.from_bytes(h[:4], "little"), int.from_bytes(h[4:8], "little"))
    k = seen[key] = seen.get(key, -1) + 1
    return np.random.default_rng([seed, *key, k])


def timing_draws(shocks, rng, n, y0, notes, name, *, seed: int | None = None, first_year: float = 1.0, keys=None):
    """Calendar years of each shock (n x shocks). ``seed``: draw each shock from its own stream (:func:`_shock_rng`)
    instead of ``rng``; ``first_year``: the part of the as-of year still ahead (geometric timings); ``keys``: the
    shocks as written (before :func:`.war_timing.resolve_timings`) that key the streams (default ``shocks``)."""
    cols, seen = [], {}
    for i, sh in enumerate(shocks):
        r = rng if seed is None else _shock_rng(seed, sh if keys is None else keys[i], seen)
        y = SH.draw_years(sh.timing, r, n, y0, first_year=first_year)
        early = (y < y0)
        if early.any():
            notes.append(f"{name}: {int(early.sum())} of {n} timing draws of '{sh.kind}' fell before the as-of year "
                         f"{y0} and were moved to it")
            y = np.where(early, y0, y)
        cols.append(y)
    return np.stack(cols, axis=1) if cols else np.zeros((n, 0), dtype=np.int64)


def scenario_paths(rc: ResolvedCase, scenarios: dict, name: str, si: int, grid, covs: list, *, as_of: pd.Timestamp,
                   n_sims: int, seed: int, wars=None, codings: CodingDraws | None = None, path_inputs=None) -> dict:
    """One scenario's covariate paths and their Monte Carlo weights (shared by :func:`run_scenarios` and the landmark
    back-test, so both predict the same way): the scenario's shocks (:func:`.shocks.scenario_shocks`; a
    ``p_per_year: from-data`` timing resolved on ``as_of`` by :func:`.war_timing.resolve_timings` from ``wars``, a
    :class:`.war_timing.WarData`), ``n_sims`` timing draws (each shock's stream keyed by ``seed`` and the shock as
    written), one path per distinct (timing tuple, coding variant) (``codings``: :func:`.codings.coding_draws`; None =
    the case as coded; the member pick of an 'any' shock is drawn once per timing tuple, the same for every coding
    variant); ``path_inputs``: (lag0, held) of :func:`.training.path_inputs`. ``si``: the scenario's position in the
    run (the stream of 'any' member picks). The point mixture weighs timings by their shares of the draws and codings
    by each reading's probability (:attr:`.codings.CodingDraws.exact`; by their shares of the coding draws when there
    are too many combinations). Returns {shocks, bases, notes, T, uniqT, invT, inv, pair, pb (the path builder), Zd
    (the draws' distinct paths), Zu / weights (the point mixture's paths and weights)}."""
    from .war_timing import resolve_timings

    if codings is None:
        codings = CodingDraws.none(rc.formation, rc.states, n_sims)
    V = len(codings.variants)
    invC = np.asarray(codings.index, dtype=np.int64)
    written = SH.scenario_shocks(name, scenarios)
    SH.check_scenario(name, written, covs)
    shocks, keys, bases = resolve_timings(written, rc, pd.Timestamp(as_of), wars)
    notes = []
    srng = np.random.default_rng([seed, si + 1])
    T = timing_draws(shocks, srng, n_sims, grid.years[0], notes, name, seed=seed,
                      first_year=float(grid.bounds[1] - grid.bounds[0]), keys=keys)
    uniqT, invT = np.unique(T, axis=0, return_inverse=True) if T.shape[1] else (np.zeros((1, 0), int), np.zeros(n_sims, int))
    invT = np.asarray(invT).ravel()
    pair, inv = np.unique(invT * V + invC, return_inverse=True)
    inv = np.asarray(inv).ravel()
    pb = PathBuilder(grid, codings, shocks, uniqT, covs, seed, si, path_inputs)
    Zd = np.stack([pb.Z(*divmod(int(p), V)) for p in pair])  # the draws' distinct paths: pairs x K x p
    wT = np.bincount(invT, minlength=len(uniqT)) / n_sims
    if codings.exact is not None:
        pts_ = [(jt, v, wT[jt] * pv) for jt in range(len(uniqT)) for v, pv in codings.exact if wT[jt] * pv > 0]
        Zu = np.stack([pb.Z(jt, v) for jt, v, _ in pts_])
        weights = np.array([w for _, _, w in pts_])
    else:
        Zu, weights = Zd, np.bincount(inv, minlength=len(pair)) / n_sims
    return {"shocks": shocks, "bases": bases, "notes": notes, "T": T, "uniqT": uniqT, "invT": invT, "inv": inv,
            "pair": pair, "pb": pb, "Zd": Zd, "Zu": Zu, "weights": weights}


class PathBuilder:
    """Covariate paths per (timing tuple ``jt``, coding variant ``jc``), cached: :meth:`Z` the (K x p) covariate
    matrix, :meth:`df` the full path table. A variant whose member states are the coded ones differs only in the
    formation covariates, the constant part of the path: its matrix is the coded one with those columns replaced and
    the derived columns (:data:`.shocks.DERIVED`) recomputed — checked once per variant against the full build, which
    is used whenever they differ."""

    def __init__(self, grid, codings: CodingDraws, shocks, uniqT, covs, seed: int, si: int, path_inputs=None):
        self.grid, self.codings, self.shocks, self.uniqT, self.covs = grid, codings, shocks, uniqT, list(covs)
        self.lag0, self.held = path_inputs if path_inputs is not None else (None, None)  # training.path_inputs
        self.seed, self.si = seed, si
        v0 = codings.variants[0]
        self.fast = {jc: v.states == v0.states for jc, v in enumerate(codings.variants)}
        self._df: dict = {}
        self._Z: dict = {}

    def df(self, jt: int, jc: int) -> pd.DataFrame:
        key = (jt, jc)
        if key not in self._df:
            v = self.codings.variants[jc]
            self._df[key] = SH.build_path(self.grid, v.formation, v.states, self.shocks,
                                          tuple(int(x) for x in self.uniqT[jt]), self.covs,
                                          rng=np.random.default_rng([self.seed, self.si + 1, jt]),
                                          lag0=self.lag0, held=self.held)
        return self._df[key]

    def _quick(self, jt: int, jc: int) -> np.ndarray:
        Z = self.Z(jt, 0).copy()
        col = {c: i for i, c in enumerate(self.covs)}
        for k, val in self.codings.variants[jc].formation.items():
            if k in col:
                Z[:, col[k]] = float(val)
        derived = [(col[n], fn) for n, fn in SH.DERIVED.items() if n in col]
        for row in Z:
            r = dict(zip(self.covs, row))
            for i, fn in derived:
                row[i] = float(fn(r))
        return Z

    def Z(self, jt: int, jc: int) -> np.ndarray:
        key = (jt, jc)
        if key not in self._Z:
            if jc == 0 or not self.fast[jc]:
                Z = self.df(jt, jc)[self.covs].to_numpy(float)
            else:
                Z = self._quick(jt, jc)
                if self.fast[jc] is True:  # first use of this variant: check against the full build
                    ref = self.df(jt, jc)[self.covs].to_numpy(float)
                    if not np.allclose(Z, ref, rtol=0, atol=1e-12):
                        self.fast[jc], Z = False, ref
                    else:
                        self.fast[jc] = "checked"
            self._Z[key] = Z
        return self._Z[key]


def content_sha256(obj) -> str:
    """sha256 of a pydantic model's canonical JSON (what a file says, independent of its layout and path)."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(obj.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
