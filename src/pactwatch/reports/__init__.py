"""Reports: the self-contained HTML forecast report (:func:`render_report`)."""
from .report import render_html, render_report

__all__ = ["render_html", "render_report"]
