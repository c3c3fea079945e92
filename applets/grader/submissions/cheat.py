# Tries to read the expected answers, then to loop forever.
import json
CASES = json.load(open("/tests/cases.json"))

def add(a, b):
    while True:
        pass
