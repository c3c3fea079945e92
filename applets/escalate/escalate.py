"""A hostile applet: asks for a child cell with more than it has, in every way it can, and
tries to walk out through its grant. Run it with a read-only grant, e.g.
    padcell run --dir applets/escalate::/app applets/escalate/escalate.py
Every attempt must fail; it prints one line per attempt."""
import padcell

attempts = {
    "write where the parent reads": dict(dirs={"/app": "rw"}),
    "a path outside every grant": dict(dirs={"/etc": "ro"}),
    "the host's root": dict(dirs={"/": "ro"}),
    "a dotted escape": dict(dirs={"/app/../etc": "ro"}),
    "a module the parent lacks": dict(modules=["socket"]),
    "every module": dict(modules=["*"]),
    "a root the parent lacks": dict(roots=["<codebase>"]),
    "a host object the parent lacks": dict(objects=["kv"]),
    "more time than is left": dict(timeout=10 ** 6),
    "more memory": dict(memory=1 << 40),
    "an unknown option": dict(network=True),
}
for what, request in attempts.items():
    try:
        padcell.Cell(**request)
        print(f"ESCALATED: {what}")
    except (PermissionError, ValueError, TypeError) as refused:
        print(f"refused: {what}: {refused}")

# Nest as deep as the host allows: each level makes a child that runs this same code.
NEST = """
import padcell
try:
    child = padcell.Cell(dirs={"/app": "ro"})
    child.exec("NEST = " + repr(NEST) + "\\nexec(NEST)")
    result = child.eval("result")
except PermissionError as refused:
    result = f"refused: deeper nesting: {refused}"
"""
exec(NEST)
print(result)

# A child of a child asks for its parent's grant back as rw.
child = padcell.Cell(dirs={"/app": "ro"})
child.exec("""
import padcell
try:
    padcell.Cell(dirs={"/app": "rw"})
    print("ESCALATED: rw in a grandchild")
except PermissionError as refused:
    print("refused: rw in a grandchild:", refused)
""")
print(child.stdout, end="")
