"""/note: after a visit the teacher records how it went, one question at a time (text
or a voice message, each skippable), with follow-ups, a summary, and save. The note
can be changed for 24 hours. /notes lets the coordinator read them (audit-logged);
/followups lists what was agreed. The screens are in `bot/screens/notes.py`.

The draft lives in the dialog state (flow "note"), so a restart or a second worker
carries on with it; a button of the draft's flow names its appointment, and a press for
another appointment than the draft's changes nothing.
"""
from __future__ import annotations

import functools

from telegram import Update

from bot.buttons import on
from bot.context import HomevisitContext
from bot.dialogs.drafts import with_draft
from bot.handlers.guards import COORDINATOR, STAFF, TEACHER, requires
from bot.handlers.paged import paged
from bot.replies import put, refuse, reply, reply_long, show
from bot.screens.keyboard import Screen
from bot.screens.notes import (
    BUTTONS_PER_PAGE,
    FOLLOW_UP_DONE,
    FOLLOW_UPS,
    NOTE,
    NOTE_DONE,
    NOTE_EDIT,
    NOTE_FOLLOW_UP,
    NOTE_NO_LINE,
    NOTE_OUTCOME,
    NOTE_SAVE,
    NOTE_SKIP,
    NOTE_VIEW,
    NOTES,
    VISITS,
    draft_summary_screen,
    edit_question,
    follow_up_line_screen,
    follow_up_menu,
    follow_ups_screen,
    has_note_screen,
    locked_text,
    not_home_screen,
    note_screen,
    notes_screen,
    outcome_screen,
    question_gone_screen,
    question_screen,
    saved_screen,
    visits_screen,
)
from bot.services import dialog_state, notes
from bot.services.errors import NotAllowed
from bot.services.notes import NoteLocked, Reader
from db.models import DialogState

FOLLOW_UP_LINE_MAX = 300


def unwritten_visit(handler):
    """The press names a visit of the teacher's own that has no note yet (`press.appointment`);
    the handler gets the appointment."""

    @requires(STAFF)
    @functools.wraps(handler)
    async def guarded(update: Update, context: HomevisitContext) -> None:
        try:
            appointment = await notes.may_write(context.session, context.press.appointment, context.who.staff.id)
        except NotAllowed:
            await refuse(update, context)
            return
        except NoteLocked:
            await show(update, has_note_screen(context.t))
            return
        await handler(update, context, appointment)

    return guarded


@on(NOTE)
@unwritten_visit
async def on_pick(update: Update, context: HomevisitContext, appointment) -> None:
    """Ask how the visit went."""
    await show(update, outcome_screen(context.t, appointment))


@on(NOTE_OUTCOME)
@unwritten_visit
async def on_outcome(update: Update, context: HomevisitContext, appointment) -> None:
    press = context.press
    if press.outcome == "not_home":
        await notes.save(context.session, press.appointment, context.who.staff.id, "not_home", {}, [],
                         context.runtime.clock.now())
        await show(update, not_home_screen(context.t))
        return
    draft = {"appointment": press.appointment, "outcome": press.outcome, "index": 0, "answers": {},
             "follow_ups": []}
    await _ask(update, context, draft)


async def _ask(update: Update, context: HomevisitContext, draft: dict, *, edit: bool = True) -> None:
    """The next question, or the follow-ups when the questions are done."""
    questions = context.runtime.questions
    if draft["index"] >= len(questions):
        await _follow_up_menu(update, context, draft, edit=edit)
        return
    await _keep(context, "answer", draft)
    await put(update, question_screen(context.t, questions, draft["appointment"], draft["index"]), edit=edit)


async def _keep(context: HomevisitContext, step: str, draft: dict) -> None:
    await dialog_state.put(context.session, context.who.account_id, "note", step, draft, context.runtime.clock.now())


def _this_visit(draft: dict, press) -> bool:
    """A note button acts on the draft of the appointment it names, the one being written."""
    return draft.get("appointment") == press.appointment


this_note = with_draft("note", same=_this_visit)


@on(NOTE_SKIP)
@with_draft("note", same=lambda draft, press: _this_visit(draft, press) and draft["index"] == press.index,
            missing=lambda t, press: question_gone_screen(t))
async def on_skip(update: Update, context: HomevisitContext, draft: dict) -> None:
    draft["index"] += 1
    await _ask(update, context, draft)


async def on_answer(update: Update, context: HomevisitContext, state: DialogState) -> None:
    """A typed or spoken answer while the note dialog waits for one."""
    draft = dict(state.data)
    message = update.effective_message
    if message.voice is not None:
        # Read the duration as Telegram sent it (seconds): PTB is changing the attribute's type.
        answer = {"voice": message.voice.file_id, "seconds": int(message.voice.to_dict().get("duration") or 0)}
    else:
        answer = {"text": message.text or ""}
    if state.step == "fu_line":
        text = (message.text or "").strip()[:FOLLOW_UP_LINE_MAX] if message.voice is None else ""
        draft["follow_ups"] = [*draft["follow_ups"], [draft.pop("fu_kind"), text or None]]
        await _follow_up_menu(update, context, draft, edit=False)
    elif state.step == "edit":
        await _save_change(update, context, draft, answer)
    else:
        questions = context.runtime.questions
        if draft["index"] < len(questions):
            draft["answers"] = {**draft["answers"], questions[draft["index"]].key: answer}
            draft["index"] += 1
        await _ask(update, context, draft, edit=False)


async def _follow_up_menu(update: Update, context: HomevisitContext, draft: dict, *, edit: bool) -> None:
    await _keep(context, "follow_ups", draft)
    await put(update, follow_up_menu(context.t, draft["appointment"], draft["follow_ups"]), edit=edit)


@on(NOTE_FOLLOW_UP)
@this_note
async def on_follow_up(update: Update, context: HomevisitContext, draft: dict) -> None:
    """Tick a follow-up (then ask for an optional line), or untick one that is ticked
    already; pressed twice in a row, it is asked about once."""
    kind = context.press.kind
    if draft.get("fu_kind") == kind:  # a double tap: the question is on the screen already
        await update.callback_query.answer()
        return
    if any(k == kind for k, _ in draft["follow_ups"]):
        draft["follow_ups"] = [f for f in draft["follow_ups"] if f[0] != kind]
        draft.pop("fu_kind", None)
        await _follow_up_menu(update, context, draft, edit=True)
        return
    draft["fu_kind"] = kind
    await _keep(context, "fu_line", draft)
    await show(update, follow_up_line_screen(context.t, draft["appointment"], kind))


@on(NOTE_NO_LINE)
@this_note
async def on_follow_up_plain(update: Update, context: HomevisitContext, draft: dict) -> None:
    """The ticked follow-up without a line (pressed twice: the menu, once)."""
    if "fu_kind" in draft:
        draft["follow_ups"] = [*draft["follow_ups"], [draft.pop("fu_kind"), None]]
    await _follow_up_menu(update, context, draft, edit=True)


@on(NOTE_DONE)
@this_note
async def on_done(update: Update, context: HomevisitContext, draft: dict) -> None:
    """The summary, with save."""
    await show(update, draft_summary_screen(context.t, context.runtime.questions, draft))


@on(NOTE_SAVE)
@requires(STAFF)
@this_note
async def on_save(update: Update, context: HomevisitContext, draft: dict) -> None:
    try:
        await notes.save(context.session, draft["appointment"], context.who.staff.id, draft["outcome"],
                         draft["answers"], [tuple(f) for f in draft["follow_ups"]], context.runtime.clock.now())
    except NotAllowed:
        await refuse(update, context)
        return
    except NoteLocked:
        await show(update, has_note_screen(context.t))
        return
    finally:
        await dialog_state.clear(context.session, context.who.account_id)
    await show(update, saved_screen(context.t))


@on(NOTE_VIEW)
async def on_view(update: Update, context: HomevisitContext) -> None:
    """A note, for its author and the coordinator only."""
    staff = context.who.staff
    try:
        v = await notes.read(context.session, context.press.note,
                             Reader(staff.id if staff else None, context.who.is_coordinator),
                             context.runtime.clock.now())
    except NotAllowed:
        await refuse(update, context)
        return
    await update.callback_query.answer()
    await reply_long(update, note_screen(context.t, context.runtime.questions, v))


@on(NOTE_EDIT)
async def on_edit(update: Update, context: HomevisitContext) -> None:
    """Give one answer again (its author, within 24 hours)."""
    staff, press, questions = context.who.staff, context.press, context.runtime.questions
    try:
        v = await notes.read(context.session, press.note, Reader(staff.id if staff else None, False),
                             context.runtime.clock.now())
    except NotAllowed:
        await refuse(update, context)
        return
    if not v.editable:
        await update.callback_query.answer(locked_text(context.t), show_alert=True)
        return
    if not press.index < len(questions):
        await refuse(update, context)
        return
    await _keep(context, "edit", {"note": v.note.id, "key": questions[press.index].key})
    await update.callback_query.answer()
    await reply(update, edit_question(context.t, questions[press.index]))


async def _save_change(update: Update, context: HomevisitContext, draft: dict, answer: dict) -> None:
    t = context.t
    await dialog_state.clear(context.session, context.who.account_id)
    try:
        await notes.change_answer(context.session, draft["note"], context.who.staff.id, draft["key"], answer,
                                  context.runtime.clock.now())
    except NoteLocked:
        await reply(update, Screen(locked_text(t)))
        return
    except NotAllowed:
        return
    v = await notes.read(context.session, draft["note"], Reader(context.who.staff.id, False),
                         context.runtime.clock.now())
    await reply_long(update, note_screen(t, context.runtime.questions, v, lead="💾 " + t._("Aangepast.")))


async def _visits(context: HomevisitContext, index: int) -> Screen:
    items = await notes.visits_to_note(context.session, context.who.staff.id, context.runtime.clock.now())
    return visits_screen(context.t, items, index)


async def _notes(context: HomevisitContext, index: int) -> Screen:
    total = await notes.count_notes(context.session, context.runtime.school_id)
    pages = max(1, -(-total // BUTTONS_PER_PAGE))
    index = max(0, min(index, pages - 1))
    shown = await notes.recent_notes(context.session, context.runtime.school_id, limit=BUTTONS_PER_PAGE,
                                     offset=index * BUTTONS_PER_PAGE)
    return notes_screen(context.t, shown, index, pages)


async def _follow_ups(context: HomevisitContext, index: int, lead: str = "") -> Screen:
    items = await notes.open_follow_ups(context.session, context.who.staff.id)
    return follow_ups_screen(context.t, items, index, lead)


start, on_visits_page = paged(TEACHER, _visits)  # /note, and its pages
coordinator_notes, on_notes_page = paged(COORDINATOR, _notes)  # /notes
follow_ups, on_follow_ups_page = paged(STAFF, _follow_ups)  # /followups
on(VISITS)(on_visits_page)
on(NOTES)(on_notes_page)
on(FOLLOW_UPS)(on_follow_ups_page)


@on(FOLLOW_UP_DONE)
@requires(STAFF)
async def on_follow_up_done(update: Update, context: HomevisitContext) -> None:
    """Tick it off and show the same page again."""
    try:
        await notes.tick_off(context.session, context.press.follow_up, context.who.staff.id,
                             context.runtime.clock.now())
    except NotAllowed:
        await refuse(update, context)
        return
    await show(update, await _follow_ups(context, context.press.page, lead="✅ " + context.t._("Afgevinkt.")))
