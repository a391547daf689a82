"""What the coordinator sees of the coverage: the school at a glance with a line and a
button per class, a class's details, the teachers, and the messages that could not be
delivered. The same texts make the command line's report."""
from __future__ import annotations

from bot.buttons import Button, Page, Ref
from bot.i18n import Translator
from bot.screens.families import CHANNEL_ICONS, channel_phrase
from bot.screens.keyboard import Screen, button, markup, rows
from bot.screens.paging import page_screen, paginate
from bot.screens.phrases import DECLINE_REASON_LABELS
from bot.services.coverage import Coverage, Row, TeacherRow
from db.models import Channel

COVERAGE = Button("coverage", Page(), legacy="cvs")
COVERAGE_CLASS = Button("coverage_class", Ref("class_"), legacy="cvc")
COVERAGE_TEACHERS = Button("coverage_teachers", Page(), legacy="cvt")
COVERAGE_RETRY = Button("coverage_retry", legacy="cvr")

CLASSES_PER_PAGE = 24  # a line and a button each
# How families were reached, in this order; the web page only once it reached someone.
CHANNELS = (Channel.BOT, Channel.PHONE, Channel.LETTER, Channel.DOOR, Channel.WEB)
ALWAYS_SHOWN = (Channel.BOT, Channel.PHONE, Channel.LETTER, Channel.DOOR)
LABEL_MAX = 40


def row_text(t: Translator, row: Row) -> str:
    text = t._("{pupils} leerlingen, {households} gezinnen · gekoppeld {linked} · uitgenodigd {invited} · "
               "gepland {booked} · bezocht {visited} · nee {declined} · onbereikbaar {unreachable} · "
               "{share} van de leerlingen bezocht").format(
        pupils=row.pupils, households=row.households, linked=row.linked, invited=row.invited, booked=row.booked,
        visited=row.visited, declined=row.declined, unreachable=row.unreachable,
        share=t.percent(row.share_visited))
    if row.decline_reasons:
        no_reason = t._("geen reden")
        reasons = ", ".join(f"{t._(DECLINE_REASON_LABELS[r]) if r in DECLINE_REASON_LABELS else no_reason} {n}"
                            for r, n in sorted(row.decline_reasons.items()))
        text += "\n  " + t._("Redenen voor nee: {reasons}").format(reasons=reasons)
    text += "\n  " + t._("Bereikt: {channels}").format(channels=channel_counts(
        t, row.reached, [c for c in CHANNELS if c in ALWAYS_SHOWN or row.reached[c]]))
    if row.visited:
        text += "\n  " + t._("Bezocht, zo afgesproken: {channels}").format(channels=channel_counts(
            t, row.visited_by, [c for c in CHANNELS if row.visited_by[c]]))
    return text


def channel_counts(t: Translator, counts, channels) -> str:
    return " · ".join(f"{CHANNEL_ICONS[c]} {channel_phrase(t, c)} {counts[c]}" for c in channels)


def coverage_text(t: Translator, report: Coverage) -> str:
    lines = [title(t, report)]
    for row in report.classes:
        lines += ["", f"{t.isolate(row.name)}", row_text(t, row)]
    lines += ["", t._("Hele school"), row_text(t, report.school), "", t._("Per leerkracht:")]
    lines += [teacher_line(t, teacher) for teacher in report.teachers]
    return "\n".join(lines)


def class_line(t: Translator, row: Row) -> str:
    return t._("{name}: {share} bezocht · nog niet bereikt {unreachable}").format(
        name=t.isolate(row.name), share=t.percent(row.share_visited), unreachable=row.unreachable)


def teacher_line(t: Translator, teacher: TeacherRow) -> str:
    return t._("{name}: {done} bezocht, {planned} gepland, {hours} uur").format(
        name=t.isolate(teacher.name), done=teacher.done, planned=teacher.planned, hours=t.number(teacher.hours))


def title(t: Translator, report: Coverage) -> str:
    return (t._("📊 Bereik: {period}").format(period=t.isolate(report.period.name)) if report.period
            else t._("📊 Bereik (geen bezoekperiode open)"))


def summary_screen(t: Translator, report: Coverage, failed: int, index: int) -> Screen:
    """The school at a glance, a line per class (a button each for its details), and the
    messages that could not be delivered."""
    head = [title(t, report), t._("Hele school") + "\n" + row_text(t, report.school)]
    if failed:
        head.append("⚠️ " + t.ngettext(
            "{count} bericht kon niet worden afgeleverd, ook niet na een paar pogingen.",
            "{count} berichten konden niet worden afgeleverd, ook niet na een paar pogingen.", failed
        ).format(count=failed))
    lines = [class_line(t, row) for row in report.classes]
    page = paginate(lines, index, budget=2800, most=CLASSES_PER_PAGE, separator="\n")
    buttons = [button(report.classes[k].name[:LABEL_MAX], COVERAGE_CLASS, report.classes[k].class_id)
               for k in range(page.start, page.end)]
    extra = [[button("🧑‍🏫 " + t._("Per leerkracht"), COVERAGE_TEACHERS, 0)]]
    if failed:
        extra.append([button("🔁 " + t._("Niet afgeleverde berichten opnieuw proberen"), COVERAGE_RETRY)])
    return page_screen(t, "\n\n".join(head), ["\n".join(lines[page.start:page.end])], page, COVERAGE,
                       buttons=[*rows(buttons, 2), *extra])


def class_screen(t: Translator, report: Coverage, row: Row) -> Screen:
    return Screen("\n\n".join([title(t, report), t.isolate(row.name) + "\n" + row_text(t, row)]),
                  markup([button("↩️ " + t._("Hele school"), COVERAGE, 0)]))


def teachers_screen(t: Translator, report: Coverage, index: int) -> Screen:
    lines = [teacher_line(t, teacher) for teacher in report.teachers] or [t._("Nog geen leerkrachten.")]
    page = paginate(lines, index, separator="\n")
    return page_screen(t, title(t, report) + "\n\n" + t._("Per leerkracht:"), lines[page.start:page.end], page,
                       COVERAGE_TEACHERS, separator="\n", buttons=[[button("↩️ " + t._("Hele school"), COVERAGE, 0)]])


def retried_text(t: Translator, queued: int) -> str:
    return t.ngettext("{count} bericht gaat opnieuw de deur uit.", "{count} berichten gaan opnieuw de deur uit.",
                      queued).format(count=queued)
