"""Tries to reach past its cell: files, its own source, modules, host objects, a wider child."""
import padcell


class Escape:
    def __init__(self, page):
        self.page = page

    def attempt(self, what, action):
        try:
            action()
            outcome = "ALLOWED"
        except Exception as e:
            outcome = f"refused ({type(e).__name__})"
        self.page.html(f'<li class="attempt">{what}: {outcome}</li>')

    def render(self):
        self.page.html("<ul>")
        self.attempt("read /etc/passwd", lambda: open("/etc/passwd").read())
        self.attempt("read its own source", lambda: open("Escape.py").read())
        self.attempt("write a file", lambda: open("/tmp/x", "w").write("x"))
        self.attempt("import socket", lambda: __import__("socket"))
        self.attempt("import subprocess", lambda: __import__("subprocess"))
        self.attempt("a host object it was not given", lambda: padcell.host("kv"))
        self.attempt("a child with a grant", lambda: padcell.Cell(dirs={"/": "rw"}))
        self.page.html("</ul>")
