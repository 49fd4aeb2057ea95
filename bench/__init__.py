"""The benchmark and its load tool; scripts run as `python bench/run.py`, kept out of the server's package."""
