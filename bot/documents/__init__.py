"""Printable documents (PDF): made from plain values that services return, in any thread.

May import services (their values), screens' pure helpers and i18n; never Telegram,
handlers or dialogs.
"""
