"""The pure core: the workshop as plain Python. No Flask, Socket.IO, SQLite or eventlet here."""
