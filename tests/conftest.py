"""Fixtures for the three tiers: the pure core (none), the app in process (`app`, `client`), real servers."""

import pytest

from . import support
from .in_process import make_app
from .support import Server

PROCESS_TIERS = ("server", "browser")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Let only tests marked `server` or `browser` start a real process (see support.Server.start)."""
    support.PROCESS_ALLOWED = any(item.get_closest_marker(mark) for mark in PROCESS_TIERS)


@pytest.fixture
def app(tmp_path):
    """An app over a temporary database, in threading mode, with its clock stopped."""
    app = make_app(tmp_path)
    yield app
    app.extensions["workshop"].stop()


@pytest.fixture
def client(app):
    """Flask's test client for that app."""
    return app.test_client()


@pytest.fixture
def server(tmp_path):
    """A real `python -m workshop` process on a free loopback port, with short timers."""
    running = Server(tmp_path / "server.db", "--time-scale", "0.01", "--grace", "2").start()
    yield running
    running.stop()
