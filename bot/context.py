"""A long question's context and what it asks: "I've been a fintech PM for 5 years, mostly payments
and onboarding… is now the right time for me to switch to AI PM?"

The last clause that asks something holds the subject; the sentences before it tell the coach about
the asker. Words the library never uses in those sentences ("payments", "frontend", "tired") say
who is asking, not what about: they are dropped. Known words there still count, for less when the
asking clause names a subject of its own. Pure: question text in, term factors out.
"""
from __future__ import annotations

import re

from .text import words

MIN_CONTEXT_WORDS = 12  # a question this long may carry context before what it asks
CONTEXT_WEIGHT = 0.3  # a known word of the context counts this much when the asking clause has a subject
MIN_SUBJECT_WEIGHT = 1.0  # ...a subject: a term of its own at least this rare (idf; "ai", "pm" are not)

_CLAUSE_END = re.compile(r"[.;!?]+\s+|,\s+(?:but|so|and)\s+|\s+[-–—]+\s+|,\s+")
_ASKING = re.compile(r"^(?:so\s+|but\s+|and\s+|ok\s+|honestly\s+)?(how|what|which|when|why|where|who|should|can|could|"
                     r"is|are|do|does|did|will|would|am|any)\b")


def asking_clause(question: str) -> str:
    """What a question with context before it asks: from its first clause that asks to the end
    ("…, so which should I pick? or wait"); "" for a short question or one that asks from its start."""
    if len(words(question)) < MIN_CONTEXT_WORDS:
        return ""
    clauses = [c.strip() for c in _CLAUSE_END.split(question.strip()) if c.strip()]
    first = next((i for i, c in enumerate(clauses) if _ASKING.match(c.lower())), 0)
    return " ".join(clauses[first:]) if first else ""


def factors(weights: dict[str, float], asking: list[str] | None, unknown: set[str]) -> dict[str, float]:
    """How much each term of the question counts (terms left out count fully): 0 for a word of the
    context the library never uses, CONTEXT_WEIGHT for a known context word when the asking clause
    has a subject of its own. asking is None for a question without context (a short one)."""
    if asking is None:
        return {}
    own = set(asking)
    subject = any(weights.get(t, 0.0) >= MIN_SUBJECT_WEIGHT for t in own - unknown)
    out: dict[str, float] = {}
    for t in weights.keys() - own:
        if t in unknown:
            out[t] = 0.0
        elif subject:
            out[t] = CONTEXT_WEIGHT
    return out
