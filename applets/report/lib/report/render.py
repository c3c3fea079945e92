def render(rows):
    """A plain-text table with a total line."""
    lines = [f"{'region':<8}{'units':>7}{'revenue':>11}"]
    for region, units, revenue in rows:
        lines.append(f"{region:<8}{units:>7}{revenue:>11.2f}")
    lines.append(f"{'total':<8}{sum(r[1] for r in rows):>7}{sum(r[2] for r in rows):>11.2f}")
    return "\n".join(lines)
