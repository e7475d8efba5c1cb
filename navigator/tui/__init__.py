"""`nav tui`: a keyboard-driven reader for the indexed sources, built on textual.

Only `navigator.commands.tui` imports this package, so textual stays off the hot path.
"""
