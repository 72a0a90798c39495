"""The geometry of the charts the pages draw on the server as SVG: numbers in, coordinates out.

No JavaScript and no inline style (the CSP forbids both): a template turns these dictionaries into
`<rect>`, `<polyline>` and `<text>` elements whose classes the stylesheet colours. The figures
themselves come from the pages' selectors; this module only places them. Values are Decimals or
ints; coordinates are floats rounded to 0.1 px.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 560, 200
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 100, 10, 10, 24  # left: the top value, up to "9,999,999,999"
VALUE_ROOM = 130  # right of a horizontal bar: its value, up to "9,999,999,999.99"


@dataclass(frozen=True)
class Series:
    """One series of a column chart: its key (the CSS class `series-<key>`), label and one value per category."""

    key: str
    label: str
    values: list


def _top(values) -> Decimal:
    top = max((Decimal(v) for v in values), default=Decimal(0))
    return top if top > 0 else Decimal(1)


def columns(categories: list[str], series: list[Series], *, width: int = WIDTH, height: int = HEIGHT,
            axis_labels: list[str] | None = None) -> dict:
    """Grouped columns: one slot per category, one bar per series in it, heights in proportion to the largest value.

    Negative values draw as empty bars (a chart of amounts owed or paid has none). `axis_labels`: shorter words
    under the slots than the categories (which the bars' titles and the table beneath keep whole), so that a dozen
    slots stay readable in either language.
    """
    plot_w, plot_h = width - PAD_LEFT - PAD_RIGHT, height - PAD_BOTTOM - PAD_TOP
    top = _top(v for s in series for v in s.values)
    slot = plot_w / max(len(categories), 1)
    bar = slot * 0.8 / max(len(series), 1)
    bars, labels = [], []
    for i, category in enumerate(categories):
        left = PAD_LEFT + i * slot + slot * 0.1
        for j, s in enumerate(series):
            value = s.values[i]
            h = round(plot_h * float(max(Decimal(value), Decimal(0)) / top), 1)
            bars.append({"x": round(left + j * bar, 1), "y": round(PAD_TOP + plot_h - h, 1), "width": round(bar, 1),
                         "height": h, "series": s.key, "label": s.label, "category": category, "value": value})
        labels.append({"x": round(PAD_LEFT + i * slot + slot / 2, 1),
                       "text": axis_labels[i] if axis_labels else category})
    return {"kind": "columns", "width": width, "height": height, "bars": bars, "labels": labels,
            "series": series, "axis_x": PAD_LEFT, "axis_y": PAD_TOP + plot_h, "right_x": width - PAD_RIGHT,
            "label_y": height - 6, "top_y": PAD_TOP + 4,
            "top": max((Decimal(v) for s in series for v in s.values), default=Decimal(0))}


def bars(rows: list[tuple[str, object]], *, width: int = WIDTH, row_height: int = 22, label_width: int = 200,
         key: str = "after", top=None) -> dict:
    """Horizontal bars, one row each (label, value), lengths in proportion to `top` (default the largest value)."""
    plot_w = width - label_width - PAD_RIGHT - VALUE_ROOM
    top = Decimal(top) if top else _top(v for _label, v in rows)
    drawn = []
    for i, (label, value) in enumerate(rows):
        w = round(plot_w * float(min(max(Decimal(value), Decimal(0)), top) / top), 1)
        y = 4 + i * row_height
        drawn.append({"x": label_width, "y": y, "width": w, "height": row_height - 6, "label": label,
                      "value": value, "text_y": y + row_height - 10, "value_x": round(label_width + w + 6, 1)})
    return {"kind": "bars", "width": width, "height": 8 + len(rows) * row_height, "rows": drawn,
            "label_x": label_width - 6, "series": key}


def line(points: list, *, low: Decimal, high: Decimal, width: int = WIDTH, height: int = 180) -> dict:
    """A line over dates (x by day) between `low` and `high` (y); each point keeps what it was made from.

    `points` are objects with `on` (a date) and a `price` or a `value`, in date order.
    """
    first, last = points[0].on, points[-1].on
    span_days = max((last - first).days, 1)
    span = high - low
    plot_w, plot_h = width - PAD_LEFT - PAD_RIGHT, height - PAD_BOTTOM - PAD_TOP
    coords = []
    for point in points:
        value = getattr(point, "price", None)
        if value is None:
            value = point.value
        x = PAD_LEFT + plot_w * (point.on - first).days / span_days if len(points) > 1 else PAD_LEFT + plot_w / 2
        y = PAD_TOP + (plot_h / 2 if not span else float((high - value) / span) * plot_h)
        coords.append({"x": round(x, 1), "y": round(y, 1), "point": point})
    return {"kind": "line", "width": width, "height": height, "coords": coords,
            "polyline": " ".join(f"{c['x']},{c['y']}" for c in coords),
            "axis_x": PAD_LEFT, "axis_y": height - PAD_BOTTOM, "label_y": height - 6,
            "top_y": PAD_TOP + 4, "right_x": width - PAD_RIGHT, "low": low, "high": high, "first": first,
            "last": last}
