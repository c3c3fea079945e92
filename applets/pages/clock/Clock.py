"""A clock face drawn as SVG: Grail's Clock applet, with the host drawing what it is given.

Params: `label` (the caption), `offset` (hours from UTC, default 0), `size` (pixels)."""
import math
import time


class Clock:
    def __init__(self, page, label="UTC", offset="0", size="120"):
        self.page = page
        self.label = label
        self.offset = float(offset)
        self.size = int(size)

    def hand(self, fraction, length, width, color):
        c = self.size / 2
        angle = 2 * math.pi * fraction - math.pi / 2
        return {"shape": "line", "x1": c, "y1": c,
                "x2": round(c + length * c * math.cos(angle), 2),
                "y2": round(c + length * c * math.sin(angle), 2),
                "stroke": color, "stroke-width": width, "stroke-linecap": "round"}

    def render(self):
        now = time.gmtime(time.time() + self.offset * 3600)
        c = self.size / 2
        shapes = [{"shape": "circle", "cx": c, "cy": c, "r": c - 2, "fill": "#fffdf5",
                   "stroke": "#333", "stroke-width": 2}]
        for tick in range(12):
            a = 2 * math.pi * tick / 12
            shapes.append({"shape": "line", "stroke": "#333", "stroke-width": 2,
                           "x1": round(c + 0.8 * c * math.cos(a), 2), "y1": round(c + 0.8 * c * math.sin(a), 2),
                           "x2": round(c + 0.92 * c * math.cos(a), 2), "y2": round(c + 0.92 * c * math.sin(a), 2)})
        shapes.append(self.hand((now.tm_hour % 12 + now.tm_min / 60) / 12, 0.5, 4, "#333"))
        shapes.append(self.hand(now.tm_min / 60, 0.75, 3, "#333"))
        shapes.append(self.hand(now.tm_sec / 60, 0.85, 1, "#c00"))
        self.page.svg(self.size, self.size, shapes)
        self.page.html(f"<p class=\"clock-label\">{self.label} {now.tm_hour:02d}:{now.tm_min:02d}</p>")
