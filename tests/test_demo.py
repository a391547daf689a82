"""`homevisit demo` plays a visit period without a token or network, by itself, in well
under a minute, and shows what each person saw."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_plays_a_visit_period_and_ends_by_itself(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no token, no settings
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "bot", "demo"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    expected_in_order = [
        "━━ The coordinator opens the visit period ━━",
        "✅ De bezoekperiode is open.",
        "Linda (Dutch) sees: 📣 Huisbezoeken bij De Regenboog",
        "Emily (English) sees: 📣 Home visits at De Regenboog",
        "Linda (Dutch) sees: ✅ Het huisbezoek staat vast!",
        "in a café (Café de Zon)",
        "Emily (English) sees: ✅ The home visit is fixed!",
        "Fatma (Turkish) ▶ taps [Bu yıl olmasın]",
        "heeft dit jaar liever geen huisbezoek",
        "━━ Fast-forward: the day before, and two hours before ━━",
        "Marieke (teacher, Groep 3) sees: ☀️ Goedemorgen! Vandaag heb je 2 huisbezoeken:",
        "💾 Opgeslagen.",
        "Wilma (coordinator) sees: 📊 Bereik: Huisbezoeken najaar",
    ]
    section = out[out.find("━━ Fast-forward"):out.find("━━ After the visit")]
    assert "Emily (English) sees: 🔔 Tomorrow Marieke de Vries comes for the home visit" in section
    assert "Linda (Dutch) sees: 🔔 Morgen komt Marieke de Vries op huisbezoek" in section
    position = 0
    for piece in expected_in_order:
        found = out.find(piece, position)
        assert found >= 0, f"not in the transcript (after position {position}): {piece!r}"
        position = found
    assert "Groep 3" in out[position:] and "Marieke de Vries: 1 bezocht" in out[position:]
    assert took < 60
