import pytest

from workshop import create_app

from .support import Server


@pytest.fixture
def app(tmp_path):
    """An app over a temporary database, in threading mode, with its clock stopped."""
    app = create_app({"DB": str(tmp_path / "test.db"), "INSTANCE": str(tmp_path / "instance"),
                      "ASYNC_MODE": "threading", "CLOCK": False, "TESTING": True,
                      "ORGANIZER_KEY": "organizer-key-for-tests"})
    yield app
    app.extensions["workshop"].stop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def server(tmp_path):
    """A real `python -m workshop` process on a free loopback port, with short timers."""
    running = Server(tmp_path / "server.db", "--time-scale", "0.01", "--grace", "2").start()
    yield running
    running.stop()
