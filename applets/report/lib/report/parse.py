import csv
from dataclasses import dataclass


@dataclass(frozen=True)
class Sale:
    region: str
    units: int
    price: float


def load(path):
    """Reads rows of region,units,price (with a header) through the cell's grant."""
    with open(path, newline="") as f:
        return [Sale(row["region"], int(row["units"]), float(row["price"])) for row in csv.DictReader(f)]
