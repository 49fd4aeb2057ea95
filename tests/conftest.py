"""Fixtures for the three tiers: the pure core (none), the app in process (`app`, `client`), real servers."""

import functools
import os
import re
import shutil
import tempfile

import pytest

from workshop.core.agenda import load_agenda
from workshop.shell.events import socketio

from . import support
from .browser_support import SHARED
from .in_process import make_app
from .support import ROOT, Server

PROCESS_TIERS = ("server", "browser")
PHONES_BEFORE: dict = {}  # a test file's module -> how many phones existed when its first test here began
PHONES_AT_TEST = [0]  # how many phones existed when the running test began
TMPFS = "/dev/shm"


def pytest_configure(config):
    """Keep the tests' files on tmpfs when it has room: the SQLite files are real, their fsyncs free.

    On this machine's disk the fsyncs alone took the stateful test from 10 s to 38 s. A kill -9
    loses nothing either way (the page cache survives a process); no test here simulates a power cut.
    A container's small /dev/shm (64 MB by default) is left alone; an explicit --basetemp still
    decides where `tmp_path` goes (pytest-xdist gives each worker one under the controller's).
    """
    if os.access(TMPFS, os.W_OK) and shutil.disk_usage(TMPFS).free > 1 << 30:
        tempfile.tempdir = TMPFS


# Seconds each file took under `make test` on the 2-core machine (pytest --durations=0, November 2026),
# for those over ~5 s: the order below starts the longest first. A wrong figure costs balance, never a result.
SECONDS = {
    "test_browser.py": 64, "test_faults.py": 55, "test_code_limits.py": 26, "test_cluster.py": 22,
    "test_browser_hold.py": 18, "test_browser_languages.py": 14, "test_browser_studio_language.py": 8,
    "test_browser_safety.py": 6, "test_server.py": 15, "test_organizer_access.py": 11, "test_wire.py": 10,
    "test_clock.py": 8, "test_pdf.py": 12, "test_stateful.py": 9, "test_report.py": 5, "test_fuzzing.py": 5,
}
LONG = 20  # a file that is one unit (not `spread`) and takes longer starts before everything else


def pytest_collection_modifyitems(items):
    """Order the units of work: the long ones, the browser tests, those that start servers, the rest.

    Under pytest-xdist (`make test`: --dist loadfile --no-loadscope-reorder) a worker takes the next
    unit in this order whenever it runs short. So the long units start at once on different workers,
    the browser journeys follow (a `spread` file's tests are a unit each), then the files that start
    servers, and the in-process files, quick and many, fill the gaps at the end; within each tier the
    longest file goes first, so that no long unit starts last. A file's tests keep their order: they
    may share a server and a story.
    """
    def rank(item) -> tuple:
        seconds = SECONDS.get(item.path.name, 0)
        if seconds >= LONG and not spread(str(item.path.relative_to(ROOT))):
            return 0, -seconds
        tier = 1 if item.get_closest_marker("browser") else 2 if item.get_closest_marker("server") else 3
        return tier, -seconds

    file_rank: dict = {}
    for item in items:
        file_rank[item.path] = min(file_rank.get(item.path, (3, 0)), rank(item))
    items.sort(key=lambda item: file_rank[item.path])  # stable: each file keeps its own order


SPREAD = re.compile(r"^pytestmark = .*\bpytest\.mark\.spread\b", re.MULTILINE)


@functools.cache
def spread(path: str) -> bool:
    """Say whether the test file at `path` (relative to the root) is marked `spread` at its top."""
    return bool(SPREAD.search((ROOT / path).read_text(encoding="utf-8")))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Under --dist loadfile, share out the tests of a file marked `spread` one by one.

    Each other file stays one unit of work, on one worker, in order. A file marked `spread` holds
    independent journeys (each with its own room, often its own server): run side by side, they
    end sooner than one after another. pytest-xdist's own way (`xdist_group` marks with --dist
    loadgroup) rewrites node ids, which pytest 9.2 ignores (pytest-xdist issue #1386), so the
    controller, which sees only node ids, reads the mark from the file itself.
    """
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FilesUnlessSpread(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return nodeid if spread(path) else path

    return FilesUnlessSpread(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Let only tests marked `server` or `browser` start a real process (see support.Server.start).

    Before a test that is not a browser test, close what the browser tests share (browser_support.SHARED):
    its Playwright holds an asyncio loop that asyncio.run would refuse, and its servers are not needed.
    Count the phones made so far when a test file begins here (see pytest_runtest_teardown).
    """
    support.PROCESS_ALLOWED = any(item.get_closest_marker(mark) for mark in PROCESS_TIERS)
    PHONES_BEFORE.setdefault(item.module, len(support.OPENED))
    PHONES_AT_TEST[0] = len(support.OPENED)
    if not item.get_closest_marker("browser"):
        SHARED.close()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    """Mark the phones a fixture wider than one test makes (a module's room): they outlive the test."""
    before = len(support.OPENED)
    try:
        return (yield)
    finally:
        if fixturedef.scope != "function":
            for phone in support.OPENED[before:]:
                phone.lasting = True


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    """Before a test's fixtures stop their servers, close the Socket.IO phones (support.Phone) it left
    open, so that none keeps reconnecting to a server that has gone; at the end of a test file's run
    on this worker, also those its wider fixtures made."""
    support.close_phones_opened_since(PHONES_AT_TEST[0], include_lasting=False)
    if nextitem is None or nextitem.module is not item.module:
        support.close_phones_opened_since(PHONES_BEFORE.pop(item.module, len(support.OPENED)))


def pytest_sessionfinish(session):
    """Close what the browser tests shared, if the last test was one."""
    SHARED.close()


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
def live(app):
    """That app's room registry, to open rooms and join people without going through HTTP."""
    return app.extensions["workshop"].rooms


@pytest.fixture
def room(live):
    """A quick-connect room in that app, holding its facilitator key as `room.facilitator_key`."""
    room, key = live.create_room(load_agenda(ROOT / "agendas" / "quick-connect.yaml"))
    room.facilitator_key = key
    return room


@pytest.fixture
def console(app, room):
    """That room's facilitator, through Flask-SocketIO's test client."""
    auth = {"role": "facilitator", "code": room.code, "key": room.facilitator_key}
    return socketio.test_client(app, auth=auth)


@pytest.fixture
def server(tmp_path):
    """A real `python -m workshop` process on a free loopback port, with short timers."""
    running = Server(tmp_path / "server.db", "--time-scale", "0.01", "--grace", "2").start()
    yield running
    running.stop()


@pytest.fixture
def driver():
    """This process's Playwright (browser_support.SHARED), for a test that launches its own Chromium."""
    return SHARED.playwright()


@pytest.fixture
def browser():
    """This process's Chromium, lent for one test: the contexts the test opens are closed after it."""
    with SHARED.browser() as chromium:
        yield chromium
