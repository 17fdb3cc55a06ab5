"""Seeing it: plots (matplotlib) and the play/watch/record loops (pygame)."""
