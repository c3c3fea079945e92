"""Takes all the memory it can: the memory limit stops it."""


class Hog:
    def __init__(self, page):
        hoard = []
        while True:
            hoard.append(bytearray(8 << 20))
