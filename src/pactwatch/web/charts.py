"""Charts as inline SVG, drawn on the server: no JavaScript library, nothing fetched, readable with scripts off.

Each chart has a <title> and <desc> for screen readers and a <title> on every point (a hover tooltip in browsers).
Colours are the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies), lines also differ by dash.
"""
from __future__ import annotations

from html import escape

from markupsafe import Markup

from pactwatch.reports import present as P

PALETTE = ["#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7f7f7f"]
DASHES = ["", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 4", "12 2 2 2"]


def _f(x: float) -> str:
    return f"{x:.1f}"


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] with about n steps of 1, 2, 2.5 or 5 times a power of ten."""
    import math

    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw - 1e-12)
    k0 = math.ceil(lo / step - 1e-9)
    return [round(k * step, 10) for k in range(k0, int(math.floor(hi / step + 1e-9)) + 1)]


def survival_svg(scenarios: list[dict], title: str = "Survival probability by scenario", width: int = 640,
                 height: int = 360, max_bands: int = 2) -> Markup:
    """Step curves S(t) with shaded bands per scenario (the forecast result's ``scenarios``: ``curve`` {t, point, lower,
    upper}); x in years, y in [0, 1]. With more than ``max_bands`` scenarios only the status quo's band is drawn (the
    table gives every interval), so the bands do not hide each other. The legend is one labelled line per scenario."""
    curves = [(i, s) for i, s in enumerate(scenarios) if s.get("curve")]
    if not curves:
        return Markup("")
    ml, mr, mt, mb = 56, 16, 16, 44
    W, H = width - ml - mr, height - mt - mb
    legend_rows = len(curves)
    height += 8 + 18 * legend_rows  # legend below the plot, one row per scenario
    banded = {s["name"] for _, s in curves} if len(curves) <= max_bands else {"status-quo"}
    tmax = max(float(max(s["curve"]["t"])) for _, s in curves) or 1.0
    X = lambda t: ml + W * float(t) / tmax  # noqa: E731
    Y = lambda p: mt + H * (1.0 - max(0.0, min(1.0, float(p))))  # noqa: E731
    desc = "; ".join(f"{s.get('label') or s['name']}: {P.pct(s['curve']['point'][-1])} still in force after "
                     f"{s['curve']['t'][-1]:g} years" for _, s in curves)
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" aria-labelledby="svt svd" '
             f'xmlns="http://www.w3.org/2000/svg"><title id="svt">{escape(title)}</title><desc id="svd">{escape(desc)}</desc>']
    for v in _ticks(0, 1, 5):
        parts.append(f'<line x1="{ml}" x2="{ml + W}" y1="{_f(Y(v))}" y2="{_f(Y(v))}" stroke="#ddd"/>'
                     f'<text x="{ml - 6}" y="{_f(Y(v) + 4)}" text-anchor="end" font-size="12">{v:g}</text>')
    for v in _ticks(0, tmax, 6):
        parts.append(f'<line x1="{_f(X(v))}" x2="{_f(X(v))}" y1="{mt + H}" y2="{mt + H + 4}" stroke="#333"/>'
                     f'<text x="{_f(X(v))}" y="{mt + H + 18}" text-anchor="middle" font-size="12">{v:g}</text>')
    parts.append(f'<line x1="{ml}" x2="{ml}" y1="{mt}" y2="{mt + H}" stroke="#333"/>'
                 f'<line x1="{ml}" x2="{ml + W}" y1="{mt + H}" y2="{mt + H}" stroke="#333"/>'
                 f'<text x="{ml + W / 2}" y="{mt + H + 36}" text-anchor="middle" font-size="13">years from the as-of date</text>'
                 f'<text transform="translate(14 {mt + H / 2}) rotate(-90)" text-anchor="middle" font-size="13">'
                 f'P(alliance still in force)</text>')
    for i, s in curves:
        c = s["curve"]
        col = PALETTE[i % len(PALETTE)]
        t = [float(x) for x in c["t"]]
        if c.get("lower") and c.get("upper") and s["name"] in banded:
            top = " ".join(f"{_f(X(a))},{_f(Y(b))}" for a, b in zip(t, c["upper"]) if b is not None)
            bot = " ".join(f"{_f(X(a))},{_f(Y(b))}" for a, b in reversed(list(zip(t, c["lower"]))) if b is not None)
            parts.append(f'<polygon class="band" data-scenario="{escape(s["name"])}" points="{top} {bot}" '
                         f'fill="{col}" fill-opacity="0.15" stroke="none"/>')
        pts = []
        for k, (a, b) in enumerate(zip(t, c["point"])):
            if b is None:
                continue
            if k and pts:
                pts.append(f"{_f(X(a))},{pts[-1].split(',')[1]}")  # step: horizontal, then vertical
            pts.append(f"{_f(X(a))},{_f(Y(b))}")
        dash = f' stroke-dasharray="{DASHES[i % len(DASHES)]}"' if DASHES[i % len(DASHES)] else ""
        parts.append(f'<polyline class="curve" data-scenario="{escape(s["name"])}" points="{" ".join(pts)}" '
                     f'fill="none" stroke="{col}" stroke-width="2.5"{dash}><title>{escape(str(s.get("label") or s["name"]))}</title></polyline>')
    # legend
    for j, (i, s) in enumerate(curves):
        x = ml
        y = mt + H + 44 + 18 * j
        col = PALETTE[i % len(PALETTE)]
        dash = f' stroke-dasharray="{DASHES[i % len(DASHES)]}"' if DASHES[i % len(DASHES)] else ""
        parts.append(f'<line x1="{_f(x)}" x2="{_f(x + 30)}" y1="{y}" y2="{y}" stroke="{col}" stroke-width="2.5"{dash}/>'
                     f'<text x="{_f(x + 36)}" y="{y + 4}" font-size="12">{escape(str(s.get("label") or s["name"]))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bars_svg(items: list[dict], title: str, label_key: str = "label", value_key: str = "delta_s5",
             width: int = 640) -> Markup:
    """Horizontal bars around zero (negative left, positive right), one per item, largest magnitude first; values are
    differences of probabilities, written as percentage points (:func:`pactwatch.reports.present.pts`)."""
    items = sorted([d for d in items if isinstance(d.get(value_key), (int, float))], key=lambda d: -abs(d[value_key]))
    if not items:
        return Markup("")
    row, ml, mr, mt = 22, 270, 64, 8
    height = mt + row * len(items) + 28
    W = width - ml - mr
    vmax = max(abs(d[value_key]) for d in items) or 1.0
    x0 = ml + W / 2
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for k, d in enumerate(items):
        v = float(d[value_key])
        y = mt + k * row
        w = (W / 2) * abs(v) / vmax
        x = x0 if v >= 0 else x0 - w
        col = PALETTE[2] if v < 0 else PALETTE[1]
        lab = str(d[label_key])
        short = lab if len(lab) <= 42 else lab[:40] + "…"
        parts.append(f'<text x="{ml - 8}" y="{y + 15}" text-anchor="end" font-size="12">{escape(short)}</text>'
                     f'<rect x="{_f(x)}" y="{y + 4}" width="{_f(max(w, 0.5))}" height="{row - 8}" fill="{col}">'
                     f'<title>{escape(lab)}: {P.pts(v, 1)} pts</title></rect>'
                     f'<text x="{_f(x0 + (W / 2) + 6)}" y="{y + 15}" font-size="12">{P.pts(v, 1)} pts</text>')
    parts.append(f'<line x1="{_f(x0)}" x2="{_f(x0)}" y1="{mt}" y2="{mt + row * len(items)}" stroke="#333"/></svg>')
    return Markup("".join(parts))


def series_svg(months: list[dict], key: str = "index", title: str = "Cooperation–conflict index by month",
               width: int = 640, height: int = 220) -> Markup:
    """A monthly series in [-1, 1] (gaps where the value is NA), change points marked with a vertical rule."""
    pts = [(i, m.get(key)) for i, m in enumerate(months)]
    if not any(v is not None for _, v in pts):
        return Markup("")
    ml, mr, mt, mb = 40, 12, 10, 30
    W, H = width - ml - mr, height - mt - mb
    n = max(len(months) - 1, 1)
    X = lambda i: ml + W * i / n  # noqa: E731
    Y = lambda v: mt + H * (1 - (float(v) + 1) / 2)  # noqa: E731
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for v in (-1, 0, 1):
        parts.append(f'<line x1="{ml}" x2="{ml + W}" y1="{_f(Y(v))}" y2="{_f(Y(v))}" stroke="#ccc"/>'
                     f'<text x="{ml - 4}" y="{_f(Y(v) + 4)}" text-anchor="end" font-size="11">{v}</text>')
    seg: list[str] = []
    for i, v in pts:
        m = months[i]
        if m.get("change_point"):
            parts.append(f'<line x1="{_f(X(i))}" x2="{_f(X(i))}" y1="{mt}" y2="{mt + H}" stroke="#D55E00" stroke-dasharray="3 3"/>')
        if v is None:
            if len(seg) > 1:
                parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="#0072B2" stroke-width="2"/>')
            seg = []
            continue
        seg.append(f"{_f(X(i))},{_f(Y(v))}")
        lab = m.get("month") or m.get("period") or i
        parts.append(f'<circle cx="{_f(X(i))}" cy="{_f(Y(v))}" r="2.5" fill="#0072B2"><title>{escape(str(lab))}: '
                     f'{float(v):+.2f} (n={m.get("n")})</title></circle>')
    if len(seg) > 1:
        parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="#0072B2" stroke-width="2"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
