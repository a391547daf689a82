"""/note: after a visit the teacher records how it went, one question at a time (text
or a voice message, each skippable), with follow-ups, a summary, and save. The note
can be changed for 24 hours. /notes lets the coordinator read them (audit-logged)."""
from __future__ import annotations

import logging

from telegram import Update

from bot import callbacks
from bot.context import HomevisitContext
from bot.dialogs import state as dialog_state
from bot.paging import Page, page_screen, paginate
from bot.handlers.paged import COORDINATOR, TEACHERS, Audience, paged
from bot.replies import put, refuse, reply_long, show
from bot.i18n import N_, Translator
from bot.keyboards import Screen, button, markup, rows
from bot.services import notes
from bot.services.invitations import NotAllowed
from bot.services.notes import NoteLocked, NoteView, Reader
from db.models import FOLLOW_UP_KINDS

log = logging.getLogger(__name__)

BUTTONS_PER_PAGE = 10
LABEL_MAX = 60  # characters of a list button's label

OUTCOME_LABELS = {
    "done": N_("Bezoek gedaan"),
    "at_school": N_("Toch op school gesproken"),
    "by_phone": N_("Toch telefonisch gesproken"),
    "not_home": N_("Het gezin was er niet"),
}
OUTCOME_ICONS = {"done": "✅", "at_school": "🏫", "by_phone": "📞", "not_home": "🚪"}
FOLLOW_UP_LABELS = {
    "books": N_("Boeken van school"),
    "library": N_("Lidmaatschap bibliotheek"),
    "homework_place": N_("Plek voor huiswerk"),
    "care_talk": N_("Gesprek met de intern begeleider"),
    "other": N_("Iets anders"),
}
FOLLOW_UP_ICONS = {"books": "📚", "library": "🏛", "homework_place": "🪑", "care_talk": "🤝", "other": "📌"}


def _staff(context: HomevisitContext):
    return context.who.staff


async def _visits_screen(context: HomevisitContext, index: int) -> Screen:
    t = context.t
    items = await notes.visits_to_note(context.session, context.who.staff.id, context.runtime.clock.now())
    if not items:
        return Screen(t._("Er zijn nog geen bezoeken om een notitie over te schrijven."))
    labels = [f"{t.short_day(i.appointment.starts_at)} {t.time(i.appointment.starts_at)} {', '.join(i.children)}"
              for i in items]
    page = paginate(labels, index, most=BUTTONS_PER_PAGE)
    buttons = [button("👁 " + labels[k][:LABEL_MAX], "nv", items[k].note_id) if items[k].note_id
               else button("📝 " + labels[k][:LABEL_MAX], "nt", items[k].appointment.id)
               for k in range(page.start, page.end)]
    return page_screen(t, t._("Over welk bezoek? Vandaag en de laatste weken:"), [], page, "ntp",
                       buttons=rows(buttons, 1))


TEACHERS_OF_A_CLASS = Audience(lambda who: who.is_teacher, TEACHERS.refusal)
start, on_visits_page = paged(TEACHERS_OF_A_CLASS, _visits_screen)  # /note, and ntp:<page>


async def on_pick(update: Update, context: HomevisitContext) -> None:
    """nt:<appointment>: ask how the visit went."""
    data = callbacks.parse(update.callback_query.data)
    staff = _staff(context)
    try:
        appointment = await notes.may_write(context.session, data.int_arg(0), staff.id if staff else -1)
    except NotAllowed:
        await refuse(update, context)
        return
    except NoteLocked:
        await show(update, Screen(context.t._("Over dit bezoek is al een notitie. Kies hem in /note om hem te bekijken.")))
        return
    t = context.t
    buttons = [button(f"{OUTCOME_ICONS[o]} {t._(OUTCOME_LABELS[o])}", "no", appointment.id, o) for o in OUTCOME_LABELS]
    await show(update, Screen(t._("Hoe ging het bezoek van {when}?").format(when=t.day_and_time(appointment.starts_at)),
                              markup(*rows(buttons, 1))))


async def on_outcome(update: Update, context: HomevisitContext) -> None:
    """no:<appointment>:<outcome>"""
    data = callbacks.parse(update.callback_query.data)
    staff = _staff(context)
    outcome = data.args[1] if len(data.args) > 1 else ""
    if outcome not in OUTCOME_LABELS:
        await refuse(update, context)
        return
    try:
        await notes.may_write(context.session, data.int_arg(0), staff.id if staff else -1)
    except NotAllowed:
        await refuse(update, context)
        return
    except NoteLocked:
        await show(update, Screen(context.t._("Over dit bezoek is al een notitie. Kies hem in /note om hem te bekijken.")))
        return
    t = context.t
    if outcome == "not_home":
        await notes.save(context.session, data.int_arg(0), staff.id, "not_home", {}, [], context.runtime.clock.now())
        await show(update, Screen(t._("Jammer. Het gezin krijgt een vriendelijk bericht en kan een nieuw moment "
                                      "kiezen.")))
        return
    draft = {"appointment": data.int_arg(0), "outcome": outcome, "index": 0, "answers": {}, "follow_ups": []}
    await _ask(update, context, draft)


async def _ask(update: Update, context: HomevisitContext, draft: dict, *, edit: bool = True) -> None:
    t = context.t
    questions = context.runtime.questions
    index = draft["index"]
    await dialog_state.put(context.session, context.who.account_id, "note", "answer", draft,
                           context.runtime.clock.now())
    if index >= len(questions):
        await _follow_up_menu(update, context, draft, edit=edit)
        return
    text = t._("Vraag {number} van {total}: {question}\n\nTyp je antwoord of stuur een spraakbericht.").format(
        number=index + 1, total=len(questions), question=questions[index].text(t))
    screen = Screen(text, markup([button("⏭ " + t._("Overslaan"), "nq", draft["appointment"], index)]))
    await put(update, screen, edit=edit)


async def _draft(context: HomevisitContext, appointment_id: int | None = None) -> dict | None:
    state = await dialog_state.get(context.session, context.who.account_id, context.runtime.clock.now())
    if state is None or state.flow != "note":
        return None
    if appointment_id is not None and state.data.get("appointment") != appointment_id:
        return None
    return dict(state.data)


async def on_skip(update: Update, context: HomevisitContext) -> None:
    """nq:<appointment>:<index>"""
    data = callbacks.parse(update.callback_query.data)
    draft = await _draft(context, data.int_arg(0))
    if draft is None or draft["index"] != data.int_arg(1):
        await show(update, Screen(context.t._("Deze vraag is al voorbij. Ga verder met /note.")))
        return
    draft["index"] += 1
    await _ask(update, context, draft)


async def on_answer(update: Update, context: HomevisitContext) -> bool:
    """A typed or spoken answer while the note dialog waits for one. False when it does not."""
    state = await dialog_state.get(context.session, context.who.account_id, context.runtime.clock.now())
    if state is None or state.flow != "note" or context.who.staff is None:
        return False
    draft = dict(state.data)
    message = update.effective_message
    if message.voice is not None:
        # Read the duration as Telegram sent it (seconds): PTB is changing the attribute's type.
        answer = {"voice": message.voice.file_id, "seconds": int(message.voice.to_dict().get("duration") or 0)}
    else:
        answer = {"text": message.text or ""}
    if state.step == "fu_line":
        kind = draft.pop("fu_kind")
        text = (message.text or "").strip()[:300] if message.voice is None else ""
        draft["follow_ups"] = [*draft["follow_ups"], [kind, text or None]]
        await _follow_up_menu(update, context, draft, edit=False)
        return True
    if state.step == "edit":
        await _save_change(update, context, draft, answer)
        return True
    questions = context.runtime.questions
    if draft["index"] < len(questions):
        draft["answers"] = {**draft["answers"], questions[draft["index"]].key: answer}
        draft["index"] += 1
    await _ask(update, context, draft, edit=False)
    return True


async def _follow_up_menu(update: Update, context: HomevisitContext, draft: dict, *, edit: bool) -> None:
    t = context.t
    await dialog_state.put(context.session, context.who.account_id, "note", "follow_ups", draft,
                           context.runtime.clock.now())
    chosen = [kind for kind, _ in draft["follow_ups"]]
    lines = [t._("Afspraken om op te volgen? Tik wat van toepassing is, en daarna op Klaar.")]
    lines += [f"{FOLLOW_UP_ICONS[k]} {t._(FOLLOW_UP_LABELS[k])}" + (f": {text}" if text else "")
              for k, text in draft["follow_ups"]]
    buttons = [button(f"{FOLLOW_UP_ICONS[k]} {t._(FOLLOW_UP_LABELS[k])}" + (" ✓" if k in chosen else ""),
                      "nf", draft["appointment"], k) for k in FOLLOW_UP_KINDS]
    await put(update, Screen("\n".join(lines), markup(*rows(buttons, 2),
                                                     [button("✔️ " + t._("Klaar"), "nd", draft["appointment"])])),
              edit=edit)


async def on_follow_up(update: Update, context: HomevisitContext) -> None:
    """nf:<appointment>:<kind>: tick a follow-up (then ask for an optional line), or untick
    one that is ticked already; pressed twice in a row, it is asked about once."""
    data = callbacks.parse(update.callback_query.data)
    draft = await _draft(context, data.int_arg(0))
    kind = data.args[1]
    if draft is None:
        await refuse(update, context)
        return
    if draft.get("fu_kind") == kind:  # a double tap: the question is on the screen already
        await update.callback_query.answer()
        return
    if any(k == kind for k, _ in draft["follow_ups"]):
        draft["follow_ups"] = [f for f in draft["follow_ups"] if f[0] != kind]
        draft.pop("fu_kind", None)
        await _follow_up_menu(update, context, draft, edit=True)
        return
    draft["fu_kind"] = kind
    await dialog_state.put(context.session, context.who.account_id, "note", "fu_line", draft,
                           context.runtime.clock.now())
    t = context.t
    await show(update, Screen(t._("{item}: wil je er iets bij zetten? Typ het, of tik op Geen toelichting.").format(
        item=t._(FOLLOW_UP_LABELS[kind])), markup([button(t._("Geen toelichting"), "nfx", data.int_arg(0))])))


async def on_follow_up_plain(update: Update, context: HomevisitContext) -> None:
    """nfx:<appointment>: the ticked follow-up without a line (pressed twice: the menu, once)."""
    data = callbacks.parse(update.callback_query.data)
    draft = await _draft(context, data.int_arg(0))
    if draft is None:
        await refuse(update, context)
        return
    if "fu_kind" in draft:
        draft["follow_ups"] = [*draft["follow_ups"], [draft.pop("fu_kind"), None]]
    await _follow_up_menu(update, context, draft, edit=True)


PREVIEW_ANSWER = 500  # characters of an answer in the summary before saving; the whole answer is kept


def _summary(t: Translator, questions, outcome: str, answers: dict, follow_ups, *,
             preview: bool = False) -> list[str]:
    lines = [f"{OUTCOME_ICONS[outcome]} {t._(OUTCOME_LABELS[outcome])}"]
    for q in questions:
        answer = answers.get(q.key)
        if answer is None:
            value = "–"
        elif answer.get("voice"):
            value = "🎤 " + t._("spraakbericht ({seconds} s)").format(seconds=answer.get("seconds", 0))
        else:
            value = answer["text"]
            if preview and len(value) > PREVIEW_ANSWER:  # the summary must fit one message; shortened visibly
                value = value[:PREVIEW_ANSWER].rstrip() + " …"
        lines.append(f"• {q.text(t)}\n  {value}")
    for kind, text in follow_ups:
        lines.append(f"{FOLLOW_UP_ICONS[kind]} {t._(FOLLOW_UP_LABELS[kind])}" + (f": {text}" if text else ""))
    return lines


async def on_done(update: Update, context: HomevisitContext) -> None:
    """nd:<appointment>: the summary, with save."""
    data = callbacks.parse(update.callback_query.data)
    draft = await _draft(context, data.int_arg(0))
    if draft is None:
        await refuse(update, context)
        return
    t = context.t
    lines = [t._("Klopt je notitie?"), ""] + _summary(t, context.runtime.questions, draft["outcome"],
                                                        draft["answers"], draft["follow_ups"], preview=True)
    await show(update, Screen("\n".join(lines), markup([button("💾 " + t._("Opslaan"), "ns", draft["appointment"])])))


async def on_save(update: Update, context: HomevisitContext) -> None:
    data = callbacks.parse(update.callback_query.data)
    draft = await _draft(context, data.int_arg(0))
    staff = _staff(context)
    if draft is None or staff is None:
        await refuse(update, context)
        return
    t = context.t
    try:
        await notes.save(context.session, draft["appointment"], staff.id, draft["outcome"], draft["answers"],
                         [tuple(f) for f in draft["follow_ups"]], context.runtime.clock.now())
    except NotAllowed:
        await refuse(update, context)
        return
    except NoteLocked:
        await show(update, Screen(t._("Over dit bezoek is al een notitie. Kies hem in /note om hem te bekijken.")))
        return
    finally:
        await dialog_state.clear(context.session, context.who.account_id)
    await show(update, Screen(t._("💾 Opgeslagen. Je kunt de notitie nog 24 uur aanpassen via /note.")))


def note_screen(t: Translator, questions, v: NoteView) -> Screen:
    lines = [t._("Notitie over het bezoek van {when}, {children}").format(
        when=t.day_and_time(v.appointment.starts_at), children=t.isolate(", ".join(v.children))),
        t._("Geschreven door {author}").format(author=t.isolate(v.author)), ""]
    lines += _summary(t, questions, v.note.outcome, v.note.answers or {},
                      [(f.kind, f.text) for f in v.follow_ups])
    buttons = []
    if v.editable:
        buttons = [button("✏️ " + q.text(t)[:40], "ne", v.note.id, i) for i, q in enumerate(questions)]
    return Screen("\n".join(lines), markup(*rows(buttons, 1)))


async def on_view(update: Update, context: HomevisitContext) -> None:
    """nv:<note>: for its author and the coordinator only."""
    data = callbacks.parse(update.callback_query.data)
    staff = _staff(context)
    try:
        v = await notes.read(context.session, data.int_arg(0),
                             Reader(staff.id if staff else None, context.who.is_coordinator),
                             context.runtime.clock.now())
    except NotAllowed:
        await refuse(update, context)
        return
    await update.callback_query.answer()
    await reply_long(update, note_screen(context.t, context.runtime.questions, v))


async def on_edit(update: Update, context: HomevisitContext) -> None:
    """ne:<note>:<question index>: give that answer again."""
    data = callbacks.parse(update.callback_query.data)
    staff = _staff(context)
    t = context.t
    try:
        v = await notes.read(context.session, data.int_arg(0), Reader(staff.id if staff else None, False),
                             context.runtime.clock.now())
    except NotAllowed:
        await refuse(update, context)
        return
    questions = context.runtime.questions
    index = data.int_arg(1)
    if not v.editable:
        await update.callback_query.answer(t._("Een notitie kun je 24 uur aanpassen. Die tijd is voorbij."),
                                           show_alert=True)
        return
    if not 0 <= index < len(questions):
        await refuse(update, context)
        return
    await dialog_state.put(context.session, context.who.account_id, "note", "edit",
                           {"note": v.note.id, "key": questions[index].key}, context.runtime.clock.now())
    await update.callback_query.answer()
    await update.effective_message.reply_text(
        t._("{question}\n\nTyp het nieuwe antwoord of stuur een spraakbericht.").format(question=questions[index].text(t)))


async def _save_change(update: Update, context: HomevisitContext, draft: dict, answer: dict) -> None:
    t = context.t
    await dialog_state.clear(context.session, context.who.account_id)
    try:
        await notes.change_answer(context.session, draft["note"], context.who.staff.id, draft["key"], answer,
                                  context.runtime.clock.now())
    except NoteLocked:
        await update.effective_message.reply_text(t._("Een notitie kun je 24 uur aanpassen. Die tijd is voorbij."))
        return
    except NotAllowed:
        return
    v = await notes.read(context.session, draft["note"], Reader(context.who.staff.id, False),
                         context.runtime.clock.now())
    screen = note_screen(t, context.runtime.questions, v)
    await reply_long(update, Screen("💾 " + t._("Aangepast.") + "\n\n" + screen.text, screen.markup))


async def _notes_screen(context: HomevisitContext, index: int) -> Screen:
    t = context.t
    total = await notes.count_notes(context.session, context.runtime.school_id)
    if not total:
        return Screen(t._("Er zijn nog geen notities."))
    pages = max(1, -(-total // BUTTONS_PER_PAGE))
    index = max(0, min(index, pages - 1))
    shown = await notes.recent_notes(context.session, context.runtime.school_id, limit=BUTTONS_PER_PAGE,
                                     offset=index * BUTTONS_PER_PAGE)
    buttons = [button(f"👁 {t.short_day(a.starts_at)} · {t._(OUTCOME_LABELS[n.outcome])} · #{n.id}", "nv", n.id)
               for n, a in shown]
    return page_screen(t, t._("De laatste notities. Wie een notitie opent, staat in het logboek."), [],
                       Page(index, pages, 0, len(shown)), "nlp", buttons=rows(buttons, 1))


async def _follow_ups_screen(context: HomevisitContext, index: int, lead: str = "") -> Screen:
    t = context.t
    items = await notes.open_follow_ups(context.session, context.who.staff.id)
    if not items:
        return Screen(((lead + "\n\n") if lead else "") + t._("Geen open afspraken. Goed bezig!"))
    labels = [f"{FOLLOW_UP_ICONS[f.kind]} {t._(FOLLOW_UP_LABELS[f.kind])} – {', '.join(children)}"
              for f, children in items]
    lines = [label + (f": {f.text}" if f.text else "") for label, (f, _) in zip(labels, items)]
    page = paginate(lines, index, most=BUTTONS_PER_PAGE, separator="\n")
    header = t.ngettext("Open afspraak ({count}):", "Open afspraken ({count}):", len(items)).format(count=len(items))
    buttons = [button("✅ " + labels[k][:LABEL_MAX], "fd", items[k][0].id, page.index)
               for k in range(page.start, page.end)]
    screen = page_screen(t, header, lines[page.start:page.end], page, "fup", buttons=rows(buttons, 1),
                         separator="\n")
    return Screen(f"{lead}\n\n{screen.text}", screen.markup) if lead else screen


coordinator_notes, on_notes_page = paged(COORDINATOR, _notes_screen)  # /notes, and nlp:<page>
follow_ups, on_follow_ups_page = paged(TEACHERS, _follow_ups_screen)  # /followups, and fup:<page>


async def on_follow_up_done(update: Update, context: HomevisitContext) -> None:
    """fd:<follow-up>:<page>: tick it off and show the same page again."""
    data = callbacks.parse(update.callback_query.data)
    staff = _staff(context)
    try:
        await notes.tick_off(context.session, data.int_arg(0), staff.id if staff else -1, context.runtime.clock.now())
    except NotAllowed:
        await refuse(update, context)
        return
    await show(update, await _follow_ups_screen(context, data.int_arg(1), lead="✅ " + context.t._("Afgevinkt.")))
