"""A bar chart drawn as SVG from its params: `values="3,5,2"`, `labels="a,b,c"`, `title`."""
from scale import nice_max, parse_numbers


class BarChart:
    def __init__(self, page, values="", labels="", title="", color="#4a7ebb"):
        self.page = page
        self.values = parse_numbers(values)
        self.labels = [l.strip() for l in labels.split(",")] if labels else []
        self.title = title
        self.color = color

    def render(self):
        width, height, pad = 40 * max(len(self.values), 1) + 40, 160, 20
        top = nice_max(self.values)
        shapes = [{"shape": "text", "x": width / 2, "y": 14, "text-anchor": "middle",
                   "font-size": 12, "text": self.title}]
        for i, v in enumerate(self.values):
            h = (height - 2 * pad - 10) * v / top
            x = pad + 40 * i + 5
            shapes.append({"shape": "rect", "x": x, "y": height - pad - h, "width": 30, "height": round(h, 2),
                           "fill": self.color, "class": "bar"})
            label = self.labels[i] if i < len(self.labels) else str(i + 1)
            shapes.append({"shape": "text", "x": x + 15, "y": height - 5, "text-anchor": "middle",
                           "font-size": 10, "text": label})
        self.page.svg(width, height, shapes)
