"""Screens: what a person sees, as pure functions from state to text and buttons.

A screen takes a translator and plain state (views from `bot/services`) and returns a
`Screen` (text and keyboard); it reads no database and sends nothing. The buttons it
shows are declared here too (`bot/buttons.py`), next to the screen that shows them; the
handler that takes a button lives in `bot/dialogs` or `bot/handlers` and is marked with
`@on(KIND)`. Layers: handlers and dialogs → screens → services → db.
"""
