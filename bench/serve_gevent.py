"""Run the workshop server under gevent instead of eventlet, for the benchmark's side-by-side fan-out.

    python bench/serve_gevent.py --port 5002 --db /tmp/x.db [--time-scale 1] [--grace 600]

gevent's pywsgi server serves the app; python-engineio carries websockets over simple-websocket
when gevent-websocket is not installed. The workshop code is the same: only the async mode changes.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshop.shell.app import create_app  # noqa: E402
from workshop.shell.events import socketio  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5002)
    parser.add_argument("--db", required=True)
    parser.add_argument("--time-scale", type=float)
    parser.add_argument("--grace", type=float)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    config = {"ASYNC_MODE": "gevent", "DB": args.db}
    if args.time_scale is not None:
        config["TIME_SCALE"] = args.time_scale
    if args.grace is not None:
        config["GRACE_SECONDS"] = args.grace
    app = create_app(config)
    print(f"workshop under gevent on http://{args.host}:{args.port}/", flush=True)
    socketio.run(app, host=args.host, port=args.port, log_output=False)
