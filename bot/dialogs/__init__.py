"""Multi-step flows. Each step's choice travels in compact callback data and is
re-checked against the database; typed input waits in `dialog_states`."""
