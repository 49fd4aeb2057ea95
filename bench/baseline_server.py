"""A bare Flask-SocketIO broadcast server under eventlet: the yardstick for the workshop's fan-out.

    python bench/baseline_server.py --port 5001 [--max-connections 10000]

A client connects with `auth={"room": "<name>"}` and joins that Socket.IO room. A `trigger` event
`{"room": "<name>", "payload": {...}}` broadcasts the payload as `room`, with a growing `seq`, to
everyone in that room, exactly as the workshop broadcasts its shared state, and acknowledges
`{"ok": true, "seq": n}`. No store, no lock, no view: only the broadcast.
"""

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import itertools  # noqa: E402
import time  # noqa: E402

from flask import Flask, jsonify  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="eventlet", logger=False, engineio_logger=False,
                    ping_interval=10, ping_timeout=20, max_http_buffer_size=64 * 1024)
counters: dict[str, itertools.count] = {}


@app.get("/healthz")
def health():
    return jsonify({"ok": True})


@socketio.on("connect")
def on_connect(auth):
    join_room(str((auth or {}).get("room", "bench")))


@socketio.on("trigger")
def on_trigger(data):
    room = str(data["room"])
    seq = next(counters.setdefault(room, itertools.count(1)))
    socketio.emit("room", {**data["payload"], "seq": seq}, to=room)
    return {"ok": True, "seq": seq}


@socketio.on("sync_clock")
def on_sync_clock(data=None):
    return {"ok": True, "now": int(time.time() * 1000)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--max-connections", type=int, default=10_000)
    args = parser.parse_args()
    print(f"baseline broadcast server on http://{args.host}:{args.port}/", flush=True)
    socketio.run(app, host=args.host, port=args.port, max_size=args.max_connections, log_output=False)
