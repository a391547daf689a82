"""What the coordinator sees of the coverage: the school at a glance with a line and a
button per class, a class's details, the teachers, and the messages that could not be
delivered. The same texts make the command line's report."""
from __future__ import annotations

from bot.buttons import Button, Page, Ref
from bot.i18n import Translator
from bot.screens.families import CHANNEL_ICONS, channel_phrase
from bot.screens.keyboard import Screen, button, rows
from bot.screens.paging import page_screen, paginate
from bot.screens.phrases import DECLINE_REASON_LABELS
from bot.services.coverage import Coverage, OtherClass, Row, TeacherRow
from bot.services.visit_history import HouseholdHistory
from db.models import Channel

COVERAGE = Button("coverage", Page(), legacy="cvs")
COVERAGE_CLASS = Button("coverage_class", Ref("class_"), legacy="cvc")
COVERAGE_FAMILIES = Button("coverage_families", Ref("class_"), Page())  # a class's families, a page at a time
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
    lines = [heading(t, report)]
    for row in report.classes:
        lines += ["", f"{t.isolate(row.name)}", row_text(t, row)]
    lines += ["", school_label(t, report), row_text(t, report.school)]
    if report.others:
        lines += ["", others_heading(t), *(other_line(t, other) for other in report.others)]
    lines += ["", t._("Per leerkracht:")]
    lines += [teacher_line(t, teacher) for teacher in report.teachers]
    return "\n".join(lines)


def scope_line(t: Translator, report: Coverage) -> str:
    """'This period: 24 of 48 classes' (nothing when it covers every class)."""
    if not report.some_classes:
        return ""
    return t.ngettext("Deze periode: {count} van {total} groep", "Deze periode: {count} van {total} groepen",
                      report.all_classes).format(count=len(report.classes), total=report.all_classes)


def others_heading(t: Translator) -> str:
    return t._("Niet in deze periode (aan de beurt: in de vorige periode niet bezocht):")


def other_line(t: Translator, other: OtherClass) -> str:
    return t.ngettext("{name}: {due} van {count} gezin aan de beurt", "{name}: {due} van {count} gezinnen aan de beurt",
                      other.households).format(name=t.isolate(other.name), due=other.due, count=other.households)


def last_visit_line(t: Translator, household: HouseholdHistory) -> str:
    children = t.isolate(", ".join(household.children))
    if household.last_visit is None:
        return "— " + t._("{children}: nog nooit bezocht").format(children=children)
    return "🏠 " + t._("{children}: laatst bezocht {date}").format(children=children, date=t.date(household.last_visit))


def class_line(t: Translator, row: Row) -> str:
    return t._("{name}: {share} bezocht · nog niet bereikt {unreachable}").format(
        name=t.isolate(row.name), share=t.percent(row.share_visited), unreachable=row.unreachable)


def teacher_line(t: Translator, teacher: TeacherRow) -> str:
    return t._("{name}: {done} bezocht, {planned} gepland, {hours} uur").format(
        name=t.isolate(teacher.name), done=teacher.done, planned=teacher.planned, hours=t.number(teacher.hours))


def school_label(t: Translator, report: Coverage) -> str:
    """The totals' row: the whole school, or (every other year) the classes of this period."""
    return t._("Groepen van deze periode") if report.some_classes else t._("Hele school")


def title(t: Translator, report: Coverage) -> str:
    return (t._("📊 Bereik: {period}").format(period=t.isolate(report.period.name)) if report.period
            else t._("📊 Bereik (geen bezoekperiode open)"))


def heading(t: Translator, report: Coverage) -> str:
    """The title, and which classes the period covers when it covers some only."""
    return title(t, report) + "\n" + scope_line(t, report) if report.some_classes else title(t, report)


def summary_screen(t: Translator, report: Coverage, failed: int, index: int) -> Screen:
    """The school at a glance, a line per class (a button each for its details), and the
    messages that could not be delivered."""
    head = [heading(t, report), school_label(t, report) + "\n" + row_text(t, report.school)]
    if failed:
        head.append("⚠️ " + t.ngettext(
            "{count} bericht kon niet worden afgeleverd, ook niet na een paar pogingen.",
            "{count} berichten konden niet worden afgeleverd, ook niet na een paar pogingen.", failed
        ).format(count=failed))
    shown = [(row.name, row.class_id, class_line(t, row)) for row in report.classes]
    shown += [(other.name, other.class_id, "⏸ " + other_line(t, other)) for other in report.others]
    lines = [line for _, _, line in shown]
    page = paginate(lines, index, budget=2800, most=CLASSES_PER_PAGE, separator="\n")
    first_other = len(report.classes)
    if report.others and page.start <= first_other < page.end:  # the heading above the first of them
        lines[first_other] = others_heading(t) + "\n" + lines[first_other]
    buttons = [button(shown[k][0][:LABEL_MAX], COVERAGE_CLASS, shown[k][1]) for k in range(page.start, page.end)]
    extra = [[button("🧑‍🏫 " + t._("Per leerkracht"), COVERAGE_TEACHERS, 0)]]
    if failed:
        extra.append([button("🔁 " + t._("Niet afgeleverde berichten opnieuw proberen"), COVERAGE_RETRY)])
    return page_screen(t, "\n\n".join(head), ["\n".join(lines[page.start:page.end])], page, COVERAGE,
                       buttons=[*rows(buttons, 2), *extra])


def class_screen(t: Translator, report: Coverage, row: Row | OtherClass, households: list[HouseholdHistory],
                 index: int = 0) -> Screen:
    """A class: its counts (or, for a class the period does not cover, how many are due), and
    its families with the date of their last visit in an earlier period, a page at a time."""
    if isinstance(row, OtherClass):
        about = t._("Deze groep is niet in deze periode.") + "\n" + other_line(t, row)
    else:
        about = row_text(t, row)
    head = "\n\n".join([heading(t, report), t.isolate(row.name) + "\n" + about,
                         t._("Gezinnen en hun laatste huisbezoek in een eerdere periode:")])
    lines = [last_visit_line(t, h) for h in households] or [t._("Nog geen gezinnen in deze groep.")]
    page = paginate(lines, index, budget=2400, separator="\n")
    return page_screen(t, head, ["\n".join(lines[page.start:page.end])], page, COVERAGE_FAMILIES, row.class_id,
                       buttons=[[button("↩️ " + t._("Hele school"), COVERAGE, 0)]])


def teachers_screen(t: Translator, report: Coverage, index: int) -> Screen:
    lines = [teacher_line(t, teacher) for teacher in report.teachers] or [t._("Nog geen leerkrachten.")]
    page = paginate(lines, index, separator="\n")
    return page_screen(t, title(t, report) + "\n\n" + t._("Per leerkracht:"), lines[page.start:page.end], page,
                       COVERAGE_TEACHERS, separator="\n", buttons=[[button("↩️ " + t._("Hele school"), COVERAGE, 0)]])


def retried_text(t: Translator, queued: int) -> str:
    return t.ngettext("{count} bericht gaat opnieuw de deur uit.", "{count} berichten gaan opnieuw de deur uit.",
                      queued).format(count=queued)
