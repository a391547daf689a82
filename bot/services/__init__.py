"""Business rules. Services take a session and plain values and return plain results.

No module here imports telegram.
"""
