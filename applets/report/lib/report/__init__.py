"""Sales reports: load a CSV, summarise it by region, render a table."""
from .parse import load
from .summary import summarise
from .render import render

__all__ = ["load", "summarise", "render"]
