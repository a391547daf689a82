"""`build_application`: the one factory used by `run`, `demo`, the tests and the benchmarks."""
from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot, Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import buttons
from bot.clock import Clock
from bot.config import ConfigError, Settings
from bot.context import HomevisitApplication, HomevisitContext
from bot.dialogs import announce as announce_dialog
from bot.dialogs import availability as availability_dialog
from bot.dialogs import companion as _companion  # noqa: F401  (its buttons: the interpreter typed, asked)
from bot.dialogs import note as note_dialog
from bot.dialogs import period as period_dialog
from bot.dialogs import record as record_dialog
from bot.dialogs import teacher as teacher_dialog
from bot.handlers import (
    calendar,
    calllist,
    coverage,
    dashboard,
    debrief,
    fallback,
    forget,
    guard,
    identity,
    language,
    letters,
    membership,
    start,
    text,
    visits,
)
from bot.handlers import companions as _companions  # noqa: F401  (its buttons: a second visitor)
from bot.handlers import evening as _evening  # noqa: F401  (its buttons: running late, something came up)
from bot.handlers import help as help_handlers
from bot.i18n import Catalogs
from bot.intake import FairUpdateProcessor
from bot.menus import set_default_menus
from bot.outbox import Dispatcher
from bot.questionnaire import QuestionnaireError
from bot.reply_limits import ReplyRateLimiter
from bot.runtime import Runtime
from bot.services import planner
from bot.services.schools import SchoolConflict, ensure_school
from bot.transport import AiohttpRequest
from db.session import make_engine, make_sessionmaker

log = logging.getLogger(__name__)

PLANNER_TICK_SECONDS = 60


def register_handlers(app: HomevisitApplication) -> None:
    """Every handler, in one place. Groups run in order; within a group the first match wins."""
    # Group -2: each update once (Telegram re-delivers what it thinks we missed), who is
    # talking and in which language; drops non-private chats.
    app.add_handler(TypeHandler(Update, identity.load_identity), group=-2)
    # Group -1: a button press must fit a declared button before any handler sees it.
    app.add_handler(TypeHandler(Update, guard.check_button), group=-1)

    private = filters.ChatType.PRIVATE
    app.add_handler(ChatMemberHandler(membership.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    for names, handler in [
        ("start", start.start), ("help", help_handlers.show_help), (["language", "taal"], language.show_menu),
        # Parents.
        (["myvisit", "bezoek"], visits.my_visit), ("forget", forget.ask),
        # Teachers.
        (["availability", "tijden"], availability_dialog.start), ("agenda", teacher_dialog.agenda),
        (["calllist", "bellijst"], calllist.show), (["note", "notitie"], note_dialog.start),
        ("followups", note_dialog.follow_ups), (["calendar", "agendalink"], calendar.show_feed),
        (["families", "gezinnen"], record_dialog.start),
        # The coordinator.
        ("period", period_dialog.start), ("invite", period_dialog.invite), ("announce", announce_dialog.start),
        ("coverage", coverage.show), (["debrief", "nabespreking"], debrief.start),
        ("notes", note_dialog.coordinator_notes),
        (["letters", "brieven"], letters.start),
        ("dashboard", dashboard.start),
    ]:
        app.add_handler(CommandHandler(names, handler, filters=private))
    # Every button, to the handler marked `@on(KIND)` for it (the modules above are imported).
    for kind, handler in buttons.taken():
        app.add_handler(CallbackQueryHandler(handler, pattern=kind.pattern))

    # Last: whatever nobody took gets a kind word and changes nothing.
    app.add_handler(MessageHandler(filters.COMMAND & private, fallback.unknown_command))
    app.add_handler(MessageHandler(private & (filters.TEXT | filters.VOICE) & ~filters.COMMAND, text.on_text))
    app.add_handler(MessageHandler(private & ~filters.COMMAND, fallback.other_message))
    app.add_handler(CallbackQueryHandler(fallback.stale_button))
    app.add_error_handler(fallback.on_error)


async def _post_init(app: HomevisitApplication) -> None:
    if "runtime" not in app.bot_data:
        app.bot_data["runtime"] = await build_runtime(app.bot_data["settings"])
    rt: Runtime = app.bot_data["runtime"]
    # The outbox paces itself and handles 429 itself, so it sends through a Bot of its
    # own, without PTB's rate limiter (which would hide the 429 and retry blindly).
    outbox_bot = Bot(rt.settings.require_token(), base_url=rt.settings.bot_base_url,
                     request=AiohttpRequest(connection_pool_size=8))
    await outbox_bot.initialize()
    app.bot_data["outbox_bot"] = outbox_bot
    dispatcher = Dispatcher(rt, outbox_bot)
    dispatcher.after_batch.append(announce_dialog.progress_listener(rt, app.bot))
    app.bot_data["outbox"] = dispatcher
    if isinstance(app.bot.rate_limiter, ReplyRateLimiter):  # a reply's 429 for the whole bot pauses the outbox too
        app.bot.rate_limiter.on_bot_limit = dispatcher.pause_everywhere
    if app.job_queue is not None:
        # First tick at once: a restarted bot picks up what its predecessor left.
        app.job_queue.run_repeating(_outbox_tick, interval=rt.settings.outbox_tick_seconds, first=1, name="outbox")
        app.job_queue.run_repeating(_planner_tick, interval=PLANNER_TICK_SECONDS, first=PLANNER_TICK_SECONDS,
                                    name="planner")
    await set_default_menus(app.bot, rt)


async def _outbox_tick(context: HomevisitContext) -> None:
    await context.application.bot_data["outbox"].dispatch_due()


async def plan(rt: Runtime) -> int:
    """What the planner tick does (bot/services/planner.py), with this runtime's settings."""
    s = rt.settings
    async with rt.sessionmaker() as session:
        return await planner.plan(session, rt.school_id, rt.clock.now(), tz=s.tz, ladder=rt.ladder,
                                  overview_at=s.teacher_overview_at, note_retention_months=s.note_retention_months)


async def _planner_tick(context: HomevisitContext) -> None:
    if await plan(context.application.bot_data["runtime"]):
        await context.application.bot_data["outbox"].dispatch_due()


async def _post_shutdown(app: HomevisitApplication) -> None:
    dispatcher: Dispatcher | None = app.bot_data.pop("outbox", None)
    if dispatcher is not None:
        try:
            await dispatcher.release_lease()  # another worker may send at once
        except Exception:  # the database is gone: the lease runs out by itself
            log.warning("could not release the outbox lease", exc_info=True)
    outbox_bot = app.bot_data.pop("outbox_bot", None)
    if outbox_bot is not None:
        await outbox_bot.shutdown()
    rt: Runtime | None = app.bot_data.get("runtime")
    if rt is not None and rt.owns_engine:  # a board's shared engine is closed by whoever made it
        await rt.engine.dispose()


async def build_runtime(settings: Settings, clock: Clock | None = None, catalogs: Catalogs | None = None, *,
                        engine: AsyncEngine | None = None) -> Runtime:
    """One school's runtime. Pass the `engine` the schools of a board share (its owner
    disposes of it); without one, the runtime has an engine of its own."""
    clock = clock or Clock()
    owns_engine = engine is None
    engine = engine or make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(engine)
    try:
        async with sessionmaker() as session:
            school = await ensure_school(session, settings.school_name, settings.school_timezone,
                                         settings.default_language, clock.now(), key=settings.school_key)
        runtime = Runtime(settings, clock, engine, sessionmaker, catalogs or Catalogs(), school.id,
                          owns_engine=owns_engine)
        try:
            runtime.questions  # a broken questionnaire file stops start-up, not the first visit note
        except QuestionnaireError as exc:
            where = f"school {settings.school_key!r}: " if settings.school_key else ""
            raise ConfigError(where + str(exc)) from None
    except (ConfigError, SchoolConflict) as exc:
        if owns_engine:
            await engine.dispose()
        raise ConfigError(str(exc)) from None
    return runtime


def build_application(settings: Settings, runtime: Runtime | None = None, *,
                      webhook: bool = False) -> HomevisitApplication:
    """The PTB Application for these settings.

    Pass a `runtime` from `build_runtime` (tests, demo: to share its clock and
    database); without one, it is built when the application initialises.
    """
    builder = ApplicationBuilder()
    if webhook:
        builder = builder.updater(None)  # updates arrive through bot/web.py
    app = (
        builder
        .application_class(HomevisitApplication)
        .token(settings.require_token())
        .base_url(settings.bot_base_url)
        .base_file_url(settings.telegram_api_url.rstrip("/") + "/file/bot")
        .context_types(ContextTypes(context=HomevisitContext))
        # Each person's updates one at a time, CONCURRENT_UPDATES at once overall (bot/intake.py).
        .concurrent_updates(FairUpdateProcessor(settings.concurrent_updates,
                                                in_hand=runtime.updates_in_hand if runtime else None))
        .request(AiohttpRequest(connection_pool_size=16))
        .get_updates_request(AiohttpRequest(connection_pool_size=1, read_timeout=30.0))
        # Replies answer a person's own action: paced per chat only, a 429 waits for that
        # chat alone (bot/reply_limits.py). Outbox messages are paced by the outbox itself.
        .rate_limiter(ReplyRateLimiter(per_chat_seconds=settings.outbox_chat_seconds))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    app.bot_data["settings"] = settings
    if runtime is not None:
        app.bot_data["runtime"] = runtime
    register_handlers(app)
    return app
