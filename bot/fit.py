"""Whether the passage found fits what was asked, beyond sharing its words.

- A question about one PM track ("DS PM equity") answered from a place that never names that track
  (the AI PM vs traditional PM pay section) would hand over another role's figures as if they were
  the answer: declined, saying which track the articles don't cover on this point.
- A "how many…" question answered by text without a number ("DS PM interview rounds": the articles
  describe the rounds but never count them) is not answered either.
The tracks and the counting phrasings live in content/vocabulary.yaml (pm_tracks, count_questions).
"""
from __future__ import annotations

import re

from .synonyms import terms
from .text import words

# digits, or the number words the articles write out ("three conditions", "two technical rounds")
_NUMBER = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|twice|"
                     r"half|double|triple)\b", re.I)


def _runs(seq: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(seq[i:i + n]) == phrase for i in range(len(seq) - n + 1))


def missing_track(qterms: list[str], unit_terms: frozenset[str], tracks: tuple[str, ...]) -> str | None:
    """The track the question names (as written in the vocabulary) that the answering place never names."""
    for track in tracks:
        phrase = tuple(terms(track))
        if phrase and _runs(qterms, phrase) and not set(phrase) <= unit_terms:
            return track
    return None


def asks_count(question: str, phrasings: tuple[tuple[str, ...], ...]) -> bool:
    ws = words(question)
    return any(_runs(ws, p) for p in phrasings)


def has_number(text: str) -> bool:
    return bool(_NUMBER.search(text or ""))
