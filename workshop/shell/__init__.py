"""The shell: Flask, Socket.IO and SQLite around the core; it saves, sends and serves."""
