"""The school's visit questionnaire: which questions, in which order.

The built-in questions are in the catalogs. A school may list them in another order,
leave some out, or add its own with a text per language, in a JSON file named by
QUESTIONNAIRE_FILE (see examples/questionnaire.json):

    {"questions": ["proud", "reading", {"key": "sport", "text": {"nl": "...", "en": "..."}}]}
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.i18n import N_, Translator
from bot.languages import SOURCE_LANGUAGE

BUILT_IN: dict[str, str] = {
    "proud": N_("Waar zijn het gezin en het kind trots op?"),
    "at_home": N_("Hoe is het kind thuis?"),
    "reading": N_("Lezen en boeken thuis: wat is er, wat doen ze samen?"),
    "homework": N_("Is er thuis een rustige plek voor huiswerk?"),
    "hopes": N_("Wat hopen de ouders dit jaar van school?"),
    "agreements": N_("Welke afspraken hebben jullie gemaakt?"),
}
DEFAULT_KEYS = tuple(BUILT_IN)
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,23}$")


class QuestionnaireError(ValueError):
    pass


@dataclass(frozen=True)
class Question:
    key: str
    texts: dict[str, str] = field(default_factory=dict)  # own questions only

    def text(self, t: Translator) -> str:
        if self.key in BUILT_IN:
            return t._(BUILT_IN[self.key])
        return self.texts.get(t.language) or self.texts.get(t.language.split("_")[0]) \
            or self.texts.get(SOURCE_LANGUAGE) or next(iter(self.texts.values()))


DEFAULT = tuple(Question(k) for k in DEFAULT_KEYS)


def load(path: str | Path | None) -> tuple[Question, ...]:
    if not path:
        return DEFAULT
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise QuestionnaireError(f"QUESTIONNAIRE_FILE {path}: {exc}") from None
    questions, seen = [], set()
    for item in data.get("questions", []) if isinstance(data, dict) else []:
        if isinstance(item, str):
            if item not in BUILT_IN:
                raise QuestionnaireError(f"QUESTIONNAIRE_FILE {path}: unknown question {item!r}; built in are "
                                         f"{', '.join(DEFAULT_KEYS)}")
            question = Question(item)
        elif isinstance(item, dict) and _KEY.match(str(item.get("key", ""))) and isinstance(item.get("text"), dict) \
                and item["text"] and all(isinstance(v, str) and v.strip() for v in item["text"].values()):
            question = Question(item["key"], dict(item["text"]))
        else:
            raise QuestionnaireError(f"QUESTIONNAIRE_FILE {path}: a question must be a built-in key or "
                                     '{"key": "...", "text": {"nl": "..."}}')
        if question.key in seen:
            raise QuestionnaireError(f"QUESTIONNAIRE_FILE {path}: {question.key!r} appears twice")
        seen.add(question.key)
        questions.append(question)
    if not questions:
        raise QuestionnaireError(f"QUESTIONNAIRE_FILE {path}: no questions")
    return tuple(questions)
