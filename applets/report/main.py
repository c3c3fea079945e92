"""Summarises /data/sales.csv (or the file named on the command line) with the report package."""
import sys
from report import load, summarise, render

path = sys.argv[1] if len(sys.argv) > 1 else "/data/sales.csv"
print(render(summarise(load(path))))
