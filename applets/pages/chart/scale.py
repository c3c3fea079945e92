"""Axis arithmetic for chart.py: a module of the same codebase, imported through the host."""


def nice_max(values):
    """The smallest 1, 2 or 5 times a power of ten that is at least max(values)."""
    top = max(values) if values else 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= top:
                return m * step
        step *= 10


def parse_numbers(text):
    return [float(x) for x in text.split(",") if x.strip()]
