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

# An adverb ("roughly", "commonly", "concretely") says how something is asked; one the library never
# uses weighs as the rarest word of all and sank the answer. Not "Italy", "family" or "supply".
ADVERB = re.compile(r"[a-z]{3,}(?<!pp)(?:[bcdfghklmnrstvwxz]|e)ly")

MIN_CONTEXT_WORDS = 12  # a question this long may carry context before what it asks
# ...and its unknown words are chat (UNKNOWN_IN_LONG) only when it says this many things (distinct terms):
# "what's the AI PM salary at 3 years of experience in India" is long in words, but India is what it asks
MIN_CONTEXT_TERMS = 6
CONTEXT_WEIGHT = 0.3  # a known word of the context counts this much when the asking clause has a subject
MIN_SUBJECT_WEIGHT = 1.0  # ...a subject: a term of its own at least this rare (idf; "ai", "pm" are not)
# a word the library never uses counts this much in a long message that asks from its start or whose asking
# clause points back ("…is that normal?"): chat. In an asking clause with a subject ("what does HIPAA
# require?") it is what is asked, and keeps its weight (see factors)
UNKNOWN_IN_LONG = 0.1
# ...unless its clause points back and they are this share of its terms or more: then the message is about
# something else ("my landlord
# won't return my deposit… what are my options here?" is no career question for sharing "options")
UNKNOWN_TOPIC_SHARE = 0.4

_CLAUSE_END = re.compile(r"[.;!?]+\s+|,\s+(?:but|so|and)\s+|\s+[-–—]+\s+|,\s+")
# ("roughly how much…", "realistically, what…": an adverb before the question word still asks)
_ASKING = re.compile(r"^(?:so\s+|but\s+|and\s+|or\s+|ok\s+|like\s+|honestly\s+|then\s+|[a-z]+ly,?\s+)?(how|what|which|when|why|where|who|should|can|could|"
                     r"is|are|do|does|did|will|would|am|any)\b")


# An indirect question asks too: "I'm wondering if I should go all in on AI PM", "not sure whether…",
# "Background: 7 years as… Is AI PM the right call?". Its lead-in is dropped from the clause.
_INDIRECT = re.compile(r"^(?:.*?\b)?(?:i'?m |im |i am |i was |just |was |been )?(?:wondering|not sure|unsure|curious|"
                       r"trying to (?:figure out|decide|work out|understand)|(?:i )?(?:want|wanted|need|needed|would "
                       r"like|d like) to know|wants? to know|asked (?:me|us)|do you think|any (?:idea|advice|tips) (?:on|about))\s+(?:if|whether|"
                       r"about)?\s*(?P<rest>.+)$")
# a clause saying "I should…" / "I can…" after such a lead-in asks it ("…if I should go all in")
_SELF_ASKING = re.compile(r"^(?:i|we)\s+(?:should|could|can|would|need|must)\b")


# "any idea?", "thoughts?": a prompt to answer what came before, not a question of its own
_BARE_PROMPT = re.compile(r"^(?:any\s+)?(?:idea|ideas|advice|tips|thoughts|help|suggestions)\W*$")


# ", which never happened on my old team": a relative clause after a comma, not a "which…?" question
_RELATIVE = re.compile(r"^which\s+(?:is|was|are|were|has|have|had|never|always|also|often|makes|made|means|meant|"
                       r"happened|happens|sounds|seems|seemed)\b")


def _asks(clause: str) -> str | None:
    """The clause as a question ("wondering if I should go" -> "I should go"), or None when it doesn't ask."""
    c = clause.lower()
    if _BARE_PROMPT.match(c) or _RELATIVE.match(c):
        return None
    if _ASKING.match(c):
        return clause
    m = _INDIRECT.match(c)
    if m:
        rest = clause[m.start("rest"):]
        if _ASKING.match(rest.lower()) or _SELF_ASKING.match(rest.lower()) or rest.rstrip().endswith("?"):
            return rest
    return None


def asking_clause(question: str) -> str:
    """What a question with context before it asks: from its first clause that asks to the end
    ("…, so which should I pick? or wait"); "" for a short question or one that asks from its start."""
    if len(words(question)) < MIN_CONTEXT_WORDS:
        return ""
    clauses = [c.strip() for c in _CLAUSE_END.split(question.strip()) if c.strip()]
    for i, c in enumerate(clauses):
        asked = _asks(c)
        if asked is not None:
            rest = clauses[i + 1:]
            # "…on the hook for? trying to write the job description lol": after the question mark, a remark
            # that asks nothing is more context, not part of the question
            after = question.strip()[question.strip().find(c) + len(c):]
            if after.startswith("?") and not any(_asks(r) is not None for r in rest):
                rest = []
            return " ".join([asked, *rest]) if i or asked is not c or rest != clauses[i + 1:] else ""
    return ""


# A clause of the context that says who is asking ("I'm a PM with no engineering degree", "I came over from
# sales"). When the asking clause points back ("Is that true?"), it points at the rest of the context
# ("People keep telling me I need Python…"), if there is a rest: the asker's own clauses count less.
_ABOUT_ME = re.compile(r"^(?:quick context:?\s*|context:?\s*|background:?\s*|so\s+|honestly,?\s+)?(?:i'?m|im|i am|i was|"
                       r"i'?ve been|ive been|i have been|i came|i come|i work|i worked|i'?ve worked|my background)\b")


def background(question: str) -> tuple[str, str]:
    """A long question's context split in two: the clauses that describe the asker, and the others
    with the asking clause; ("", "") when it has no context, or no clause but the asker's own."""
    clause = asking_clause(question)
    if not clause:
        return "", ""
    before = question[: question.rfind(clause.split()[0])]
    clauses = [c.strip() for c in _CLAUSE_END.split(before) if c.strip()]
    about = [c for c in clauses if _ABOUT_ME.match(c.lower())]
    others = [c for c in clauses if c not in about]
    if not about or not others:
        return "", ""
    return " ".join(about), " ".join([*others, clause])


# "is that the right approach?": an asking clause pointing back at the context has no subject of its own
# ("is it worth making the move", "is it too early to switch": that "it" is the move, said after it)
_POINTS_BACK = re.compile(r"^(?:is|was|would|does|do|will|could|can|should|are)\s+"
                          r"(?:that|this|these|those|it(?!\s+(?:\w+\s+){0,2}?(?:worth|to)\b))\b")


def factors(weights: dict[str, float], asking: list[str] | None, unknown: set[str],
            points_back: bool = False, about_me: set[str] = frozenset(), long: bool = False) -> dict[str, float]:
    """How much each term of the question counts (terms left out count fully): 0 for a word of the
    context the library never uses, CONTEXT_WEIGHT for a known context word when the asking clause
    has a subject of its own (points_back: it refers to the context instead, see refers_back). asking is
    None for a question without context (a short one)."""
    # a long message's words the library never uses ("ugh", "hackathon", "bored") are mostly chat, unless
    # its asking clause asks about something of its own: then its unknown words are what it asks about
    foreign = len(unknown) >= UNKNOWN_TOPIC_SHARE * len(weights)
    chat = {t: UNKNOWN_IN_LONG for t in unknown} if long and (asking is None or points_back and not foreign) else {}
    if asking is None:
        return chat
    own = set(asking)
    subject = not points_back and any(weights.get(t, 0.0) >= MIN_SUBJECT_WEIGHT for t in own - unknown)
    out: dict[str, float] = {}
    for t in weights.keys() - own:
        if t in unknown and points_back and foreign:
            continue  # the clause asks about a context the library has no words for: they count fully
        if t in unknown or (subject and any(c.isdigit() for c in t)):
            out[t] = 0.0  # "…making around 160k. How much more would AI PM pay?": the asker's own figures
        elif subject or t in about_me:
            out[t] = CONTEXT_WEIGHT
    return {**chat, **out}


# "how do I explain it?", "what should I do about that?": what it asks about is in the context only
BARE_REFERENCE = re.compile(r"^(?:how|what|why|where|when)\b(?:\s+\w+){0,4}?\s+(?:it|that|this|them|those)\W*$")


BARE_CLAUSE_TERMS = 2  # "is that a good idea?": a clause pointing back with this few terms asks nothing alone


def asks_nothing_alone(clause: str, n_terms: int) -> bool:
    """A clause whose subject is all in the context before it: answering it alone would guess."""
    return bool(BARE_REFERENCE.match(clause.strip().lower())) or (refers_back(clause) and n_terms <= BARE_CLAUSE_TERMS)


# "what are my options here?", "what would you do in my case?": the clause asks about the situation before it
# ...and so does "is there any actual number on that?"
_POINTS_BACK_AT_END = re.compile(r"\b(?:here|in my case|in this case|in my situation|in my position|in my shoes|"
                                 r"(?:on|about|for|behind) (?:that|this|it))\W*$")


def refers_back(clause: str) -> bool:
    clause = clause.strip().lower()
    return bool(_POINTS_BACK.match(clause) or _POINTS_BACK_AT_END.search(clause))
