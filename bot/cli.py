"""The `homevisit` command line."""
from __future__ import annotations

import argparse
import asyncio
import csv
import os
import sys
from datetime import timedelta
from pathlib import Path

from bot import logs
from bot.config import ConfigError, Settings, load_settings
from bot.services.spreadsheet import safe
from bot.transport import AiohttpRequest


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="homevisit",
        description="A Telegram bot that helps a school visit every family. "
        "Settings come from environment variables or a .env file (see README).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # A board's deployment (SCHOOLS_FILE) serves several schools: a command about one names it.
    school = argparse.ArgumentParser(add_help=False)
    school.add_argument("--school", metavar="KEY",
                        help="the school (its key in SCHOOLS_FILE); needed when the deployment has several")

    sub.add_parser("migrate", help="create or upgrade the database schema",
                   description="Bring the database named by DATABASE_URL to the newest schema. Safe to run again.")

    p = sub.add_parser("import-roster", parents=[school],
                       help="load or update pupils, classes and guardians from a CSV file",
                       description="Import the roster CSV (UTF-8, comma or semicolon separated) with the columns "
                       "pupil_id,pupil_name,class,teacher,household_id,guardian_name,guardian_phone,"
                       "guardian_language, and optionally postcode (Dutch 1234 AB or Belgian 1234). Nothing is "
                       "written when any line is invalid; re-importing an updated "
                       "file applies the changes.")
    p.add_argument("path", type=Path, help="the roster CSV file")
    p.add_argument("--dry-run", action="store_true", help="check the file and show what would change; write nothing")
    p.add_argument("--allow-removals", action="store_true",
                   help="apply the file even when it takes many pupils off the roster (e.g. one class exported alone)")

    p = sub.add_parser("add-staff", parents=[school], help="add a teacher or coordinator and print their link",
                       description="Create a teacher or the coordinator and print their personal invitation link.")
    p.add_argument("--name", required=True, help="full name as colleagues know it")
    p.add_argument("--role", required=True, choices=["teacher", "coordinator"],
                   help="teacher (visits families of their class) or coordinator (runs the visit period)")
    p.add_argument("--language", help="language code (default: DEFAULT_LANGUAGE)")

    p = sub.add_parser("invite-links", parents=[school], help="print personal links for everyone not yet linked",
                       description="Issue a fresh personal link for every guardian and staff member who has not "
                       "linked Telegram yet. Older unused links of the same people stop working.")
    p.add_argument("--format", choices=["csv", "text"], default="text", help="output format (default: text)")
    p.add_argument("--output", type=Path, help="write to this file instead of standard output")

    p = sub.add_parser("letters", parents=[school],
                       help="printable invitation letters (PDF) for households without Telegram",
                       description="Write a PDF with one A4 page per household that has not linked Telegram "
                       "(no guardian of it has): in the household's language with the Dutch text beneath, naming "
                       "the children and their teachers, the visit period, a QR code and the household's personal "
                       "link, and what to do without a smartphone (SCHOOL_PHONE). Each letter gets a fresh link "
                       "for the household's first guardian without Telegram; older unused links of these "
                       "guardians stop working. With PUBLIC_URL set, each letter also carries the household's web page "
                       "(a second QR code and its address), renewed like the link. Needs an open visit period and "
                       "Debian's fonts-noto-core.")
    p.add_argument("--class", dest="class_name", metavar="NAME",
                   help="only the households of this class's pupils, e.g. 'Groep 5'")
    p.add_argument("--household", metavar="ID", help="only this household (the roster's household_id)")
    p.add_argument("--all", dest="everyone", action="store_true",
                   help="every household, also those already on Telegram")
    p.add_argument("--output", type=Path, required=True, metavar="FILE", help="the PDF to write, e.g. letters.pdf")

    p = sub.add_parser("web-link", parents=[school], help="a fresh web page link for one household (needs PUBLIC_URL)",
                       description="Issue a fresh link to a household's web page, for families without Telegram. "
                       "The household's older web link stops working at once.")
    p.add_argument("--household", metavar="ID", required=True, help="the roster's household_id")

    p = sub.add_parser("open-period", parents=[school], help="open the visit period",
                       description="Open the school's visit period (one at a time). Teachers then add their times "
                       "with /availability in the bot.")
    p.add_argument("--name", required=True, help='e.g. "Huisbezoeken najaar 2026"')
    p.add_argument("--from", dest="first_day", required=True, type=_iso_day, metavar="YYYY-MM-DD", help="first day")
    p.add_argument("--to", dest="last_day", required=True, type=_iso_day, metavar="YYYY-MM-DD", help="last day")
    p.add_argument("--visit-minutes", type=int, default=60, help="length of one visit (default 60)")
    p.add_argument("--buffer-minutes", type=int, default=15, help="travel time between visits (default 15)")
    p.add_argument("--classes", metavar="NAMES",
                   help='only these classes, comma-separated (a school that visits every other year), e.g. '
                   '"Groep 1,Groep 3"; without it the period covers every class')

    sub.add_parser("close-period", parents=[school], help="close the visit period (no new bookings)",
                   description="Close the open visit period: parents can no longer book; planned visits stay.")

    sub.add_parser("send-invitations", parents=[school], help="invite every household of the open period",
                   description="Create an invitation per household and class teacher and queue one message per "
                   "linked guardian. The running bot sends them (at once, or within seconds). Households already "
                   "invited are not invited twice; guardians who link later get theirs on linking.")

    p = sub.add_parser("announce", parents=[school], help="announce the visit period to parents or staff",
                       description="Queue the visit-period announcement (from the catalogs, in each reader's "
                       "language) for an audience. Shows the text per language and asks before sending. The "
                       "running bot sends it within Telegram's limits; --wait prints the report at the end.")
    p.add_argument("--audience", choices=["guardians", "class", "staff"], default="guardians",
                   help="who receives it: guardians (every parent on Telegram, the default), class (the parents "
                   "of one class, name it with --class) or staff (the teachers and the coordinator)")
    p.add_argument("--class", dest="class_name", help="with --audience class: the class name, e.g. 'Groep 5'")
    p.add_argument("--line", action="append", default=[], metavar="LANG=TEXT",
                   help="a personal line under the message for readers of LANG (repeatable)")
    p.add_argument("--yes", action="store_true", help="send without asking")
    p.add_argument("--wait", action="store_true", help="wait until every message is out and print the report")

    p = sub.add_parser("report", parents=[school], help="coverage per class, for the school and per teacher",
                       description="Coverage of the open visit period: pupils, households, linked, invited, booked, "
                       "visited, declined (with reasons), unreachable, share of pupils visited; per teacher visits "
                       "done and planned and hours spent (HOURS_PER_VISIT).")
    p.add_argument("--format", choices=["csv", "text"], default="text",
                   help="text to read (default), or csv for a spreadsheet: one row per class and the school, "
                   "then one per teacher")
    p.add_argument("--output", type=Path, help="write to this file instead of standard output")

    p = sub.add_parser("debrief", parents=[school], help="counts for the team's debrief, per class and for the school",
                       description="For the open visit period (else the one that ended last), per class and for the "
                       "school: visit outcomes, follow-up themes, decline reasons and how families were reached. "
                       "Counts only: no names, no note text. A count of 1 or 2 reads 'fewer than 3'; a count that "
                       "would let one be worked out from the school's total reads 'hidden'.")
    p.add_argument("--format", choices=["csv", "text"], default="text",
                   help="text to read (default), or csv: one row per scope, category and key, with an empty count "
                   "and the reason in the 'suppressed' column (fewer_than_3, hidden) when it is not shown")
    p.add_argument("--output", type=Path, help="write to this file instead of standard output")

    p = sub.add_parser("export-notes", parents=[school],
                       help="write the visit notes of a period as CSV for the pupil tracking system",
                       description="CSV in UTF-8 with BOM, one row per visit: pupil id, date, teacher, venue, "
                       "outcome, each answer, follow-ups. Cells a spreadsheet would run as a formula are "
                       "neutralised. Every export is written to the audit log.")
    p.add_argument("--period", required=True, help="the visit period's name")
    p.add_argument("--output", type=Path, help="file to write (default: standard output)")

    p = sub.add_parser("outbox", parents=[school], help="messages that failed for good: list them, or queue them again",
                       description="Messages the running bot could not deliver after every attempt (Telegram "
                       "refused them, or kept failing). Readers who blocked the bot are not listed: sending again "
                       "would fail again. Without options: how many there are.")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--failed", action="store_true",
                      help="list them: id, kind, for whom, attempts, when created, the last error")
    what.add_argument("--retry", nargs="+", type=int, metavar="ID",
                      help="queue these messages (ids from --failed) again; the running bot sends them")
    what.add_argument("--retry-all", action="store_true", help="queue every message that failed for good again")

    sub.add_parser("demo", help="try homevisit without a token: a visit period played in a minute",
                   description="Start a local Telegram sandbox and the bot on a temporary database, load "
                   "examples/roster.csv and play a visit period, printing what everyone sees. No token, no network.")

    sub.add_parser("run", help="run the bot (long polling, or a webhook with WEBHOOK_URL)",
                   description="Apply migrations, then run the bot: long polling, or webhook mode when WEBHOOK_URL "
                   "is set (with WEBHOOK_SECRET, WEBHOOK_LISTEN, WEBHOOK_PORT). Needs BOT_TOKEN.")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        logs.configure(settings.log_level, settings.worker_name)
        if hasattr(args, "school"):  # a command about one school: that school's settings
            from bot.schools_file import load_schools, pick

            settings = pick(load_schools(settings), args.school)
        if args.command == "run":
            return _run(settings)
        if args.command == "announce":
            return _announce(settings, args)
        if args.command == "demo":
            logs.configure("ERROR", settings.worker_name)  # the transcript is the output
            from bot.demo import main as demo

            return demo()
        return asyncio.run(COMMANDS[args.command](settings, args))
    except ConfigError as exc:
        print(f"homevisit: configuration error: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"homevisit: {exc}", file=sys.stderr)
        return 1


def _run(settings: Settings) -> int:
    from bot.schools_file import load_schools

    for school in load_schools(settings):  # a mistake in the schools file stops us before anything else
        school.require_token()
    asyncio.run(_check_database(settings.database_url))
    from bot.serve import serve
    from db.migrate import upgrade_to_head

    upgrade_to_head(settings.database_url)
    asyncio.run(serve(settings))
    return 0


async def _migrate(settings: Settings, args) -> int:
    from db.migrate import upgrade_to_head_async

    await _check_database(settings.database_url)
    await upgrade_to_head_async(settings.database_url)
    print("database is up to date")
    return 0


async def _import_roster(settings: Settings, args) -> int:
    from bot.services.roster import RosterError, import_roster, parse_roster

    try:
        data = args.path.read_bytes()
    except OSError as exc:
        print(f"homevisit: cannot read {args.path}: {exc.strerror}", file=sys.stderr)
        return 1
    async with _database(settings) as (session, school_id, clock):
        try:
            summary = await import_roster(session, school_id, data, default_language=settings.default_language,
                                          now=clock.now(), dry_run=True)
            if not args.dry_run:
                in_file = len({row.pupil_id for row in parse_roster(data, settings.default_language)})
                if _too_many_removals(summary.pupils_deactivated, in_file) and not args.allow_removals:
                    print(f"homevisit: {args.path} would take {summary.pupils_deactivated} pupils off the roster. "
                          "Is this the whole school? Nothing changed; check with --dry-run, or repeat with "
                          "--allow-removals.", file=sys.stderr)
                    return 1
                summary = await import_roster(session, school_id, data, default_language=settings.default_language,
                                              now=clock.now())
        except RosterError as exc:
            print(f"homevisit: {args.path} was not imported; nothing changed:", file=sys.stderr)
            print(str(exc), file=sys.stderr)
            return 1
    if args.dry_run:
        print("dry run: nothing was written. This is what the import would do:")
    for line in summary.lines():
        print(line)
    if not summary.changed():
        print("nothing to change: the database already matches this roster")
    return 0


async def _add_staff(settings: Settings, args) -> int:
    from bot.services.personal_links import deep_link, issue_token
    from bot.services.staff import StaffError, add_staff

    username = await _bot_username(settings)
    async with _database(settings) as (session, school_id, clock):
        try:
            staff = await add_staff(session, school_id, name=args.name, role=args.role,
                                    language=args.language, now=clock.now())
        except StaffError as exc:
            print(f"homevisit: {exc}", file=sys.stderr)
            return 1
        token = await issue_token(session, now=clock.now(), valid_for=timedelta(days=settings.invite_days_valid),
                                  staff_id=staff.id)
        await session.commit()
    print(f"{staff.role} {staff.name}: {deep_link(username, token)}")
    print(f"The link works once and for {settings.invite_days_valid} days. Send it to {staff.name} personally.")
    return 0


async def _invite_links(settings: Settings, args) -> int:
    from bot.services import web_links
    from bot.services.personal_links import deep_link, issue_pending_links

    username = await _bot_username(settings)
    _check_writable(args.output)
    async with _database(settings) as (session, school_id, clock):
        links = await issue_pending_links(session, school_id, default_language=settings.default_language,
                                          now=clock.now(), valid_for=timedelta(days=settings.invite_days_valid))
        web: dict[str, str] = {}
        if settings.public_url:  # one web page per household with a guardian not on Telegram yet
            tokens = await web_links.issue_for_roster_ids(
                session, school_id, {link.household_id for link in links if link.role == "guardian"}, clock.now())
            await session.commit()
            web = {household: web_links.web_url(settings.public_url, token) for household, token in tokens.items()}
    out = _open_output(args.output)
    try:
        if args.format == "csv":
            writer = csv.writer(out)
            writer.writerow(["role", "name", "pupils", "household_id", "language", "link", "web_link"])
            for link in links:
                cells = (link.role, link.name, "; ".join(link.pupils), link.household_id, link.language,
                         deep_link(username, link.token), web.get(link.household_id, "") if link.household_id else "")
                writer.writerow([safe(cell) for cell in cells])
        else:
            for link in links:
                about = f" (household {link.household_id}: {', '.join(link.pupils)})" if link.role == "guardian" else ""
                out.write(f"{link.role} {link.name}{about} [{link.language}]\n  {deep_link(username, link.token)}\n")
                if link.household_id in web:
                    out.write(f"  web: {web[link.household_id]}\n")
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"{len(links)} links issued; each works once, for {settings.invite_days_valid} days. "
          "Older unused links of the same people no longer work.", file=sys.stderr)
    if web:
        print(f"{len(web)} web pages (one per household): a new link each, the household's older web link no "
              "longer works; the pages open while a visit period is open.", file=sys.stderr)
    else:
        print("No web pages: set PUBLIC_URL to give families without Telegram a web link.", file=sys.stderr)
    return 0


async def _web_link(settings: Settings, args) -> int:
    from bot.services import web_links

    if not settings.public_url:
        print("error: set PUBLIC_URL (the address the web pages are served at) first", file=sys.stderr)
        return 1
    async with _database(settings) as (session, school_id, clock):
        tokens = await web_links.issue_for_roster_ids(session, school_id, {args.household}, clock.now())
        await session.commit()
    if args.household not in tokens:
        print(f"error: no household {args.household!r} on the roster", file=sys.stderr)
        return 1
    print(web_links.web_url(settings.public_url, tokens[args.household]))
    print("The household's older web link no longer works. The page opens while a visit period is open.",
          file=sys.stderr)
    return 0


async def _letters(settings: Settings, args) -> int:
    from bot.documents.letters import FontsMissing, find_fonts, render_letters
    from bot.i18n import Catalogs
    from bot.services.errors import RuleError
    from bot.services.letters import find_class, prepare_letters

    try:
        fonts = find_fonts()
    except FontsMissing as exc:
        raise CommandError(str(exc)) from None
    username = await _bot_username(settings)
    _check_writable(args.output)
    days = settings.invite_days_valid
    async with _database(settings) as (session, school_id, clock):
        try:
            class_id = await find_class(session, school_id, args.class_name) if args.class_name else None
            batch = await prepare_letters(session, school_id, default_language=settings.default_language,
                                          now=clock.now(), valid_for=timedelta(days=days), class_id=class_id,
                                          household=args.household, everyone=args.everyone,
                                          public_url=settings.public_url)
        except RuleError as exc:
            raise CommandError(f"{exc}; no letters were written") from None
    pdf = render_letters(batch, catalogs=Catalogs(), tz=settings.tz, school=settings.school_name,
                         phone=settings.school_phone, bot_username=username, fonts=fonts)
    try:
        args.output.write_bytes(pdf)
    except OSError as exc:
        raise CommandError(f"cannot write {args.output}: {exc.strerror}") from None
    count = len(batch.letters)
    print(f"{count} letter{'' if count == 1 else 's'} written to {args.output} (one A4 page per household)")
    print(f"{batch.fresh_links} fresh link{'' if batch.fresh_links == 1 else 's'}, each working once for {days} days; "
          "older unused links of these guardians no longer work")
    web = batch.fresh_web_links
    if web:
        print(f"{web} fresh web link{'' if web == 1 else 's'}, one per household, to its page for families without "
              f"Telegram; older web links of {'this household' if web == 1 else 'these households'} no longer work")
    else:
        print("No web links on the letters: set PUBLIC_URL to give families without Telegram a web page.",
              file=sys.stderr)
    return 0


def _too_many_removals(removed: int, in_file: int) -> bool:
    """A file that drops more pupils than it holds is more likely a partial export than news."""
    return removed >= 5 and removed > in_file


async def _bot_username(settings: Settings) -> str:
    if settings.bot_username:
        return settings.bot_username
    if not settings.bot_token:
        raise ConfigError("BOT_USERNAME is not set (and there is no BOT_TOKEN to ask Telegram for it): "
                          "set BOT_USERNAME to your bot's username, e.g. BOT_USERNAME=regenboog_huisbezoek_bot")
    from telegram import Bot

    async with Bot(settings.bot_token, base_url=settings.bot_base_url, request=AiohttpRequest()) as bot:
        return bot.username


class _database:
    """Engine, session and school for one CLI command."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __aenter__(self):
        from bot.clock import Clock
        from bot.services.schools import SchoolConflict, ensure_school
        from db.migrate import upgrade_to_head_async
        from db.session import make_engine, make_sessionmaker

        await _check_database(self.settings.database_url)
        # A fresh install works without a separate `migrate` step.
        await upgrade_to_head_async(self.settings.database_url)
        self.engine = make_engine(self.settings.database_url)
        self.session = make_sessionmaker(self.engine)()
        clock = Clock()
        s = self.settings
        try:
            school = await ensure_school(self.session, s.school_name, s.school_timezone, s.default_language,
                                         clock.now(), key=s.school_key)
        except SchoolConflict as exc:
            await self.__aexit__()
            raise ConfigError(str(exc)) from None
        return self.session, school.id, clock

    async def __aexit__(self, *exc) -> None:
        await self.session.close()
        await self.engine.dispose()


class CommandError(Exception):
    """The command cannot do its work; the message (one line) says why. Exit code 1."""


class DatabaseUnavailable(CommandError):
    """DATABASE_URL names a database this process cannot open."""


async def _check_database(url: str) -> None:
    """Connect once before anything else, so that a wrong DATABASE_URL or a server that is
    down is one line naming the database (never its password), not a traceback."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from db.session import is_sqlite, make_engine

    shown = make_url(url).render_as_string(hide_password=True)
    missing = _missing_sqlite_directory(url)
    if missing is not None:  # SQLite would say "unable to open database file"
        raise DatabaseUnavailable(f"cannot use the database {shown}: the directory {missing} does not exist")
    try:
        # asyncpg waits 60 seconds for a host that does not answer; 10 is enough to say so.
        engine = make_engine(url) if is_sqlite(url) else make_engine(url, connect_args={"timeout": 10})
    except Exception as exc:  # an unknown or uninstalled driver, a malformed URL
        raise DatabaseUnavailable(f"cannot use the database {shown}: {_first_line(exc)}") from None
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        raise DatabaseUnavailable(f"cannot use the database {shown}: {_why_not(exc, url)}") from None
    finally:
        await engine.dispose()


def _why_not(exc: BaseException, url: str) -> str:
    """The reason a connection failed, in a few words."""
    import socket

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    if isinstance(exc, ConnectionRefusedError) or "Connect call failed" in str(exc):
        return f"connection refused: is the database server running on {where}?"
    if isinstance(exc, socket.gaierror):
        return f"unknown host {parsed.host!r}"
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return f"no answer from {where} within 10 seconds"
    return _first_line(getattr(exc, "orig", None) or exc)


def _missing_sqlite_directory(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    directory = Path(parsed.database).parent
    return None if directory.is_dir() else directory


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _iso_day(raw: str):
    from datetime import date

    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {raw!r}") from None


async def _open_period(settings: Settings, args) -> int:
    from bot.services.errors import RuleError
    from bot.services.period_scope import UnknownClasses, classes_named, covered_classes
    from bot.services.periods import PeriodDraft, open_period

    draft = PeriodDraft(args.name, args.first_day, args.last_day, args.visit_minutes, args.buffer_minutes)
    async with _database(settings) as (session, school_id, clock):
        try:
            if args.classes is not None:
                class_ids = await classes_named(session, school_id, args.classes.split(","))
                draft = PeriodDraft(draft.name, draft.first_day, draft.last_day, draft.visit_minutes,
                                    draft.buffer_minutes, tuple(class_ids))
            period = await open_period(session, school_id, draft, clock.now())
        except UnknownClasses as exc:
            print(f"homevisit: --classes: {exc}; nothing was opened", file=sys.stderr)
            return 2
        except RuleError as exc:
            print(f"homevisit: {exc}", file=sys.stderr)
            return 1
        covered = await covered_classes(session, period)
    print(f"visit period {period.name!r} is open: {period.first_day} to {period.last_day}, "
          f"{period.visit_minutes} min visits with {period.buffer_minutes} min travel time")
    if covered is not None:
        print(f"it covers {len(covered)} classes: {', '.join(c.name for c in covered)}")
    return 0


async def _close_period(settings: Settings, args) -> int:
    from bot.services.periods import close_period

    async with _database(settings) as (session, school_id, clock):
        period = await close_period(session, school_id, clock.now())
    if period is None:
        print("homevisit: no visit period is open", file=sys.stderr)
        return 1
    print(f"visit period {period.name!r} is closed")
    return 0


async def _send_invitations(settings: Settings, args) -> int:
    from bot.services.invitations import send_invitations
    from bot.services.periods import current_period

    async with _database(settings) as (session, school_id, clock):
        period = await current_period(session, school_id)
        if period is None:
            print("homevisit: no visit period is open; open one with `homevisit open-period`", file=sys.stderr)
            return 1
        report = await send_invitations(session, period, clock.now(), sibling_visits=settings.sibling_visits)
    print(f"{report.households} households invited ({report.invitations_created} invitations); "
          f"{report.messages} messages queued for the bot to send; "
          f"{report.guardians_not_linked} guardians not linked yet get theirs when they link")
    return 0


def _announce(settings: Settings, args) -> int:
    """Preview, ask, queue: the question is asked outside the event loop with no session
    open, so a coordinator who takes their time holds nothing in the database."""
    from bot.languages import normalise_language

    extra = {}
    for item in args.line:
        lang, _, text = item.partition("=")
        code = normalise_language(lang)
        if code is None or not text.strip():
            print(f"homevisit: --line needs LANG=TEXT with a supported language, got {item!r}", file=sys.stderr)
            return 2
        extra[code] = text
    class_id = asyncio.run(_preview_announcement(settings, args, extra))
    if not args.yes and not _confirm("Send? [y/N] "):
        print("nothing sent")
        return 0
    return asyncio.run(_queue_announcement(settings, args, class_id, extra))


async def _preview_announcement(settings: Settings, args, extra: dict[str, str]) -> int | None:
    """Print the text per language and who gets it; the class's id (None: not for a class)."""
    from bot.i18n import Catalogs
    from bot.screens.announce import announcement_text
    from bot.services import broadcasts
    from bot.services.periods import current_period

    async with _database(settings) as (session, school_id, clock):
        period = await current_period(session, school_id)
        if period is None:
            raise CommandError("no visit period is open; open one with `homevisit open-period`")
        class_id = None
        if args.audience == "class":
            match = [c for c in await broadcasts.classes(session, school_id) if c.name == args.class_name]
            if not match:
                raise CommandError(f"no class named {args.class_name!r}")
            class_id = match[0].id
        who = await broadcasts.audience(session, school_id, args.audience, class_id)
        catalogs = Catalogs()
        for lang in await broadcasts.languages_of(session, who.accounts, settings.default_language):
            text = announcement_text(catalogs.translator(lang, settings.tz), settings.school_name, period, extra,
                                     args.audience == "staff")
            print(f"--- {lang} ---\n{text}\n")
    print(f"{who.size} recipients on Telegram; {who.not_linked_people} without Telegram will not get it.",
          flush=True)
    return class_id


def _confirm(question: str) -> bool:
    try:
        answer = input(question)
    except (EOFError, KeyboardInterrupt):  # no terminal (cron), or Ctrl-C: not a yes
        print()
        return False
    return answer.strip().lower() in ("y", "yes", "j", "ja")


async def _queue_announcement(settings: Settings, args, class_id: int | None, extra: dict[str, str]) -> int:
    from bot.services import broadcasts

    async with _database(settings) as (session, school_id, clock):
        broadcast = await broadcasts.create(session, school_id, args.audience, class_id, extra, created_by=None,
                                            progress_account_id=None, now=clock.now())
        print(f"announcement {broadcast.id} queued: the running bot sends it now", flush=True)
        if not args.wait:
            return 0
        shown = None
        while True:
            result = await broadcasts.report(session, broadcast.id)
            c = result.total
            if (c.sent, c.failed, c.blocked) != shown:
                shown = (c.sent, c.failed, c.blocked)
                print(_progress(c), flush=True)
            if result.done:
                break
            await asyncio.sleep(1)
            await session.commit()  # end the read snapshot, see the bot's progress
    print(f"sent {c.sent}, failed {c.failed}, blocked {c.blocked}, without Telegram {c.not_linked}")
    for name, k in result.per_class.items():
        print(f"  {name}: sent {k.sent}, failed {k.failed}, blocked {k.blocked}, without Telegram {k.not_linked}")
    return 0


def _progress(c) -> str:
    """'sent 120 of 600', with the failures so far."""
    line = f"sent {c.sent} of {c.sent + c.failed + c.blocked + c.waiting}"
    if c.failed:
        line += f", {c.failed} failed"
    if c.blocked:
        line += f", {c.blocked} blocked the bot"
    return line


async def _report(settings: Settings, args) -> int:
    from bot.i18n import Catalogs
    from bot.screens.coverage import coverage_text
    from bot.services.coverage import as_csv, of_current_period

    _check_writable(args.output)
    async with _database(settings) as (session, school_id, clock):
        report = await of_current_period(session, school_id, clock.now(), settings.hours_per_visit)
    if args.format == "text":
        _write_report(args.output, coverage_text(Catalogs().translator("en", settings.tz), report) + "\n")
        return 0
    _write_report(args.output, as_csv(report))
    return 0


async def _debrief(settings: Settings, args) -> int:
    from bot.i18n import Catalogs
    from bot.screens.debrief import debrief_table
    from bot.services.debrief import as_csv, of_latest_period

    _check_writable(args.output)
    async with _database(settings) as (session, school_id, _clock):
        report = await of_latest_period(session, school_id)
    if args.format == "text":
        _write_report(args.output, debrief_table(Catalogs().translator("en", settings.tz), report))
    else:
        _write_report(args.output, as_csv(report))
    return 0


def _write_report(path: Path | None, text: str) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    try:
        path.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror}") from None
    print(f"report written to {path}", file=sys.stderr)


def _open_output(path: Path | None):
    if path is None:
        return sys.stdout
    try:
        return path.open("w", newline="", encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror}") from None


def _check_writable(path: Path | None) -> None:
    """Refuse an --output file that cannot be written before anything changes (a fresh set
    of invitation links replaces the old ones: they must not be lost to a typo)."""
    if path is None:
        return
    directory = path.parent
    if path.is_dir():
        raise CommandError(f"cannot write {path}: it is a directory")
    if not directory.is_dir():
        raise CommandError(f"cannot write {path}: the directory {directory} does not exist")
    if not os.access(directory, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CommandError(f"cannot write {path}: permission denied")


async def _export_notes(settings: Settings, args) -> int:
    from bot import questionnaire
    from bot.services.export import ExportError, export_notes

    _check_writable(args.output)
    async with _database(settings) as (session, school_id, clock):
        try:
            data = await export_notes(session, school_id, args.period, questionnaire.load(settings.questionnaire_file),
                                      settings.tz, "cli", clock.now())
        except ExportError as exc:
            print(f"homevisit: {exc}", file=sys.stderr)
            return 1
    if args.output:
        try:
            args.output.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"cannot write {args.output}: {exc.strerror}") from None
        print(f"notes written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return 0


async def _outbox(settings: Settings, args) -> int:
    from bot.services import outbox

    async with _database(settings) as (session, school_id, clock):
        if args.failed:
            messages = await outbox.failed_messages(session, school_id)
            recipients = await _recipients(session, {m.account_id for m in messages})
        elif args.retry or args.retry_all:
            ids = None
            if args.retry:
                failed_ids = {m.id for m in await outbox.failed_messages(session, school_id, limit=1_000_000)}
                ids = list(dict.fromkeys(args.retry))
                unknown = [i for i in ids if i not in failed_ids]
                if unknown:
                    print(f"homevisit: not a message that failed for good: {', '.join(map(str, unknown))}; "
                          "nothing was queued (see `homevisit outbox --failed`)", file=sys.stderr)
                    return 1
            queued = await outbox.retry_failed(session, school_id, ids, clock.now())
            print(f"{_messages(queued)} queued again; the running bot sends them now (quiet hours permitting)")
            return 0
        else:
            count = await outbox.failed_count(session, school_id)
            print(f"{_messages(count)} failed for good" + ("; list them with --failed" if count else ""))
            return 0
    if not messages:
        print("no messages failed for good")
        return 0
    print(f"{_messages(len(messages))} failed for good:")
    print(f"{'id':>7}  {'kind':<20} {'for':<34} {'attempts':>8}  {'created':<16}  reason")
    for m in messages:
        created = m.created_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
        who = recipients.get(m.account_id) or f"account {m.account_id}"
        print(f"{m.id:>7}  {m.kind:<20} {who:<34} {m.attempts:>8}  {created:<16}  {m.reason}")
    print("Queue them again with `homevisit outbox --retry ID ...` or `--retry-all`.")
    return 0


def _messages(n: int) -> str:
    return f"{n} message" + ("" if n == 1 else "s")


async def _recipients(session, account_ids: set[int]) -> dict[int, str]:
    """'guardian NAME' / 'teacher NAME' per account (both, for a teacher who is a parent too)."""
    from sqlalchemy import select

    from db.models import Guardian, Staff

    if not account_ids:
        return {}
    found: dict[int, list[str]] = {}
    staff = await session.execute(select(Staff.account_id, Staff.role, Staff.name)
                                  .where(Staff.account_id.in_(account_ids)))
    guardians = await session.execute(select(Guardian.account_id, Guardian.name)
                                      .where(Guardian.account_id.in_(account_ids)))
    for account_id, role, name in [*staff.all(), *((a, "guardian", n) for a, n in guardians.all())]:
        found.setdefault(account_id, []).append(f"{role} {name}")
    return {account_id: ", ".join(names) for account_id, names in found.items()}


COMMANDS = {
    "outbox": _outbox,
    "report": _report,
    "debrief": _debrief,
    "export-notes": _export_notes,
    "open-period": _open_period,
    "close-period": _close_period,
    "send-invitations": _send_invitations,
    "migrate": _migrate,
    "import-roster": _import_roster,
    "add-staff": _add_staff,
    "invite-links": _invite_links,
    "letters": _letters,
    "web-link": _web_link,
}
