"""Monte Carlo survival along covariate paths, over parameter uncertainty and shock timing.

For draw b:

1. coefficients beta_b ~ Normal(beta_hat, V), V the robust variance clustered by alliance;
2. the Breslow baseline at beta_b, recomputed on the training rows: dH0_j = d*_j / sum_{i at risk at t_j}
   exp((x_i - c)'beta_b), where d*_j ~ Poisson(d_j) carries the baseline's own sampling error (its variance d_j/S0_j^2
   is the first term of the Tsiatis variance of the cumulative hazard); only event times inside the forecast window
   (a0, a0 + horizon] are needed, because the forecast is conditional on survival to the as-of age a0;
3. a shock-timing draw, i.e. a covariate path z_b(t) (piecewise constant by calendar year);
4. S_b(a0 + t | a0) = exp(- sum_k exp((z_bk - c)'beta_b) [H0_b(min(a0 + t, e_k)) - H0_b(s_k)]).

The point forecast uses beta_hat and the estimated baseline, averaged over the shock-timing draws (the survival
probability when the timing is uncertain is the mixture over timings). Intervals are quantiles of S_b over the joint
draws (parameters, baseline, timing).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from pactwatch.errors import PactwatchError


class Engine:
    def __init__(self, fm, a0: float, horizon: float, step: float = 1 / 12):
        if a0 + horizon > fm.max_time + 1e-9:
            raise PactwatchError(f"horizon {horizon:g} years from age {a0:.2f} goes beyond the oldest alliance age the "
                                 f"model has seen ({fm.max_time:.1f} years): the Cox model does not extrapolate")
        self.fm = fm
        self.a0 = float(a0)
        self.horizon = float(horizon)
        ev = fm.event.astype(bool)
        u_all, d_all = np.unique(fm.stop[ev], return_counts=True)
        w = (u_all > a0) & (u_all <= a0 + horizon + 1e-12)
        self.u = u_all[w]
        self.d = d_all[w].astype(float)
        # sparse at-risk matrix (m_window x n): start < u <= stop
        rows, cols = [], []
        if len(self.u):
            lo = np.searchsorted(self.u, fm.start, side="right")  # first u > start
            hi = np.searchsorted(self.u, fm.stop, side="right")   # first u > stop
            n_per = np.maximum(hi - lo, 0)
            keep = n_per > 0
            idx = np.repeat(np.flatnonzero(keep), n_per[keep])
            off = np.arange(len(idx)) - np.repeat(np.cumsum(n_per[keep]) - n_per[keep], n_per[keep])
            rows = lo[idx] + off
            cols = idx
            self.rows_used = np.unique(cols)
        else:
            self.rows_used = np.array([], dtype=int)
        self.A = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(self.u), len(fm.start)))
        self.A = self.A[:, self.rows_used]
        self.Xc = fm.X[self.rows_used] - fm.center
        g = np.round(np.arange(0, horizon + 1e-9, step), 10)
        if not np.isclose(g[-1], horizon):
            g = np.append(g, horizon)
        self.grid = g  # years from as-of

    # ---------------------------------------------------------------------------------------------- baseline
    def baseline(self, betas: np.ndarray, rng: np.random.Generator | None = None, chunk: int = 256) -> np.ndarray:
        """Cumulative baseline hazard from a0 at each window event time, per draw: (m x B)."""
        B = betas.shape[0]
        m = len(self.u)
        out = np.zeros((m, B))
        if m == 0:
            return out
        for s in range(0, B, chunk):
            bt = betas[s:s + chunk]
            d = self.d[:, None] if rng is None else rng.poisson(self.d[:, None], size=(m, bt.shape[0])).astype(float)
            out[:, s:s + chunk] = _cum_baseline(self.Xc, self.A, bt, d)
        return out

    def kernel(self) -> "SurvivalKernel":
        """What :meth:`survival` reads of the engine (small: event times, grid, centre), for workers."""
        return SurvivalKernel(self.u, self.a0, self.grid, self.fm.center)

    # ---------------------------------------------------------------------------------------------- survival
    def survival(self, betas: np.ndarray, cumH: np.ndarray, Z: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        """S(a0 + grid | a0) per draw: (G x B). ``Z``: (B x K x p) path covariates for segments with age ``bounds``
        (K + 1 values, bounds[0] = a0, bounds[-1] = a0 + horizon)."""
        return np.exp(-self.cumulative_hazard(betas, cumH, Z, bounds))

    def cumulative_hazard(self, betas: np.ndarray, cumH: np.ndarray, Z: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        """H(a0 + grid | a0) = the cumulative hazard from the as-of age along the path, per draw: (G x B)
        (:meth:`survival` is exp(−H)); the same arguments."""
        return self.kernel().cumulative_hazard(betas, cumH, Z, bounds)


def _cum_baseline(Xc, A, bt: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Breslow increments summed from a0, one block of draws: cumsum(d / S0) with S0 = A exp(Xc bt') (m x b)."""
    r = np.exp(Xc @ bt.T)  # n_used x b
    S0 = np.asarray(A @ r)  # m x b
    return np.cumsum(d / S0, axis=0)


class SurvivalKernel:
    """The deterministic survival computation of :class:`Engine` (each draw's column depends on that draw only)."""

    def __init__(self, u, a0, grid, center):
        self.u, self.a0, self.grid, self.center = u, a0, grid, center

    def survival(self, betas: np.ndarray, cumH: np.ndarray, Z: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        return np.exp(-self.cumulative_hazard(betas, cumH, Z, bounds))

    def cumulative_hazard(self, betas: np.ndarray, cumH: np.ndarray, Z: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        B = betas.shape[0]
        ages = self.a0 + self.grid
        P = np.union1d(ages, bounds)
        idx = np.searchsorted(self.u, P, side="right") - 1  # last event time <= P
        H0 = np.where(idx[:, None] >= 0, cumH[np.clip(idx, 0, None)] if len(self.u) else 0.0, 0.0)  # |P| x B
        if H0.ndim == 1:
            H0 = np.broadcast_to(H0[:, None], (len(P), B))
        dH0 = np.diff(H0, axis=0)  # intervals (P_i, P_{i+1}]
        seg = np.clip(np.searchsorted(bounds, P[:-1], side="right") - 1, 0, len(bounds) - 2)
        lin = np.einsum("bkp,bp->kb", Z - self.center, betas)
        rel = np.exp(lin)  # K x B
        cum = np.vstack([np.zeros((1, B)), np.cumsum(dH0 * rel[seg], axis=0)])
        pos = np.searchsorted(P, ages)
        return cum[pos]


def cumulative_incidence(H: np.ndarray) -> np.ndarray:
    """Cumulative incidence of each cause from cause-specific cumulative hazards on a grid.

    ``H``: (C x G x ...) cumulative hazard of cause c at grid point g (from the as-of age: H[:, 0] = 0). With
    dH_c,i = H_c(t_i) − H_c(t_{i−1}) and dH_i = sum_c dH_c,i, the all-cause survival is S(t_n) = exp(−sum_{i<=n} dH_i)
    and the incidence of cause c is the discrete Aalen–Johansen form

        F_c(t_n) = sum_{i<=n} S(t_{i−1}) × (1 − exp(−dH_i)) × dH_c,i / dH_i,

    i.e. the probability of ending within step i (given alive at its start) split between the causes in proportion to
    their hazards within the step (a step with no hazard adds nothing). Summed over causes the steps telescope:
    sum_c F_c(t_n) = 1 − S(t_n) exactly, each F_c is non-decreasing and in [0, 1]. Returns an array shaped like ``H``."""
    H = np.asarray(H, float)
    dH = np.diff(H, axis=1, prepend=np.zeros_like(H[:, :1]))  # H from the as-of age: H[:, 0] = 0 in practice
    tot = dH.sum(axis=0)
    cum = np.cumsum(tot, axis=0)
    S_prev = np.exp(-(cum - tot))  # survival at the start of each step
    p_end = S_prev * -np.expm1(-tot)  # S(t_{i-1}) - S(t_i)
    share = np.divide(dH, tot, out=np.zeros_like(dH), where=tot > 0)
    return np.cumsum(p_end[None] * share, axis=1)


# ------------------------------------------------------------------------------------- the draws on a Dask cluster
#: draws per Dask task (a multiple of :data:`BASELINE_BLOCK`, so the tasks compute the very blocks of the in-process
#: loop); at 20,000 draws: 8 tasks
MC_CHUNK = 2560
#: the block of draws of :meth:`Engine.baseline` (its ``chunk``)
BASELINE_BLOCK = 256


def _baseline_task(Xc, A, betas: np.ndarray, ds: list) -> np.ndarray:
    """One task: the baseline of consecutive blocks of draws (``ds``: each block's Poisson event counts)."""
    out, s = [], 0
    for d in ds:
        bt = betas[s:s + d.shape[1]]
        out.append(_cum_baseline(Xc, A, bt, d))
        s += d.shape[1]
    return np.hstack(out)


def _survival_task(kernel: SurvivalKernel, bounds, Zu, betas, cumH, inv) -> np.ndarray:
    return kernel.survival(betas, cumH, _unpacked(Zu)[inv], bounds)


def _packed(a: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    """``a`` to send with its memory layout: pickling makes a non-contiguous array C-ordered, and numpy's
    ``einsum`` sums in an order that follows the layout, so the last digit could differ on a worker. Sent as the
    C-ordered copy of the axes in memory order, with that order (:func:`_unpacked` restores the same strides)."""
    order = tuple(int(i) for i in np.argsort([-abs(s) for s in a.strides], kind="stable"))
    return np.ascontiguousarray(a.transpose(order)), order


def _unpacked(packed: tuple[np.ndarray, tuple[int, ...]]) -> np.ndarray:
    arr, order = packed
    return arr.transpose(np.argsort(order))


def _spans(B: int, chunk: int) -> list[tuple[int, int]]:
    return [(s, min(B, s + chunk)) for s in range(0, B, chunk)]


def baseline_draws(eng: Engine, betas: np.ndarray, rng: np.random.Generator, *, engine=None,
                   chunk: int | None = None) -> np.ndarray:
    """``eng.baseline(betas, rng)``, the same numbers, with the deterministic part on ``engine``
    (a :class:`pactwatch.news.engine.Engine`; None or in-process: exactly ``eng.baseline``). On Dask every random
    number is still drawn here, from ``rng`` in the in-process order (one Poisson block of
    :data:`BASELINE_BLOCK` draws after another); the workers get blocks of ``chunk`` draws (rounded up to whole
    blocks; default :data:`MC_CHUNK`) with their event counts and return their cumulative baselines, reassembled in
    order."""
    chunk = chunk or MC_CHUNK
    if engine is None or not engine.is_dask or not len(eng.u) or betas.shape[0] <= BASELINE_BLOCK:
        return eng.baseline(betas, rng, chunk=BASELINE_BLOCK)
    from pactwatch.news.engine import run_tasks

    B, m = betas.shape[0], len(eng.u)
    blocks = [rng.poisson(eng.d[:, None], size=(m, min(B, s + BASELINE_BLOCK) - s)).astype(float)
              for s in range(0, B, BASELINE_BLOCK)]
    per = max(1, -(-chunk // BASELINE_BLOCK))  # blocks per task
    args = [(betas[k * BASELINE_BLOCK:(k + per) * BASELINE_BLOCK], blocks[k:k + per]) for k in range(0, len(blocks), per)]
    return np.hstack(run_tasks(_baseline_task, args, engine, shared=(eng.Xc, eng.A)))


def survival_draws(eng: Engine, betas: np.ndarray, cumH: np.ndarray, Zu: np.ndarray, inv: np.ndarray,
                   bounds: np.ndarray, *, engine=None, chunk: int | None = None) -> np.ndarray:
    """``eng.survival(betas, cumH, Zu[inv], bounds)`` (draw b on the distinct path ``inv[b]``), the same numbers, with
    the draws in chunks of ``chunk`` on ``engine`` (None or in-process: exactly ``eng.survival``); nothing random
    here. Columns come back in draw order. ``chunk`` default :data:`MC_CHUNK`."""
    chunk = chunk or MC_CHUNK
    if engine is None or not engine.is_dask or betas.shape[0] <= chunk:
        return eng.survival(betas, cumH, Zu[inv], bounds)
    from pactwatch.news.engine import run_tasks

    spans = _spans(betas.shape[0], chunk)
    shared = (eng.kernel(), bounds, _packed(Zu))

    def run(draws):
        args = [(b, h, inv[a:z]) for (b, h), (a, z) in zip(draws, spans)]
        return np.hstack(run_tasks(_survival_task, args, engine, shared=shared))

    draws = _on_cluster(engine, betas, cumH, spans)
    try:
        return run(draws)
    except Exception:
        if engine.memo is None or "mc-draws" not in engine.memo:
            raise
        # the draws kept on the cluster were lost with a worker (Dask cannot recompute data it was sent): send them
        # with the tasks this time, and keep them anew for the next scenario
        engine.memo.pop("mc-draws")
        return run([(betas[a:z], cumH[:, a:z]) for a, z in spans])


def _on_cluster(engine, betas: np.ndarray, cumH: np.ndarray, spans) -> list:
    """Each chunk's (betas, cumH), sent to the cluster once per forecast and reused by every scenario's tasks
    (in a :func:`pactwatch.news.engine.session`: as futures kept in ``engine.memo``, which also holds the arrays,
    so their ids cannot be reused by other arrays while memoised); the arrays themselves without a session."""
    chunks = [(betas[a:z], cumH[:, a:z]) for a, z in spans]
    if engine.memo is None or engine.client is None:
        return chunks
    key = ("mc-draws", id(betas), id(cumH), tuple(spans))
    held = engine.memo.get("mc-draws")
    if held is None or held[0] != key:
        futures = engine.client.scatter([x for c in chunks for x in c], hash=False)
        engine.memo["mc-draws"] = held = (key, betas, cumH, list(zip(futures[::2], futures[1::2])))
    return held[3]


def draw_betas(fm, n: int, rng: np.random.Generator) -> np.ndarray:
    """Coefficient draws from the estimate's sampling distribution N(beta_hat, V) (V: robust, clustered)."""
    V = (fm.variance + fm.variance.T) / 2
    w, Q = np.linalg.eigh(V)
    L = Q * np.sqrt(np.clip(w, 0, None))
    return fm.coef + rng.standard_normal((n, fm.p)) @ L.T


def median_time(grid: np.ndarray, S: np.ndarray) -> np.ndarray:
    """First time each curve (columns of S, G x B) falls to 0.5 (linear interpolation between grid points);
    inf when it stays above 0.5 within the grid."""
    below = S <= 0.5
    first = np.where(below.any(0), below.argmax(0), -1)
    out = np.full(S.shape[1], np.inf)
    for b in np.flatnonzero(first >= 0):
        i = first[b]
        if i == 0:
            out[b] = grid[0]
            continue
        s0, s1 = S[i - 1, b], S[i, b]
        out[b] = grid[i - 1] + (grid[i] - grid[i - 1]) * ((s0 - 0.5) / (s0 - s1) if s0 != s1 else 1.0)
    return out
