"""Tries to get script into the page. Every attempt is made; the host makes each one safe, and
the applet reports what it saw happen."""

MARK = "document.body.setAttribute('data-pwned', '{}')"


class Inject:
    def __init__(self, page):
        self.page = page

    def render(self):
        page = self.page
        page.html(f"<script>{MARK.format('script')}</script>")
        page.html(f"<img src=\"x\" onerror=\"{MARK.format('onerror')}\">")
        page.html(f"<a href=\"javascript:{MARK.format('href')}\">a link</a>")
        page.html(f"<svg onload=\"{MARK.format('svg')}\"><circle r=\"5\"/></svg>")
        page.html(f"<iframe srcdoc=\"<script>{MARK.format('iframe')}</script>\"></iframe>")
        page.html("<style>body { display: none }</style>")
        page.html(f"<form action=\"javascript:{MARK.format('form')}\"><button formaction=\"javascript:x\">go</button></form>")
        page.html("<p>unclosed <b>markup")
        page.text(f"</p><script>{MARK.format('text')}</script>")
        refused = []
        for attr in ("onload", "href", "style"):
            try:
                page.svg(10, 10, [{"shape": "rect", attr: MARK.format("svg-" + attr)}])
            except ValueError:
                refused.append(attr)
        try:
            page.svg(10, 10, [{"shape": "script", "text": MARK.format("svg-script")}])
        except ValueError:
            refused.append("script")
        try:
            page._slot
        except AttributeError:
            refused.append("_slot")
        page.html(f"<p class=\"inject-report\">refused: {' '.join(refused)}</p>")
