"""What a joint visit of siblings' teachers says (SIBLING_VISITS=together; the rules are
in bot/services/siblings.py): the family's one invitation naming every child and teacher,
the request each teacher gets naming the others, and the words when the teachers share
no free time."""
from __future__ import annotations

from babel.lists import format_list

from bot.i18n import Translator
from bot.services.invitations import InvitationView
from bot.services.siblings import apart_when_empty  # noqa: F401 (the screens ask the rule, not decide it)
from db.models import Appointment


def _children(t: Translator, children: tuple[str, ...], classes: tuple[str, ...]) -> str:
    names = ", ".join(children) or "–"
    return t._("{children} ({classes})").format(children=names, classes=", ".join(classes)) if classes else names


def visitors(view: InvitationView) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(teacher, children, classes) of every part, this invitation's first."""
    return [(view.teacher.name, view.children, view.class_names),
            *((p.teacher.name, p.children, p.class_names) for p in view.partners)]


def teacher_names(t: Translator, view: InvitationView) -> str:
    """'Marieke de Vries en Jeroen Bakker': everyone who comes."""
    # Each name isolated on its own: in a right-to-left sentence the "and" stays between the names.
    return format_list([t.isolate(name) for name, _, _ in visitors(view)], locale=t.babel_locale)


def visitor_lines(t: Translator, view: InvitationView) -> str:
    """One line per teacher: '👤 Marieke de Vries – Emma Jansen (Groep 3)'."""
    return "\n".join(t._("👤 {teacher} – {children}").format(
        teacher=t.isolate(name), children=t.isolate(_children(t, children, classes)))
        for name, children, classes in visitors(view))


def invitation_text(t: Translator, view: InvitationView) -> str:
    return t._(
        "Hallo {name}! 👋\n\nDe leerkrachten van jullie kinderen komen graag samen bij jullie op huisbezoek: "
        "één bezoek voor het hele gezin.\n\n{visitors}\n\nEven kennismaken, en horen waar jullie trots op zijn. "
        "Het bezoek duurt ongeveer {minutes} minuten.\n\nKies zelf een moment tussen {first} en {last}. De "
        "momenten die je ziet, passen bij alle leerkrachten. Liever ergens anders afspreken kan ook: op school, "
        "in een park, in een café of telefonisch."
    ).format(name=t.isolate(view.guardian.name if view.guardian else ""), visitors=visitor_lines(t, view),
             minutes=view.period.visit_minutes, first=t.day(view.period.first_day),
             last=t.day(view.period.last_day))


def status_head(t: Translator, view: InvitationView) -> str:
    return t._("Huisbezoek voor het hele gezin") + "\n" + visitor_lines(t, view)


def requested_text(t: Translator, view: InvitationView) -> str:
    return t._("📨 Verstuurd! Alle leerkrachten krijgen het verzoek. Zodra een van hen bevestigt, krijg je een "
               "bericht.\n\nVeranderen of afzeggen kan altijd met /myvisit.")


def apart_text(t: Translator, view: InvitationView) -> str:
    """The teachers share no free time: the family gets an invitation from each instead."""
    return t._("Helaas hebben {teachers} geen moment waarop ze allemaal kunnen. Geen probleem: jullie krijgen nu "
               "van elke leerkracht een eigen uitnodiging, en kiezen dan per leerkracht een moment.").format(
        teachers=teacher_names(t, view))


def confirmed_text(t: Translator, view: InvitationView, when: str) -> str:
    return t._("✅ Het huisbezoek staat vast!\n\n{teachers} komen samen {when}.\n\nVeranderen of afzeggen kan "
               "altijd met /myvisit.").format(teachers=teacher_names(t, view), when=when)


def request_line(t: Translator, view: InvitationView) -> str:
    """For a teacher's request: who else comes, and that one confirmation is enough."""
    others = format_list([t.isolate(t._("{teacher} ({children})").format(
        teacher=p.teacher.name, children=_children(t, p.children, p.class_names))) for p in view.partners],
        locale=t.babel_locale)
    return "👥 " + t._("Samen met {others}: één bezoek voor het hele gezin. Bevestigt een van jullie, dan staat "
                      "het voor iedereen vast.").format(others=others)


def joint_confirmed_text(t: Translator, view: InvitationView, appointment: Appointment, by: str) -> str:
    """To the other teachers of a joint visit: a colleague confirmed it for all."""
    return t._("✅ {teacher} heeft het huisbezoek bevestigd dat jullie samen doen: {when}, {children}. Het staat "
               "in je agenda.").format(teacher=t.isolate(by), when=t.day_and_time(appointment.starts_at),
                                       children=t.isolate(_children(t, view.children, view.class_names)))
