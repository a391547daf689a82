"""/coverage: the coordinator sees whether every pupil's family was reached."""
from __future__ import annotations

from telegram import Update

from bot.context import HomevisitContext
from bot.i18n import Translator
from bot.services import periods
from bot.services.coverage import Coverage, Row, coverage
from bot.texts import DECLINE_REASON_LABELS


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
    return text


def coverage_text(t: Translator, report: Coverage) -> str:
    lines = [t._("📊 Bereik: {period}").format(period=t.isolate(report.period.name)) if report.period
             else t._("📊 Bereik (geen bezoekperiode open)")]
    for row in report.classes:
        lines += ["", f"{t.isolate(row.name)}", row_text(t, row)]
    lines += ["", t._("Hele school"), row_text(t, report.school), "", t._("Per leerkracht:")]
    for teacher in report.teachers:
        lines.append(t._("{name}: {done} bezocht, {planned} gepland, {hours} uur").format(
            name=t.isolate(teacher.name), done=teacher.done, planned=teacher.planned, hours=t.number(teacher.hours)))
    return "\n".join(lines)


async def show(update: Update, context: HomevisitContext) -> None:
    t = context.t
    if not context.who.is_coordinator:
        await update.effective_message.reply_text(t._("Dit is voor de coördinator. Kijk bij /help wat je kunt doen."))
        return
    rt = context.runtime
    period = await periods.current_period(context.session, rt.school_id)
    report = await coverage(context.session, rt.school_id, period, rt.clock.now(), rt.settings.hours_per_visit)
    await update.effective_message.reply_text(coverage_text(t, report))
