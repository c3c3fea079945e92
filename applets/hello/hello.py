"""The first padcell applet: greets whoever is named in its arguments.

    padcell run applets/hello/hello.py Ada --shout
"""
import sys


def greet(name, shout=False):
    text = f"Hello, {name}!"
    return text.upper() if shout else text


args = sys.argv[1:]
shout = "--shout" in args
names = [a for a in args if not a.startswith("--")] or ["world"]
for name in names:
    print(greet(name, shout))
