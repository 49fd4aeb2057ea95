"""Heart to Heart: a realtime server for live workshops in pairs."""


def create_app(test_config: dict | None = None):
    """Create the Flask app (see `workshop.app`).

    The import is deferred so that `python -m workshop` can let eventlet patch
    the standard library before Flask, Socket.IO or threading are imported.
    """
    from .shell.app import create_app as build

    return build(test_config)
