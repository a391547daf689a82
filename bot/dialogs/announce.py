"""/announce: the coordinator's announcement of the visit period to a group, in each
reader's language, with an optional personal line per language, a preview, progress
while it goes out, and a report at the end."""
from __future__ import annotations

import logging
import time

from telegram import Update

from bot import callbacks
from bot.context import HomevisitContext
from bot.dialogs import state as dialog_state
from bot.replies import edit_screen, refuse, show, split_text
from bot.dialogs.period import _coordinator
from bot.i18n import Translator
from bot.keyboards import Screen, button, markup, rows
from bot.languages import LANGUAGE_FLAGS, LANGUAGE_NAMES
from bot.runtime import Runtime
from bot.services import broadcasts, periods
from bot.services.broadcasts import BroadcastError, Report
from db.models import Account, Broadcast, VisitPeriod

log = logging.getLogger(__name__)
PROGRESS_EVERY_SECONDS = 2.0


def announcement_text(t: Translator, school: str, period: VisitPeriod, extra: dict[str, str], staff: bool) -> str:
    if staff:
        text = t._("📣 De huisbezoeken van {school} beginnen: {first} t/m {last}.\n\nGeef je tijden door met "
                   "/availability. Zodra de uitnodigingen de deur uit zijn, kiezen de ouders zelf een moment."
                   ).format(school=t.isolate(school), first=t.day(period.first_day), last=t.day(period.last_day))
    else:
        text = t._("📣 Huisbezoeken bij {school}\n\nVan {first} tot en met {last} komen de leerkrachten graag bij "
                   "alle gezinnen op bezoek. Even kennismaken: hoe gaat het thuis, en waar zijn jullie trots op?\n\n"
                   "Je krijgt een uitnodiging van de leerkracht van je kind. Je kiest zelf een moment, of een andere "
                   "plek: op school, in een park, in een café of telefonisch. Nee zeggen mag ook."
                   ).format(school=t.isolate(school), first=t.day(period.first_day), last=t.day(period.last_day))
    # A Flemish reader without a line of their own reads the Dutch one.
    line = extra.get(t.language) or extra.get(t.language.split("_")[0])
    return f"{text}\n\n{line}" if line else text


async def start(update: Update, context: HomevisitContext) -> None:
    if not await _coordinator(update, context):
        return
    t = context.t
    if await periods.current_period(context.session, context.runtime.school_id) is None:
        await update.effective_message.reply_text(t._("Open eerst een bezoekperiode met /period."))
        return
    class_buttons = [button("👪 " + t._("Ouders van {name}").format(name=c.name), "anc", "class", c.id)
                     for c in await broadcasts.classes(context.session, context.runtime.school_id)]
    await update.effective_message.reply_text(t._("Aan wie stuur je de aankondiging?"), reply_markup=markup(
        [button("👪 " + t._("Alle ouders"), "anc", "guardians", 0)],
        [button("🧑‍🏫 " + t._("Alle leerkrachten"), "anc", "staff", 0)],
        *rows(class_buttons, 2)))


async def _menu(context: HomevisitContext, data: dict, lead: str = "") -> Screen:
    t = context.t
    rt = context.runtime
    who = await broadcasts.audience(context.session, rt.school_id, data["audience"], data.get("class_id") or None)
    languages = await broadcasts.languages_of(context.session, who.accounts, rt.settings.default_language)
    period = await periods.current_period(context.session, rt.school_id)
    preview = announcement_text(t, rt.settings.school_name, period, data.get("extra", {}), data["audience"] == "staff")
    lines = [lead] if lead else []
    lines += [t._("Zo ziet je bericht eruit:"), "", preview, "",
              t.ngettext("Het gaat naar {count} persoon met Telegram.", "Het gaat naar {count} personen met Telegram.",
                         who.size).format(count=who.size)]
    not_linked = who.not_linked_people
    if not_linked:
        lines.append(t.ngettext("{count} persoon heeft geen Telegram gekoppeld en krijgt het niet.",
                                "{count} personen hebben geen Telegram gekoppeld en krijgen het niet.",
                                not_linked).format(count=not_linked))
    extra_buttons = [button("✍️ " + t._("Eigen zin: {language}").format(
        language=f"{LANGUAGE_FLAGS[lang]} {LANGUAGE_NAMES[lang]}"), "anl", lang) for lang in languages]
    return Screen("\n".join(lines), markup(
        *rows(extra_buttons, 2),
        [button("👀 " + t._("Voorbeeld in elke taal"), "anp")],
        [button("📨 " + t._("Versturen"), "ans")],
        [button("✖️ " + t._("Stoppen"), "pno")],
    ))


async def on_audience(update: Update, context: HomevisitContext) -> None:
    if not await _coordinator(update, context):
        return
    data = callbacks.parse(update.callback_query.data)
    kind, class_id = data.args[0], data.int_arg(1)
    try:
        await broadcasts.audience(context.session, context.runtime.school_id, kind, class_id or None)
    except BroadcastError:
        await refuse(update, context)
        return
    draft = {"audience": kind, "class_id": class_id, "extra": {}}
    await dialog_state.put(context.session, context.who.account_id, "announce", "menu", draft,
                           context.runtime.clock.now())
    await show(update, await _menu(context, draft))


async def _draft(update: Update, context: HomevisitContext) -> dict | None:
    state = await dialog_state.get(context.session, context.who.account_id, context.runtime.clock.now())
    if state is None or state.flow != "announce":
        await show(update, Screen(context.t._("Begin opnieuw met /announce.")))
        return None
    return dict(state.data)


async def on_line(update: Update, context: HomevisitContext) -> None:
    if not await _coordinator(update, context):
        return
    draft = await _draft(update, context)
    data = callbacks.parse(update.callback_query.data)
    if draft is None:
        return
    lang = data.args[0] if data.args else ""
    if lang not in LANGUAGE_NAMES:
        await refuse(update, context)
        return
    draft["line_language"] = lang
    await dialog_state.put(context.session, context.who.account_id, "announce", "line", draft,
                           context.runtime.clock.now())
    await update.callback_query.answer()
    await update.effective_message.reply_text(context.t._(
        "Typ de zin die onder het bericht komt voor wie {language} leest. Schrijf hem in die taal.").format(
        language=LANGUAGE_NAMES[lang]))


async def on_text(update: Update, context: HomevisitContext) -> bool:
    state = await dialog_state.get(context.session, context.who.account_id, context.runtime.clock.now())
    if state is None or state.flow != "announce" or state.step != "line" or not context.who.is_coordinator:
        return False
    draft = dict(state.data)
    lang = draft.pop("line_language")
    draft["extra"] = {**draft.get("extra", {}), lang: (update.effective_message.text or "")[:broadcasts.MAX_EXTRA]}
    await dialog_state.put(context.session, context.who.account_id, "announce", "menu", draft,
                           context.runtime.clock.now())
    screen = await _menu(context, draft, "✅ " + context.t._("Toegevoegd."))
    await update.effective_message.reply_text(screen.text, reply_markup=screen.markup)
    return True


async def on_preview(update: Update, context: HomevisitContext) -> None:
    if not await _coordinator(update, context):
        return
    draft = await _draft(update, context)
    if draft is None:
        return
    rt = context.runtime
    who = await broadcasts.audience(context.session, rt.school_id, draft["audience"], draft.get("class_id") or None)
    period = await periods.current_period(context.session, rt.school_id)
    await update.callback_query.answer()
    for lang in await broadcasts.languages_of(context.session, who.accounts, rt.settings.default_language):
        reader = rt.translator(lang)
        text = announcement_text(reader, rt.settings.school_name, period, draft.get("extra", {}),
                                 draft["audience"] == "staff")
        await update.effective_message.reply_text(f"{LANGUAGE_FLAGS[lang]} {LANGUAGE_NAMES[lang]}\n\n{text}")
    screen = await _menu(context, draft)
    await update.effective_message.reply_text(screen.text, reply_markup=screen.markup)


async def on_send(update: Update, context: HomevisitContext) -> None:
    if not await _coordinator(update, context):
        return
    draft = await _draft(update, context)
    if draft is None:
        return
    t = context.t
    rt = context.runtime
    broadcast = await broadcasts.create(
        context.session, rt.school_id, draft["audience"], draft.get("class_id") or None, draft.get("extra", {}),
        created_by=context.who.staff.id, progress_account_id=context.who.account_id, now=rt.clock.now())
    await dialog_state.clear(context.session, context.who.account_id)
    await update.callback_query.answer()
    await update.callback_query.edit_message_reply_markup(None)
    result = await broadcasts.report(context.session, broadcast.id)
    message = await update.effective_message.reply_text(_progress_text(t, result))
    broadcast = await context.session.get(Broadcast, broadcast.id)
    broadcast.progress_message_id = message.message_id
    await context.session.commit()
    if result.done:
        await broadcasts.finish_if_done(context.session, broadcast.id, rt.clock.now())
        for part in split_text(report_text(t, result)):
            await update.effective_message.reply_text(part)


def _progress_text(t: Translator, result: Report) -> str:
    c = result.total
    done = c.sent + c.failed + c.blocked
    return t._("📣 Versturen: {done} van {total}").format(done=done, total=done + c.waiting)


def report_text(t: Translator, result: Report) -> str:
    c = result.total
    lines = [t._("📣 Klaar! Je aankondiging is verstuurd."), "",
             t._("✅ Aangekomen: {count}").format(count=c.sent),
             t._("⚠️ Niet gelukt: {count}").format(count=c.failed),
             t._("🚫 Bot geblokkeerd: {count}").format(count=c.blocked),
             t._("📵 Zonder Telegram: {count}").format(count=c.not_linked)]
    if c.failed:
        lines.append(t._("Wat niet lukte, zie je in /coverage; daar kun je het opnieuw laten proberen."))
    if len(result.per_class) > 1 or broadcasts.STAFF_BUCKET not in result.per_class:
        lines += ["", t._("Per groep:")]
        for name, k in result.per_class.items():
            lines.append(t._("{name}: {sent} aangekomen, {failed} niet gelukt, {blocked} geblokkeerd, "
                             "{not_linked} zonder Telegram").format(name=t.isolate(name), sent=k.sent, failed=k.failed,
                                                                    blocked=k.blocked, not_linked=k.not_linked))
    return "\n".join(lines)


def progress_listener(runtime: Runtime, bot):
    """After each outbox batch: update the coordinator's progress message; report when done."""
    last_edit: dict[int, float] = {}

    async def on_batch(outbox_ids: list[int]) -> None:
        async with runtime.sessionmaker() as session:
            for broadcast_id in await broadcasts.broadcasts_of(session, outbox_ids):
                broadcast = await session.get(Broadcast, broadcast_id)
                account = await session.get(Account, broadcast.progress_account_id) \
                    if broadcast.progress_account_id else None
                finished = await broadcasts.finish_if_done(session, broadcast_id, runtime.clock.now())
                if account is None:
                    continue
                t = runtime.translator(await _reader_language(session, runtime, account))
                if finished is not None:
                    await _edit(bot, account.chat_id, broadcast.progress_message_id, _progress_text(t, finished))
                    for part in split_text(report_text(t, finished)):  # a school of 48 classes: several messages
                        await bot.send_message(account.chat_id, part)
                    continue
                if time.monotonic() - last_edit.get(broadcast_id, 0.0) >= PROGRESS_EVERY_SECONDS:
                    last_edit[broadcast_id] = time.monotonic()
                    current = await broadcasts.report(session, broadcast_id)
                    await _edit(bot, account.chat_id, broadcast.progress_message_id, _progress_text(t, current))

    return on_batch


async def _reader_language(session, runtime: Runtime, account: Account) -> str:
    from bot.services.accounts import identify

    return (await identify(session, account)).language(runtime.settings.default_language)


async def _edit(bot, chat_id: int, message_id: int | None, text: str) -> None:
    if message_id is None:
        return
    try:
        await edit_screen(bot, chat_id, message_id, Screen(text))
    except Exception:  # the message was deleted, the chat blocked the bot: progress is best effort
        log.warning("progress message of a broadcast could not be updated", exc_info=True)
