"""Never finishes: the page's time limit stops it, and its fallback content stays."""


class Spin:
    def __init__(self, page):
        while True:
            pass
