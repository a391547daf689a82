"""Cells of a CSV file that people open in a spreadsheet program: nothing in it may run
as a formula (CSV injection). Used by every CSV the school exports."""
from __future__ import annotations

import re

# A spreadsheet runs a cell as a formula when it starts with one of these (a tab or a
# carriage return can hide the = that follows).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A plain number such as -3, +2 or -1,5 is left as it is: a spreadsheet reads it as that
# number, which runs nothing, and a quote in front would show up in the cell and turn
# the number into text that no longer adds up. Anything more (-2+3, -3 graden) is quoted.
NUMBER = re.compile(r"[+-]?([0-9]+([.,][0-9]+)?|[.,][0-9]+)")


def safe(value: object) -> str:
    """The cell as text a spreadsheet shows as it is: a quote before a formula's start."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not NUMBER.fullmatch(text):
        return "'" + text
    return text
