"""What a teacher sees around a visit note: how it went, one question at a time, the
follow-ups, the summary, the note itself; the lists of visits, notes and open
follow-ups, a page at a time."""
from __future__ import annotations

from datetime import datetime

from bot.buttons import Button, Index, OneOf, Page, Ref
from bot.i18n import N_, Translator
from bot.questionnaire import Question
from bot.screens.keyboard import Screen, button, markup, rows
from bot.screens.paging import Page as PageOf
from bot.screens.paging import page_screen, paginate
from bot.services.notes import NoteView, VisitItem
from db.models import FOLLOW_UP_KINDS, NOTE_OUTCOMES, Appointment, FollowUp, Note

NOTE = Button("note", Ref("appointment"), legacy="nt")
NOTE_OUTCOME = Button("note_outcome", Ref("appointment"), OneOf("outcome", *NOTE_OUTCOMES), legacy="no")
NOTE_SKIP = Button("note_skip", Ref("appointment"), Index(), legacy="nq")
NOTE_FOLLOW_UP = Button("note_follow_up", Ref("appointment"), OneOf("kind", *FOLLOW_UP_KINDS), legacy="nf")
NOTE_NO_LINE = Button("note_no_line", Ref("appointment"), legacy="nfx")
NOTE_DONE = Button("note_done", Ref("appointment"), legacy="nd")
NOTE_SAVE = Button("note_save", Ref("appointment"), legacy="ns")
NOTE_VIEW = Button("note_view", Ref("note"), legacy="nv")
NOTE_EDIT = Button("note_edit", Ref("note"), Index(), legacy="ne")
FOLLOW_UP_DONE = Button("follow_up_done", Ref("follow_up"), Page(), legacy="fd")
VISITS = Button("visits", Page(), legacy="ntp")
NOTES = Button("notes", Page(), legacy="nlp")
FOLLOW_UPS = Button("follow_ups", Page(), legacy="fup")

BUTTONS_PER_PAGE = 10
LABEL_MAX = 60  # characters of a list button's label
PREVIEW_ANSWER = 500  # characters of an answer in the summary before saving; the whole answer is kept

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


def follow_up_label(t: Translator, kind: str) -> str:
    return f"{FOLLOW_UP_ICONS[kind]} {t._(FOLLOW_UP_LABELS[kind])}"


def outcome_screen(t: Translator, appointment: Appointment) -> Screen:
    buttons = [button(f"{OUTCOME_ICONS[o]} {t._(OUTCOME_LABELS[o])}", NOTE_OUTCOME, appointment.id, o)
               for o in OUTCOME_LABELS]
    return Screen(t._("Hoe ging het bezoek van {when}?").format(when=t.day_and_time(appointment.starts_at)),
                  markup(*rows(buttons, 1)))


def has_note_screen(t: Translator) -> Screen:
    return Screen(t._("Over dit bezoek is al een notitie. Kies hem in /note om hem te bekijken."))


def not_home_screen(t: Translator) -> Screen:
    return Screen(t._("Jammer. Het gezin krijgt een vriendelijk bericht en kan een nieuw moment kiezen."))


def question_screen(t: Translator, questions: tuple[Question, ...], appointment_id: int, index: int) -> Screen:
    text = t._("Vraag {number} van {total}: {question}\n\nTyp je antwoord of stuur een spraakbericht.").format(
        number=index + 1, total=len(questions), question=questions[index].text(t))
    return Screen(text, markup([button("⏭ " + t._("Overslaan"), NOTE_SKIP, appointment_id, index)]))


def question_gone_screen(t: Translator) -> Screen:
    return Screen(t._("Deze vraag is al voorbij. Ga verder met /note."))


def follow_up_menu(t: Translator, appointment_id: int, follow_ups: list) -> Screen:
    chosen = [kind for kind, _ in follow_ups]
    lines = [t._("Afspraken om op te volgen? Tik wat van toepassing is, en daarna op Klaar.")]
    lines += [follow_up_label(t, k) + (f": {text}" if text else "") for k, text in follow_ups]
    buttons = [button(follow_up_label(t, k) + (" ✓" if k in chosen else ""), NOTE_FOLLOW_UP, appointment_id, k)
               for k in FOLLOW_UP_KINDS]
    return Screen("\n".join(lines), markup(*rows(buttons, 2),
                                           [button("✔️ " + t._("Klaar"), NOTE_DONE, appointment_id)]))


def follow_up_line_screen(t: Translator, appointment_id: int, kind: str) -> Screen:
    return Screen(t._("{item}: wil je er iets bij zetten? Typ het, of tik op Geen toelichting.").format(
        item=t._(FOLLOW_UP_LABELS[kind])), markup([button(t._("Geen toelichting"), NOTE_NO_LINE, appointment_id)]))


def summary_lines(t: Translator, questions, outcome: str, answers: dict, follow_ups, *,
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
        lines.append(follow_up_label(t, kind) + (f": {text}" if text else ""))
    return lines


def draft_summary_screen(t: Translator, questions, draft: dict) -> Screen:
    lines = [t._("Klopt je notitie?"), ""] + summary_lines(t, questions, draft["outcome"], draft["answers"],
                                                             draft["follow_ups"], preview=True)
    return Screen("\n".join(lines), markup([button("💾 " + t._("Opslaan"), NOTE_SAVE, draft["appointment"])]))


def saved_screen(t: Translator) -> Screen:
    return Screen(t._("💾 Opgeslagen. Je kunt de notitie nog 24 uur aanpassen via /note."))


def note_screen(t: Translator, questions, v: NoteView, lead: str = "") -> Screen:
    lines = ([lead, ""] if lead else []) + [
        t._("Notitie over het bezoek van {when}, {children}").format(
            when=t.day_and_time(v.appointment.starts_at), children=t.isolate(", ".join(v.children))),
        t._("Geschreven door {author}").format(author=t.isolate(v.author)), ""]
    lines += summary_lines(t, questions, v.note.outcome, v.note.answers or {},
                           [(f.kind, f.text) for f in v.follow_ups])
    buttons = []
    if v.editable:
        buttons = [button("✏️ " + q.text(t)[:40], NOTE_EDIT, v.note.id, i) for i, q in enumerate(questions)]
    return Screen("\n".join(lines), markup(*rows(buttons, 1)))


def edit_question(t: Translator, question: Question) -> Screen:
    return Screen(t._("{question}\n\nTyp het nieuwe antwoord of stuur een spraakbericht.").format(
        question=question.text(t)))


def locked_text(t: Translator) -> str:
    return t._("Een notitie kun je 24 uur aanpassen. Die tijd is voorbij.")


def visits_screen(t: Translator, items: list[VisitItem], index: int) -> Screen:
    if not items:
        return Screen(t._("Er zijn nog geen bezoeken om een notitie over te schrijven."))
    labels = [f"{t.short_day(i.appointment.starts_at)} {t.time(i.appointment.starts_at)} {', '.join(i.children)}"
              for i in items]
    page = paginate(labels, index, most=BUTTONS_PER_PAGE)
    buttons = [button("👁 " + labels[k][:LABEL_MAX], NOTE_VIEW, items[k].note_id) if items[k].note_id
               else button("📝 " + labels[k][:LABEL_MAX], NOTE, items[k].appointment.id)
               for k in range(page.start, page.end)]
    return page_screen(t, t._("Over welk bezoek? Vandaag en de laatste weken:"), [], page, VISITS,
                       buttons=rows(buttons, 1))


def notes_screen(t: Translator, shown: list[tuple[Note, Appointment]], index: int, pages: int) -> Screen:
    """One page of the school's notes for the coordinator (`shown` is that page)."""
    if not shown:
        return Screen(t._("Er zijn nog geen notities."))
    buttons = [button(f"👁 {t.short_day(a.starts_at)} · {t._(OUTCOME_LABELS[n.outcome])} · #{n.id}", NOTE_VIEW, n.id)
               for n, a in shown]
    return page_screen(t, t._("De laatste notities. Wie een notitie opent, staat in het logboek."), [],
                       PageOf(index, pages, 0, len(shown)), NOTES, buttons=rows(buttons, 1))


def follow_ups_screen(t: Translator, items: list[tuple[FollowUp, tuple[str, ...]]], index: int,
                      lead: str = "") -> Screen:
    if not items:
        return Screen(((lead + "\n\n") if lead else "") + t._("Geen open afspraken. Goed bezig!"))
    labels = [f"{follow_up_label(t, f.kind)} – {', '.join(children)}" for f, children in items]
    lines = [label + (f": {f.text}" if f.text else "") for label, (f, _) in zip(labels, items)]
    page = paginate(lines, index, most=BUTTONS_PER_PAGE, separator="\n")
    header = t.ngettext("Open afspraak ({count}):", "Open afspraken ({count}):", len(items)).format(count=len(items))
    buttons = [button("✅ " + labels[k][:LABEL_MAX], FOLLOW_UP_DONE, items[k][0].id, page.index)
               for k in range(page.start, page.end)]
    screen = page_screen(t, header, lines[page.start:page.end], page, FOLLOW_UPS, buttons=rows(buttons, 1),
                         separator="\n")
    return Screen(f"{lead}\n\n{screen.text}", screen.markup) if lead else screen


def prompt_screen(t: Translator, children: str, starts_at: datetime, appointment_id: int, *, again: bool) -> Screen:
    """The after-visit prompt (and the reminder a day later), from the outbox."""
    if again:
        text = t._("Het bezoek bij het gezin van {children} ({when}) heeft nog geen notitie. Hoe ging het?").format(
            children=children, when=t.day_and_time(starts_at))
    else:
        text = t._("Hoe ging het huisbezoek bij het gezin van {children} ({when})? Schrijf een korte "
                   "notitie nu het nog vers is: waar is het gezin trots op, en wat spraken jullie af?").format(
            children=children, when=t.day_and_time(starts_at))
    return Screen(text, markup([button("📝 " + t._("Notitie schrijven"), NOTE, appointment_id)]))
