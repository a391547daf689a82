"""CSV files from the command line open in a spreadsheet without running anything: a cell
that starts like a formula gets a quote in front, a plain number stays a number."""
from __future__ import annotations

import csv
import io

import pytest

from bot.services.spreadsheet import safe
from tests.test_cli import fresh_db  # noqa: F401  (a fixture)


@pytest.mark.parametrize("cell, shown", [
    ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
    ("+31 6 1234 5601", "'+31 6 1234 5601"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1+1)", "'@SUM(1+1)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("-3 graden", "'-3 graden"),
    ("-", "'-"),
    ("-3", "-3"),
    ("+2", "+2"),
    ("-1,5", "-1,5"),
    ("0.75", "0.75"),
    ("-\u0663", "'-\u0663"),  # an Arabic-Indic digit is not a number to a spreadsheet
    (-3, "-3"),
    (None, ""),
    ("Anouk Jansen", "Anouk Jansen"),
    ("a=b", "a=b"),
])
def test_a_cell_that_would_run_as_a_formula_is_quoted(cell, shown):
    assert safe(cell) == shown


ROSTER = """pupil_id,pupil_name,class,teacher,household_id,guardian_name,guardian_phone,guardian_language
P1,-2+3,Groep 1,"=HYPERLINK(""http://evil.example"",""Jeroen"")",-3,@Ouder,,nl
P2,Bram,Groep 1,"=HYPERLINK(""http://evil.example"",""Jeroen"")",H2,Carla,,nl
"""


async def test_invite_links_and_report_quote_formulas_but_keep_numbers(fresh_db, cli, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    assert (await cli(fresh_db, "import-roster", str(roster))).code == 0

    links = await cli(fresh_db, "invite-links", "--format", "csv")
    assert links.code == 0, links.err
    rows = {row["household_id"]: row for row in csv.DictReader(io.StringIO(links.out)) if row["role"] == "guardian"}
    assert rows["-3"]["name"] == "'@Ouder" and rows["-3"]["pupils"] == "'-2+3"
    teacher = next(row for row in csv.DictReader(io.StringIO(links.out)) if row["role"] == "teacher")
    assert teacher["name"] == "'=HYPERLINK(\"http://evil.example\",\"Jeroen\")"

    assert (await cli(fresh_db, "open-period", "--name", "Najaar", "--from", "2026-11-16",
                      "--to", "2026-11-27")).code == 0
    report = await cli(fresh_db, "report", "--format", "csv")
    assert report.code == 0, report.err
    cells = [cell for row in csv.reader(io.StringIO(report.out)) for cell in row]
    assert "'=HYPERLINK(\"http://evil.example\",\"Jeroen\")" in cells
    assert not any(cell.startswith(("=", "@", "+")) for cell in cells)
