"""Counts words in the files of the read-only /text grant, and shows that it cannot write there."""
import collections
import os
import re

counts = collections.Counter()
for name in sorted(os.listdir("/text")):
    with open(os.path.join("/text", name)) as f:
        counts.update(re.findall(r"[a-z']+", f.read().lower()))

print(f"{sum(counts.values())} words, {len(counts)} distinct")
for word, n in counts.most_common(5):
    print(f"{n:4} {word}")

try:
    open("/text/summary.txt", "w")
except PermissionError as e:
    print(f"as expected: {e}")
