"""The report's trend charts, drawn server-side by matplotlib as SVG (inline in the page: no
JavaScript, no image request). Only dates and numbers are drawn, never a shopper's text.

matplotlib's object API (``Figure``, not pyplot): no global state, safe in threaded workers.
"""

from __future__ import annotations

import io

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from search.analytics.performance import DayFigures

# Text stays text (selectable, small), in the page's font.
_STYLE: dict = {"svg.fonttype": "none", "font.size": 9, "svg.hashsalt": "search-report"}
BLUE, RED, GREEN = "#417690", "#c62828", "#2e7d32"


def trend_svg(days: list[DayFigures], currency: str) -> str:
    """Three panels over the days: zero-result rate, conversion rate, revenue from search."""
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(8, 5.2), layout="constrained")
        axes = figure.subplots(3, 1, sharex=True)
        x = [d.day for d in days]
        panels = [
            (axes[0], [d.figures.zero_result_rate for d in days], RED, "Zero-result rate", True),
            (axes[1], [d.figures.conversion_rate for d in days], GREEN, "Conversion rate", True),
            (axes[2], [float(d.figures.revenue) for d in days], BLUE, f"Revenue from search ({currency})", False),
        ]
        for ax, values, colour, title, percent in panels:
            if len(x) > 1:
                ax.plot(x, values, color=colour, linewidth=1.6, marker="o", markersize=2.5)
                ax.fill_between(x, values, color=colour, alpha=0.12)
            else:
                ax.bar(x, values, color=colour, width=0.6)
            ax.set_title(title, loc="left", fontsize=10)
            ax.set_ylim(bottom=0)
            ax.grid(axis="y", alpha=0.3)
            ax.spines[["top", "right"]].set_visible(False)
            if percent:
                ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
            else:
                ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:,.0f}"))
            ax.yaxis.set_major_locator(MaxNLocator(4))
        axes[2].xaxis.set_major_locator(MaxNLocator(8))
        figure.autofmt_xdate()
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    svg = out.getvalue()
    return svg[svg.index("<svg"):]  # without the XML prolog and doctype: inline in the page
