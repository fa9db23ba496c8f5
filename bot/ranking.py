"""Ranking and confidence: which unit of the index answers a question, and whether it really does.

Retrieval (retrieval.py) finds candidates with FTS5; here each candidate is scored by how much
of the question (by idf weight) it covers, and the best one must pass the confidence rules
below or the coach declines. Every threshold is a named tuning value in this file.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from . import retrieval
from .synonyms import advises, weak_terms

# Share of the question's weight (idf) the best unit must cover to be answered; below it we decline.
MIN_COVERAGE = 0.55
# ...and the share one sentence/item of it covers together with its headings (see focus).
MIN_FOCUS = 0.5
# ...and either one heading/also-phrasing says this much of it, or one sentence/item (see confident)
MIN_SAID, MIN_SAID_ATOM = 0.45, 0.3
# ...neither for a "should I…" question on a section that advises: the asker's situation is spread
# over the question ("we already know the rules… should we use ML?"), and the section as a whole
# (coverage, focus) must match it. A long question (this many terms that count) spreads its words
# too: one sentence/item need only say MIN_SAID_LONG of it.
LONG_QUESTION_TERMS, MIN_SAID_LONG = 7, 0.1
# A long message spreads its words over the asker's context: its best place may cover less of it, this
# much, when it stands out, scoring LONG_LEAD times the best place in another section, and its asking
# clause has no word the library never uses ("…what does HIPAA require?" is not answered from the context)
LONG_MIN_COVERAGE, LONG_LEAD = 0.51, 1.2
# Below those, a question with one word the library never uses is answered when its other words
# (at least this many) are covered this well by one unit and one sentence of it.
MIN_KNOWN_TERMS = 4
MIN_KNOWN_SHARE = 0.9
# ranking: coverage, plus the unit's own text, one phrasing's match and FTS's bm25 (see rank)
OWN_WEIGHT, PHRASING_WEIGHT, BM25_WEIGHT = 0.5, 1.0, 0.3
CHILD_MARGIN = 0.9  # see specific
RECAP_MARGIN = 0.08  # see primary_first
WEAK_FACTOR = 0.4  # content/vocabulary.yaml's weak_words ("day to day", "best") count this much
ADVICE_BOOST = 0.3  # a recommending section ("When should I…") for a "should I…" question
# ...and one that covers the question about as well as the best (this share of its coverage, and of its
# score) goes first: "which PM flavor suits an ML engineer like me" wants the recommendation, not the
# section that shares most of the asker's background words
ADVICE_COVERAGE, ADVICE_SCORE = 0.9, 0.8
# ...unless the best's heading asks the question itself (this share of it, see phrasing_match) and the
# other's doesn't: "is it worth getting a PhD for AI PM" is the FAQ "Do I need a PhD…?", whether the
# other is a recommending section or the body an FAQ item restates (see primary_first)
ASKED_VERBATIM = 0.9
PHRASING_LABEL_WORDS = 3  # a one-word question must be named by a phrasing this short (see names)

# Sections that restate the body ("Summary", "Key Takeaways"): on a near tie the body says it first
_RECAP = re.compile(r"^(summary|tl;?dr|key takeaways?|conclusions?|in conclusion|overview|final thoughts|"
                    r"bottom line)\b", re.I)


@dataclass(frozen=True)
class Unit:
    """One answerable unit (a section, FAQ item, list item or table row), decoded once from its row."""
    id: int
    key: str
    section_key: str
    article: str
    title: str
    section: str
    kind: str  # "section" | "item" | "row"
    atom: int  # the item's or row's position among its section's atoms; -1 for a section
    head: frozenset[str]  # heading and also-phrasings
    body: frozenset[str]  # its own text
    ctx: frozenset[str]  # where it sits: title, parent heading, its section for items and rows
    atoms: tuple[retrieval.Atom, ...]  # a section's sentences, items and rows; () for items and rows
    phrasings: tuple[tuple[str, ...], ...]  # heading / also-phrasings / item label, as terms
    phrasing_weights: tuple[float, ...]

    @classmethod
    def from_row(cls, row: dict) -> "Unit":
        return cls(row["id"], row["key"], row["section_key"], row["article"], row["title"], row["section"],
                   row["kind"], row["atom"], frozenset(row["head"].split()), frozenset(row["body"].split()),
                   frozenset(row["ctx"].split()),
                   tuple(retrieval.Atom(*a) for a in json.loads(row["atoms"])) if row["atoms"] else (),
                   tuple(tuple(p.split()) for p in json.loads(row["phr"])),
                   tuple(json.loads(row["phw"])))

    @property
    def is_section(self) -> bool:
        return self.kind == "section"

    @property
    def recap(self) -> bool:
        # FAQ answers mostly restate the article body in fewer words, like a summary does
        return bool(_RECAP.match(self.section)) or "faq" in self.ctx


@dataclass
class Candidate:
    score: float  # ranking score
    coverage: float  # share of the question's weight the unit (with its surroundings) contains
    phrasing: float  # best match against one heading / also-phrasing / item label
    unit: Unit


def share(weights: dict[str, float], seen) -> float:
    """The share of the question's weight whose terms are in seen."""
    total = sum(weights.values()) or 1.0
    return sum(w for t, w in weights.items() if t in seen) / total


def phrasing_match(phrasing: tuple[str, ...], phrasing_weight: float, weights: dict[str, float]) -> float:
    """How well one heading or also-phrasing says the same as the question: the share of the
    question it covers, damped by how much of the phrasing (by idf) is about something else."""
    if not phrasing:
        return 0.0
    total = sum(weights.values()) or 1.0
    pset = set(phrasing)
    shared = sum(w for t, w in weights.items() if t in pset)
    return (shared / total) * min(1.0, shared / phrasing_weight if phrasing_weight else 1.0) ** 0.5


def score(unit: Unit, weights: dict[str, float], bm25: float, top_bm25: float) -> Candidate:
    """Coverage (its own text counting more than its surroundings), how closely one heading or
    also-phrasing says the same thing, and FTS's bm25 as the tie-breaker."""
    own = unit.head | unit.body
    coverage = share(weights, own | unit.ctx)
    own_cov = share(weights, own)
    phrasing = max((phrasing_match(p, pw, weights) for p, pw in zip(unit.phrasings, unit.phrasing_weights)),
                   default=0.0)
    total = coverage + OWN_WEIGHT * own_cov + PHRASING_WEIGHT * phrasing + BM25_WEIGHT * bm25 / (top_bm25 or 1.0)
    return Candidate(total, coverage, phrasing, unit)


def primary_first(ranked: list[Candidate]) -> list[Candidate]:
    """A recap that wins on a near tie gives way to the section it restates."""
    best = ranked[0]
    if not best.unit.recap:
        return ranked
    for i, other in enumerate(ranked[1:4], 1):
        if other.score < (1 - RECAP_MARGIN) * best.score or best.phrasing >= ASKED_VERBATIM > other.phrasing:
            break
        if not other.unit.recap and other.coverage >= best.coverage:
            return [other] + ranked[:i] + ranked[i + 1:]
    return ranked


def advising_first(ranked: list[Candidate]) -> list[Candidate]:
    """For an advice question: a recommending section close behind the best goes first (see ADVICE_COVERAGE)."""
    best = ranked[0]
    if best.unit.is_section and advises(best.unit.section):
        return ranked
    for i, other in enumerate(ranked[1:6], 1):
        if other.score < ADVICE_SCORE * best.score:
            break
        if best.phrasing >= ASKED_VERBATIM > other.phrasing:
            break
        if other.unit.is_section and advises(other.unit.section) and other.coverage >= ADVICE_COVERAGE * best.coverage:
            return [other] + ranked[:i] + ranked[i + 1:]
    return ranked


def names(unit: Unit, weights: dict[str, float]) -> bool:
    """A heading, also-phrasing or item label of at most three words is about this word."""
    return any(len(set(p)) <= PHRASING_LABEL_WORDS and weights.keys() & set(p) for p in unit.phrasings)


def atoms_of(unit: Unit, section: Unit) -> tuple[retrieval.Atom, ...]:
    """The atoms a unit consists of: all of a section's, or an item's or row's own one."""
    if unit.is_section:
        return section.atoms
    return (section.atoms[unit.atom],) if 0 <= unit.atom < len(section.atoms) else ()


def said(unit: Unit, section: Unit, weights: dict[str, float]) -> float:
    """The largest share of the question one sentence or item of the unit holds by itself."""
    return max((share(weights, retrieval.atom_terms(a.text)) for a in atoms_of(unit, section)), default=0.0)


def focus(unit: Unit, section: Unit, weights: dict[str, float]) -> float:
    """Share of the question one atom covers together with what frames it (headings,
    also-phrasings, title): an answer sits in one place, while a question's words
    scattered over a long section ("a good book on leadership") are a coincidence."""
    frame = set(section.head | section.ctx | unit.ctx)
    for phrasing in unit.phrasings:
        frame.update(phrasing)
    return max((share(weights, frame | retrieval.atom_terms(a.text)) for a in atoms_of(unit, section)),
               default=0.0)


def confident(best: Candidate, section: Unit, weights: dict[str, float], focus_share: float,
              unknown: set[str], advice: bool = False, lead: float = 1.0,
              asked: frozenset[str] | None = None) -> bool:
    """Whether the best unit answers the question, or only shares some of its words."""
    unit = best.unit
    # one-word questions ("life?", "good interview questions": weak words aside) must name what a
    # heading or item is about, not just occur in it
    strong = {t: w for t, w in weights.items() if t not in weak_terms()}
    if len(strong if strong else weights) == 1 and not names(unit, strong or weights):
        return False
    long = sum(1 for w in weights.values() if w > 0) >= LONG_QUESTION_TERMS
    asks_unknown = bool(asked and asked & unknown)
    least_coverage = LONG_MIN_COVERAGE if long and lead >= LONG_LEAD and not asks_unknown else MIN_COVERAGE
    if best.coverage >= least_coverage and focus_share >= min(MIN_FOCUS, least_coverage):
        # what frames a unit (title, section heading) holds the domain's words for every unit
        # in it: the question must also be said together by one of its sentences or phrasings,
        # or it is a neighbouring topic in the same words ("what is a product roadmap")
        if advice:
            return True  # the asker's situation, spread over the question, is matched by the section as a whole
        least = MIN_SAID_LONG if sum(1 for w in weights.values() if w > 0) >= LONG_QUESTION_TERMS else MIN_SAID_ATOM
        return best.phrasing >= MIN_SAID or said(unit, section, weights) >= least

    # One word the library never uses ("bandwagon", "blocker") in a question that is otherwise
    # wholly about one place still asks about that place; a question resting on one or two known
    # words ("salary of a nurse") is about the unknown word.
    if len(unknown) != 1 or len(weights) - 1 < MIN_KNOWN_TERMS:
        return False
    known = {t: w for t, w in weights.items() if t not in unknown}
    return share(known, unit.head | unit.body | unit.ctx) >= MIN_KNOWN_SHARE \
        and focus(unit, section, known) >= MIN_KNOWN_SHARE
