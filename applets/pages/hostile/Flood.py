"""Writes without end into its slot: the host refuses past the slot's size, and the applet fails."""


class Flood:
    def __init__(self, page):
        while True:
            page.text("flood " * 1000)
