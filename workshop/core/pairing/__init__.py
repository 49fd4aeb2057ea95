"""Pairing: forming a round's groups (`form`) and changing them live (`regroup`)."""
