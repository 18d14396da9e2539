"""The trend chart's geometry, drawn as SVG by the template: no chart library, no script.

Two series (share online, share buyable) on a 0–100 % scale, told apart by line style and
marker shape as well as colour, and the province's target as a dashed line; the template
writes the same figures as a table beside it.
"""

from dataclasses import dataclass

from .assemble import Point

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 16, 40  # room for the axis labels


@dataclass
class Mark:
    """One month on the chart."""

    point: Point
    x: float
    online_y: float | None  # None when nothing was counted that month
    buyable_y: float | None


@dataclass
class Chart:
    """Everything the template draws."""

    marks: list[Mark]
    online_path: str
    buyable_path: str
    grid: list[tuple[int, float]]  # (percent, y)
    target_y: float | None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    bottom: int = HEIGHT - BOTTOM


def y_of(percent: float) -> float:
    """The vertical position of a percentage."""
    return round(TOP + (100 - percent) / 100 * (HEIGHT - TOP - BOTTOM), 1)


def path(ys: list[tuple[float, float | None]]) -> str:
    """An SVG path through the known points, lifting the pen over months with no figure."""
    parts, pen_down = [], False
    for x, y in ys:
        if y is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{x},{y}")
        pen_down = True
    return " ".join(parts)


def chart(points: list[Point], target: float | None = None) -> Chart:
    """Lay the trend's points out left to right, oldest first."""
    span = WIDTH - LEFT - RIGHT
    step = span / max(len(points) - 1, 1)
    marks = []
    for n, point in enumerate(points):
        x = round(LEFT + n * step if len(points) > 1 else LEFT + span / 2, 1)
        online, buyable = point.online.percent, point.buyable.percent
        marks.append(Mark(point, x, None if online is None else y_of(online),
                          None if buyable is None else y_of(buyable)))
    return Chart(marks, path([(m.x, m.online_y) for m in marks]),
                 path([(m.x, m.buyable_y) for m in marks]),
                 [(p, y_of(p)) for p in (0, 25, 50, 75, 100)],
                 None if target is None else y_of(target))
