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
               r"train|read|interpret|apply|write|install|configure|run|do|perform|conduct|detect|reduce|prevent|"
               r"monitor|debug|mitigate|lower|speed up|learn|master|pick up|get better at) (?:an? |the |my )?"
               r"(?P<x>.+?)\W*$"),
    # "what's the best way to learn SQL as a PM": how to learn a term is about the term
    re.compile(_OPEN + r"(?:what(?:'s| is|s)|whats) (?:the )?(?:best|fastest|easiest|quickest) way to "
               r"(?:learn|master|pick up|get good at) (?:an? |the )?(?P<x>.+?)\W*$"),
    re.compile(_OPEN + r"what (?:is|are|'s|s) (?:an? |the )?(?P<x>.+?) (?:used|good|useful) for\W*$"),
    re.compile(_OPEN + r"what (?:does|do) (?:an? |the )?(?P<x>.+?) do\W*$"),
    re.compile(_OPEN + r"(?:explain )?how (?:does|do) (?:an? |the )?(?P<x>.+?) work(?:\s+(?:\w+ly|in detail|in practice|"
               r"under the hood|step by step|behind the scenes))?\W*$"),
    re.compile(_OPEN + r"(?:explain )?how (?:an? |the )?(?P<x>.+?) works?\W*$"),
    re.compile(_OPEN + r"what (?:does|do) (?:an? |the )?(?P<x>.+?) (?:mean|stand for)\W*$"),
    re.compile(_OPEN + r"(?:what(?:'s| is| are|s)|whats|define|explain|describe|tell me about|meaning of)\s+"
               r"(?:an? |the )?(?P<x>.+?)(?:\s+(?:exactly|in detail|again|actually|for me|mean|means))?\W*$"),
]
_SECOND_QUESTION = re.compile(r"\s+and\s+(?=(?:how|why|what|when|where|is|are|does|do|can|should)\b)")
MAX_SUBJECT_WORDS = 4  # longer than this, "what is …" asks a question, not for a definition
# "data leakage in machine learning": a subject the articles never use whole is looked up without
# the field it is placed in
_QUALIFIER = re.compile(r"\s+(?:in|for|within|as)\s+[^,]+$")
# "how do I calculate sample size for an A/B test with 80% power": a subject too long with the detail
# after "with/at/using" is the term before it, looked up like any other
_DETAIL = re.compile(r"\s+(?:with|at|using|given)\s+.*$")
# Words after a term that show the sentence explains it ("X is…", "X that scores…", "X: …", "X (…")
_DEFINING = frozenset("""is are was means mean refers refer that which helps help measures measure scores score
tracks track uses use collects collect analyzes analyze creates create handles handle describes describe shows
show identifies identify lets let allows allow gives give stands stand covers cover explains explain own owns
focus focuses lead leads manage manages build builds sit sits spend spends require requires need needs work works
drive drives combine combines define defines""".split())
# the user's own background, not the subject ("I'm a data scientist, which PM path…")
_BACKGROUND = re.compile(r"\b(i'?m|i am|im|i was|i've been|ive been|coming from|came from|background|former|formerly|"
                         r"currently|been an?|work(?:ing|ed)? as|(?:years?|yrs?|months?|time|career) as an?|"
                         r"before (?:product|pm|moving|switching))\b")


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
            # "what is a data flywheel and how do I build one": the subject ends where a second question starts
            x = _SECOND_QUESTION.split(m.group("x"))[0].strip(" ?!.")
            if len([w for w in words(x) if w not in STOPWORDS]) > MAX_SUBJECT_WORDS:
                x = _DETAIL.sub("", x)
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


MAX_OPENING_WORDS = 6  # "An AI PM is…", "AI product management focuses on…": the subject opens the sentence
# ...and goes on saying what it is or does ("AI PMs require deep intuition…" says what they need)
_OPENS_DEFINING = frozenset("""is are means refers focuses focus sit sits own owns manage manages leverage leverages
operate operates""".split())


def opens_defining(key: list[str], text: str) -> bool:
    """Whether the sentence opens with these terms (articles aside) and goes on with a defining word."""
    raw = words(text)
    start = 1 if raw and raw[0] in ("a", "an", "the") else 0
    if start >= len(raw) or not terms(raw[start]):
        return False  # "Most AI PMs are…" opens with a quantifier, not the subject
    for end in range(start + 1, min(len(raw), start + MAX_OPENING_WORDS) + 1):
        if terms(" ".join(raw[start:end])) == key:
            return end < len(raw) and raw[end] in _OPENS_DEFINING
    return False


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


MAX_UNUSED_WORDS = 3  # a "what is X" subject this short that the articles never use together is not theirs
_COMPOUND = re.compile(r"\b(?:and|or|between|vs|versus|difference|differences)\b")


def unused_subject(question: str, units) -> str | None:
    """X of a "what is X" question (X short and single: not "the difference between A and B") that no
    heading or sentence uses with its words together, even without the field it is placed in; the
    caller still looks for X in the vocabulary's terms (fit.said_anywhere) before declining."""
    subject = definition_subject(question)
    if subject is None or _COMPOUND.search(subject):
        return None
    qualified = _QUALIFIER.search(subject)
    for candidate in (subject, subject[:qualified.start()] if qualified else None):
        if candidate and explained(candidate, units) is not None:
            return None
    return subject if len([w for w in words(subject) if w not in STOPWORDS]) <= MAX_UNUSED_WORDS else None


# "how does LangSmith compare to Weights & Biases", "jira vs figma": two terms weighed against each other
_COMPARED = [re.compile(_OPEN + r"how (?:does|do|would) (?:an? |the )?(?P<x>.+?) compare (?:to|with|against) "
                                r"(?:an? |the )?(?P<y>.+?)\W*$"),
             re.compile(_OPEN + r"(?:an? |the )?(?P<x>[^,?]+?) (?:vs\.?|versus) (?:an? |the )?(?P<y>[^,?]+?)\W*$"),
             re.compile(_OPEN + r"(?:what(?:'s| is| are|s)|whats) (?:the )?(?:main |key |real |big )?differences? "
                                r"between (?:an? |the )?(?P<x>[^,?]+?) and (?:an? |the )?(?P<y>[^,?]+?)\W*$"),
             re.compile(_OPEN + r"how (?:is|are|does|do) (?:an? |the )?(?P<x>[^,?]+?) differ(?:ent)? from "
                                r"(?:an? |the )?(?P<y>[^,?]+?)\W*$")]


def compared_subjects(question: str) -> tuple[str, str] | None:
    """X and Y of "how does X compare to Y" / "X vs Y", each short enough to be a term."""
    q = normalize(question).strip()
    for pattern in _COMPARED:
        m = pattern.match(q)
        if m:
            x, y = (m.group(g).strip(" ?!.") for g in ("x", "y"))
            if all(0 < len([w for w in words(t) if w not in STOPWORDS]) <= MAX_SUBJECT_WORDS for t in (x, y)):
                return x, y
    return None


def only_together(x: str, y: str, units) -> bool:
    """Whether the articles name x and y only side by side ("regulations like GDPR and CCPA"): never one
    without the other, in no heading or item label. Then they don't tell them apart."""
    kx, ky = ([stem(w) for w in words(t) if w not in STOPWORDS] for t in (x, y))
    if not kx or not ky:
        return False
    seen = False
    for unit in units:
        if unit.is_section and (_find(kx, unit.section) or _find(ky, unit.section)):
            return False
        for atom in unit.atoms:
            hx, hy = bool(_find(kx, atom.text)), bool(_find(ky, atom.text))
            label = atom.text.split(":", 1)[0] if atom.kind != "sentence" and ":" in atom.text[:80] else ""
            if hx != hy or (label and (_find(kx, label) or _find(ky, label))):
                return False
            seen = seen or hx
    return seen


def passing_mention(question: str, units) -> Passing | None:
    """A "what is X" question about an X the articles only name: where they name it. So is a comparison of
    two terms they only name ("how does LangSmith compare to Weights & Biases")."""
    pair = compared_subjects(question)  # "what's the difference between X and Y" asks no definition of it all
    subject = definition_subject(question) if pair is None else None
    said = subject
    together = False
    if subject is None:
        together = pair is not None and only_together(*pair, units)
        if pair is None or (any(explained(t, units) is not False for t in pair) and not together):
            return None
        subject, said = pair[0], " and ".join(pair)
    found = False if together else explained(subject, units)
    qualified = _QUALIFIER.search(subject)
    if found is None and qualified:
        subject = said = subject[:qualified.start()]
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
    return Passing(said, where[:2])


def other_role(question: str, other_roles: list[str], units, career_terms: frozenset[str] = frozenset()) -> str | None:
    """A role the articles don't cover as a career that the question is about (not the asker's background).
    A role they explain as a team member ("Data Engineers: …") still counts when the question asks about
    it as a career (career_terms: "how do I become a data engineer", "data engineer interview")."""
    q = normalize(question)
    if _BACKGROUND.search(q):
        return None
    for role in sorted(other_roles, key=lambda r: -len(r)):
        if _names(q, role):
            if explained(role, units):
                asked = set(terms(question, query=True)) - set(terms(role, query=True))
                if not asked & career_terms:
                    return None  # "ML Engineers: Handle productization…" — the articles explain this one
            return role
    return None


def employer_asked(question: str, employers, asks) -> str | None:
    """A company the articles name for one fact only (a survey, an algorithm), asked about as a place to be
    hired or to work ("how does Amazon's interview process work", "a job at McKinsey"): the company, else None.
    employers and asks are raw word sequences."""
    ws = _singular(words(normalize(question)))

    def has(seq) -> bool:
        key = _singular(list(seq))
        return any(ws[i:i + len(key)] == key for i in range(len(ws) - len(key) + 1))
    named = next((e for e in employers if has(e)), None)
    return " ".join(named) if named and any(has(a) for a in asks) else None


def _singular(ws: list[str]) -> list[str]:
    return [w[:-1] if w.endswith("s") else w for w in ws]  # "recruiting" is not "recruiter"


def _names(q: str, role: str) -> bool:
    """Whether the (normalized) question names the role, singular or plural."""
    qs, key = _singular(words(q)), _singular(words(role))
    return any(qs[i:i + len(key)] == key for i in range(len(qs) - len(key) + 1))


def alternative_as_career(question: str, alternatives: list[str], career_terms: frozenset[str],
                          option_terms: frozenset[str]) -> str | None:
    """An alternative role the articles only weigh against the PM tracks ("Platform PM", "AI Strategy Lead"),
    asked about as a career of its own ("how much do Platform PMs earn", "how do I become an ML engineer"):
    the articles have no such facts. Not when the question weighs it as an option ("a good alternative",
    "instead of AI PM"), compares it with another role, or it is the asker's background."""
    q = normalize(question)
    if _BACKGROUND.search(q):
        return None
    named = [r for r in alternatives if _names(q, r)]
    if len({tuple(terms(r)) for r in named}) != 1:
        return None  # none, or two compared ("who earns more, ML engineers or Platform PMs")
    role = named[0]
    qterms = terms(question, query=True)
    asked = set(qterms) - set(terms(role, query=True))
    if not asked & career_terms or asked & option_terms:
        return None
    if qterms.count("pm") > terms(role).count("pm"):
        return None  # "Platform PM or AI PM pay": a PM track beside it
    return role
