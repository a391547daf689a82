"""The layers hold: handlers, dialogs and web pages → screens → services → db, each importing
only what is below it; no handler, dialog or page builds SQL; every button is declared once, fits
Telegram's 64 bytes, and is taken by exactly one handler."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"

# What each layer may not import (a module of a higher layer, or a way around the layers).
FORBIDDEN = {
    "db": ("bot", "telegram"),
    "bot/services": ("bot.screens", "bot.dialogs", "bot.handlers", "bot.replies", "bot.context", "bot.app",
                     "bot.notices", "bot.outbox", "bot.cli", "bot.web", "bot.pages", "telegram"),
    "bot/screens": ("bot.dialogs", "bot.handlers", "bot.replies", "bot.context", "bot.app", "bot.notices",
                    "bot.outbox", "bot.cli", "bot.web", "bot.pages", "sqlalchemy"),
    "bot/dialogs": ("bot.app", "bot.cli", "bot.notices", "sqlalchemy"),
    "bot/handlers": ("bot.app", "bot.cli", "bot.notices", "sqlalchemy"),
    # The adapters beside the bot (outbox messages, command line, web pages) use screens and
    # services, never the bot's flows.
    "bot/notices.py": ("bot.dialogs", "bot.handlers"),
    "bot/cli.py": ("bot.dialogs", "bot.handlers"),
    "bot/web.py": ("bot.dialogs", "bot.handlers"),
    "bot/pages": ("bot.dialogs", "bot.handlers", "bot.app", "bot.cli", "bot.notices", "bot.outbox", "telegram"),
    "bot/calendar_feed.py": ("bot.dialogs", "bot.handlers", "bot.web"),
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def files_of(part: str) -> list[Path]:
    path = ROOT / part
    return [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_no_layer_imports_a_higher_one(part):
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {name}"
             for path in files_of(part) for line, name in imports_of(path)
             if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[part])]
    assert wrong == []


def test_no_handler_or_dialog_builds_sql():
    calls = ("select(", "update(", "delete(", "insert(", ".execute(", ".scalar(", ".scalars(", "session.get(")
    wrong = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for part in ("bot/handlers", "bot/dialogs", "bot/pages") for path in files_of(part)
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if any(call in line for call in calls)]
    assert wrong == []


def test_every_button_fits_and_is_taken_by_one_handler():
    import bot.app  # noqa: F401  (imports every module that declares or takes a button)
    from bot import buttons

    declared = buttons.declared()
    taken = [kind for kind, _ in buttons.taken()]
    assert len(declared) > 50
    assert sorted(k.action for k in taken) == sorted(k.action for k in declared)  # each once, none left over
    for kind in declared:
        longest = ":".join([buttons.VERSION, kind.action, *("9" * f.width for f in kind.fields)])
        assert len(longest.encode()) <= buttons.MAX_BYTES, kind.action
