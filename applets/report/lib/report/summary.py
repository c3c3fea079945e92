from collections import defaultdict

from . import parse


def summarise(sales: "list[parse.Sale]"):
    """Units and revenue per region, largest revenue first."""
    totals = defaultdict(lambda: [0, 0.0])
    for sale in sales:
        totals[sale.region][0] += sale.units
        totals[sale.region][1] += sale.units * sale.price
    return sorted(((region, units, revenue) for region, (units, revenue) in totals.items()),
                  key=lambda row: -row[2])
