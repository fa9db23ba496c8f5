"""What the library explains, as opposed to what it only names.

Two honest declines that word overlap alone gets wrong:
- a question asking what a term is ("what is prompt engineering") when the articles only list it
  ("ML fundamentals, prompt engineering, evals") gets "the articles mention X only in passing (where);
  they don't explain it", never the neighbouring definition;
- a question about a role the articles do not cover as a career (content/vocabulary.yaml's
  other_roles: "product marketing manager", "scrum master") is declined even when its words
  appear, unless the articles explain that role (an item label such as "ML Engineers: …").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .synonyms import terms
from .text import STOPWORDS, normalize, stem, words

# "what is X", "what's X", "define X", "explain X", "what does X mean", "how does X work", "X meaning"
_OPEN = r"^(?:(?:hey|hi|so|ok|okay|quick q|q|pls|please|can you|could you)\W+)*"
_DEFINITION = [
    re.compile(_OPEN + r"how (?:do|can|should|would) (?:i|you|we) (?:calculate|compute|use|set up|build|implement|"
               r"train|read|interpret|apply|write|install|configure|run|do|perform|conduct) (?:an? |the |my )?"
               r"(?P<x>.+?)\W*$"),
    re.compile(_OPEN + r"what (?:is|are|'s|s) (?:an? |the )?(?P<x>.+?) (?:used|good|useful) for\W*$"),
    re.compile(_OPEN + r"what (?:does|do) (?:an? |the )?(?P<x>.+?) do\W*$"),
    re.compile(_OPEN + r"(?:explain )?how (?:does|do) (?:an? |the )?(?P<x>.+?) work\W*$"),
    re.compile(_OPEN + r"(?:explain )?how (?:an? |the )?(?P<x>.+?) works?\W*$"),
    re.compile(_OPEN + r"what (?:does|do) (?:an? |the )?(?P<x>.+?) (?:mean|stand for)\W*$"),
    re.compile(_OPEN + r"(?:what(?:'s| is| are|s)|whats|define|explain|describe|tell me about|meaning of)\s+"
               r"(?:an? |the )?(?P<x>.+?)(?:\s+(?:exactly|in detail|again|actually|for me|mean|means))?\W*$"),
]
MAX_SUBJECT_WORDS = 4  # longer than this, "what is …" asks a question, not for a definition
# "data leakage in machine learning": a subject the articles never use whole is looked up without
# the field it is placed in
_QUALIFIER = re.compile(r"\s+(?:in|for|within)\s+[^,]+$")
# Words after a term that show the sentence explains it ("X is…", "X that scores…", "X: …", "X (…")
_DEFINING = frozenset("""is are was means mean refers refer that which helps help measures measure scores score
tracks track uses use collects collect analyzes analyze creates create handles handle describes describe shows
show identifies identify lets let allows allow gives give stands stand covers cover explains explain own owns
focus focuses lead leads manage manages build builds sit sits spend spends require requires need needs work works
drive drives combine combines define defines""".split())
# the user's own background, not the subject ("I'm a data scientist, which PM path…")
_BACKGROUND = re.compile(r"\b(i'?m|i am|im|coming from|background|former|currently|been an?|work(?:ing)? as)\b")


@dataclass
class Passing:
    subject: str  # the term as the user wrote it
    where: list[tuple[str, str]]  # (article title, section) of the first mentions


def definition_subject(question: str) -> str | None:
    """X of a "what is X" question, or None when the question asks something else."""
    q = normalize(question).strip()
    for pattern in _DEFINITION:
        m = pattern.match(q)
        if m:
            x = m.group("x").strip(" ?!.")
            raw = words(x)
            content_words = [w for w in raw if w not in STOPWORDS]
            # "what is a traditional pm accountable for" asks about a role, not for a term's definition
            if 0 < len(content_words) <= MAX_SUBJECT_WORDS and raw[-1] not in STOPWORDS:
                return x
    return None


@lru_cache(maxsize=8192)
def _stems(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


@lru_cache(maxsize=8192)
def _plain(text: str) -> str:
    """The text's words, as words() reads them ("a/b" is "abtest"): where a term's first letters are looked for."""
    return " ".join(words(text))


def _find(subject: list[str], text: str) -> list[int]:
    """Where the subject's words stand together in text (positions after the run), by stem."""
    ws = _stems(text)
    n = len(subject)
    return [i + n for i in range(len(ws) - n + 1) if ws[i:i + n] == subject]


def explained(subject: str, units) -> bool | None:
    """True when a heading, item label or a defining sentence explains subject; False when the
    articles only name it; None when they never use it together (an ordinary question then)."""
    key = [stem(w) for w in words(subject) if w not in STOPWORDS]
    if not key:
        return None
    named = tuple(terms(subject, query=True))  # "ds pm" is what a heading calls "Data Scientist PM"
    mentioned = False
    # stemming every sentence is slow in pure Python: look only where the stems' first letters occur
    probes = [k[:4] for k in key]
    for unit in units:
        if unit.is_section and (_find(key, unit.section) or _holds(unit.phrasings[:1], named)):
            return True  # a heading names it
        for atom in unit.atoms:
            text = atom.text
            if not all(p in _plain(text) for p in probes):
                continue
            label = text.split(":", 1)[0] if atom.kind != "sentence" and ":" in text[:80] else ""
            if label and _find(key, label):
                return True  # "Precision: Proportion of…"
            ends = _find(key, text)
            if not ends:
                continue
            mentioned = True
            if _defines(key, text):
                return True
    return False if mentioned else None


def _holds(phrasings, named: tuple[str, ...]) -> bool:
    n = len(named)
    return bool(n) and any(p[i:i + n] == named for p in phrasings for i in range(len(p) - n + 1))


def _defines(key: list[str], text: str) -> bool:
    raw = words(text)
    ws = [stem(w) for w in raw]
    n = len(key)
    lowered = normalize(text)
    for i in range(len(ws) - n + 1):
        if ws[i:i + n] != key:
            continue
        after = raw[i + n] if i + n < len(raw) else ""
        span = r"\W+".join(re.escape(w) for w in raw[i:i + n])
        if after in _DEFINING and not re.search(span + r"\s+" + after + r"\s*[;,.!?)]", lowered):
            return True  # "X is…" defines; "knowing what X is;" does not
        # "X: …", "X (…)", "X – …" right after the term (an unspaced dash is a parenthesis in a list)
        if re.search(r"\b" + span + r"(?::|\s+\(|\s+[–—-]\s)", lowered):
            return True
    return False


def passing_mention(question: str, units) -> Passing | None:
    """A "what is X" question about an X the articles only name: where they name it."""
    subject = definition_subject(question)
    if subject is None:
        return None
    found = explained(subject, units)
    qualified = _QUALIFIER.search(subject)
    if found is None and qualified:
        subject = subject[:qualified.start()]
        found = explained(subject, units)
    if found is not False:
        return None
    key = [stem(w) for w in words(subject) if w not in STOPWORDS]
    where = []
    probes = [k[:4] for k in key]
    for unit in units:
        if unit.is_section and any(all(p in _plain(a.text) for p in probes) and _find(key, a.text)
                                   for a in unit.atoms):
            where.append((unit.title, unit.section))
    return Passing(subject, where[:2])


def other_role(question: str, other_roles: list[str], units) -> str | None:
    """A role the articles don't cover as a career that the question is about (not the asker's background)."""
    q = normalize(question)
    if _BACKGROUND.search(q):
        return None
    qs = [w[:-1] if w.endswith("s") else w for w in words(q)]  # "recruiting" is not "recruiter"
    for role in sorted(other_roles, key=lambda r: -len(r)):
        key = [w[:-1] if w.endswith("s") else w for w in words(role)]  # as the question's words are read
        if any(qs[i:i + len(key)] == key for i in range(len(qs) - len(key) + 1)):
            if explained(role, units):
                return None  # "ML Engineers: Handle productization…" — the articles explain this one
            return role
    return None
