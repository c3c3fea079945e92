"""A plugin for host/examples/plugin_host.rs: loaded once, called for every order.

State lives in the cell between calls; the host's `stats` object is reached by value."""
import padcell

stats = padcell.host("stats")
orders = 0
revenue = 0


def on_order(customer, amount):
    global orders, revenue
    orders += 1
    revenue += amount
    stats.record(customer, amount)
    return {"orders": orders, "revenue": revenue}


def summary():
    return {"orders": orders, "revenue": revenue, "top": stats.top()}
