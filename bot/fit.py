"""Whether the passage found fits what was asked, beyond sharing its words.

- A question about one role ("DS PM equity", "a Data Product Owner's day") answered from a place that
  never names that role (the AI PM vs traditional PM pay section) would hand over another role's facts
  as if they were the answer: declined, saying which role the articles don't cover on this point.
- A "how many…" question answered by text without a number ("DS PM interview rounds": the articles
  describe the rounds but never count them) is not answered either.
The roles and the counting phrasings live in content/vocabulary.yaml (named_roles, count_questions).
"""
from __future__ import annotations

import re

from .synonyms import terms
from .text import words

# digits, or the number words the articles write out ("three conditions", "two technical rounds")
_NUMBER = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|twice|"
                     r"half|double|triple)\b", re.I)


def runs(seq: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(seq[i:i + n]) == phrase for i in range(len(seq) - n + 1))


def missing_role(qterms: list[str], place: list[str], roles: tuple[str, ...]) -> str | None:
    """The role the question names (as the vocabulary writes it) that the answering place (its
    article's title, heading and text, as terms in order) never names."""
    for role in roles:
        phrase = tuple(terms(role))
        if phrase and runs(qterms, phrase) and not runs(place, phrase):
            return role
    return None


def asks_count(question: str, phrasings: tuple[tuple[str, ...], ...]) -> bool:
    ws = words(question)
    return any(runs(ws, p) for p in phrasings)


def has_number(text: str) -> bool:
    return bool(_NUMBER.search(text or ""))
