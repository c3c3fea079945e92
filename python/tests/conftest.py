"""Shared by the padcell package's tests: one supervisor per session, the repository's paths."""

import os
import pathlib
import threading

import pytest

import padcell

ROOT = pathlib.Path(__file__).resolve().parents[2]
APPLETS = ROOT / "applets"


@pytest.fixture(scope="session")
def sup():
    """One supervisor for the whole session (the first on a machine compiles the interpreter)."""
    return padcell.Supervisor()


class Audit:
    """Collects the dicts an on_audit callback receives."""

    def __init__(self):
        self.events = []
        self._lock = threading.Lock()

    def __call__(self, event):
        with self._lock:
            self.events.append(event)

    def ops(self):
        with self._lock:
            return [(e["operation"], e["path"]) for e in self.events]


@pytest.fixture
def audit():
    return Audit()


@pytest.fixture
def unraisable(monkeypatch):
    """What sys.unraisablehook receives during the test."""
    import sys
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u))
    return seen
