"""The lecture's material: its worked examples, its training loops, and ``diffcheck demo``."""
