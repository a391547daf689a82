"""An --output file that cannot be written is refused in one line before anything changes:
a fresh set of invitation links replaces the old ones, so they must not be lost."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models import AuditEntry, InviteToken
from tests.seed import EXAMPLE_ROSTER
from tests.test_cli import fresh_db  # noqa: F401  (a fixture)


async def live_links(sessionmaker) -> set[str]:
    async with sessionmaker() as session:
        return set((await session.scalars(select(InviteToken.token_hash).where(InviteToken.replaced_at.is_(None)))).all())


@pytest.mark.parametrize("fmt", ["csv", "text"])
async def test_invite_links_to_a_missing_directory_keep_the_old_links(fresh_db, cli, sessionmaker, tmp_path, fmt):
    assert (await cli(fresh_db, "import-roster", str(EXAMPLE_ROSTER))).code == 0
    first = await cli(fresh_db, "invite-links", "--format", fmt, "--output", str(tmp_path / "links.txt"))
    assert first.code == 0, first.err
    before = await live_links(sessionmaker)

    target = tmp_path / "no-such-folder" / "links.csv"
    ran = await cli(fresh_db, "invite-links", "--format", fmt, "--output", str(target))
    assert ran.code == 1
    assert ran.err.strip() == f"homevisit: cannot write {target}: the directory {target.parent} does not exist"
    assert await live_links(sessionmaker) == before  # the links sent out on paper still work


async def test_report_and_export_to_a_directory_are_refused(fresh_db, cli, sessionmaker, tmp_path):
    assert (await cli(fresh_db, "open-period", "--name", "Najaar", "--from", "2026-11-16",
                      "--to", "2026-11-27")).code == 0
    report = await cli(fresh_db, "report", "--output", str(tmp_path))
    assert report.code == 1 and report.err.strip() == f"homevisit: cannot write {tmp_path}: it is a directory"

    export = await cli(fresh_db, "export-notes", "--period", "Najaar", "--output", str(tmp_path))
    assert export.code == 1 and export.err.strip() == f"homevisit: cannot write {tmp_path}: it is a directory"
    async with sessionmaker() as session:  # no export happened, so none is in the audit log
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 0
