"""The shared chart geometry (scf/core/charts.py): sizes in proportion to the values, on a fixed canvas."""

from decimal import Decimal

from scf.core import charts


def test_columns_scale_to_the_largest_value_and_sit_on_the_axis():
    chart = charts.columns(["a", "b"], [charts.Series("now", "Now", [Decimal("50"), Decimal("100")]),
                                        charts.Series("after", "After", [Decimal("0"), Decimal("25")])])
    plot_h = charts.HEIGHT - charts.PAD_TOP - charts.PAD_BOTTOM  # 166
    heights = [b["height"] for b in chart["bars"]]
    assert heights == [83.0, 0.0, 166.0, 41.5]
    assert all(round(b["y"] + b["height"], 1) == chart["axis_y"] for b in chart["bars"])
    assert chart["top"] == Decimal("100") and [label["text"] for label in chart["labels"]] == ["a", "b"]
    assert chart["bars"][0]["x"] < chart["bars"][1]["x"] < chart["bars"][2]["x"]
    assert plot_h == 166


def test_columns_of_nothing_draw_flat_bars():
    chart = charts.columns(["a"], [charts.Series("after", "x", [Decimal("0")])])
    assert chart["bars"][0]["height"] == 0.0 and chart["top"] == Decimal("0")


def test_bars_cap_at_the_given_top():
    chart = charts.bars([("used", Decimal("50")), ("over", Decimal("120"))], top=100)
    widths = [r["width"] for r in chart["rows"]]
    plot_w = charts.WIDTH - 200 - charts.PAD_RIGHT - charts.VALUE_ROOM  # 220
    assert widths == [plot_w / 2, plot_w]


def test_short_axis_labels_leave_the_categories_whole():
    chart = charts.columns(["2026-12-07 – 2026-12-13", "2026-12-14 – 2026-12-20"],
                           [charts.Series("after", "Falling due", [Decimal("10"), Decimal("5")])],
                           axis_labels=["12/7", "12/14"])
    assert [label["text"] for label in chart["labels"]] == ["12/7", "12/14"]
    assert [bar["category"] for bar in chart["bars"]] == ["2026-12-07 – 2026-12-13", "2026-12-14 – 2026-12-20"]
