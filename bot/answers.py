"""Answers from the articles: rank units (retrieval.py), answer first, cite, or decline.

``AnswerIndex(db, library).ask(question) -> Answer``. An answer is the 1–3 sentences
of the best unit that best match the question, with the article and section it came
from. Below confidence the bot says plainly it has no answer and offers the nearest
topics: it never answers with an unrelated passage.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from . import retrieval
from .commands import Command
from .messages import Button, Citation, Reply, error, info
from .storage import Migrations, transaction
from .synonyms import terms, weak_terms
from .text import words

MIGRATIONS = Migrations("answers")

# Share of the question's weight (idf) the best unit must cover to be answered; below it we decline.
MIN_COVERAGE = 0.55
# ...and the share one sentence/item of it covers together with its headings (see AnswerIndex.focus).
MIN_FOCUS = 0.5
# ...and either one heading/also-phrasing says this much of it, or one sentence/item (see confident)
MIN_SAID, MIN_SAID_ATOM = 0.45, 0.3
# Below those, a question with one word the library never uses is answered when its other words
# (at least this many) are covered this well by one unit and one sentence of it.
MIN_KNOWN_TERMS = 4
MIN_KNOWN_SHARE = 0.9
# ranking: coverage, plus the unit's own text, one phrasing's match and FTS's bm25 (see AnswerIndex.rank)
OWN_WEIGHT, PHRASING_WEIGHT, BM25_WEIGHT = 0.5, 1.0, 0.3
CHILD_MARGIN = 0.9  # see AnswerIndex._specific
MAX_QUESTION_TERMS = 64  # a pasted essay is not a question; its first words say what it's about
# content/vocabulary.yaml's weak_words (qualifiers like "day to day", "best") count this much
WEAK_FACTOR = 0.4
# an agent noun whose stem is not itself ("designer" -> "design", "recruiters" -> "recruit")
_AGENT = re.compile(r"[a-z]{4,}(?:er|or)s?")
MAX_ANSWER_CHARS = 700
SHORT_ANSWER = 400  # below this an answer takes on the sentences after it
MAX_SECTION_CHARS = 2800  # Slack section blocks stop at 3000
BUTTON_LABEL = 72


@MIGRATIONS
def create_answer_index(db):
    retrieval.create_schema(db)


@MIGRATIONS
def create_answer_log(db):
    db.execute("""CREATE TABLE answer_log (
        id INTEGER PRIMARY KEY, platform TEXT NOT NULL, workspace TEXT NOT NULL, channel TEXT NOT NULL,
        user TEXT NOT NULL, question TEXT NOT NULL, terms TEXT NOT NULL, found INTEGER NOT NULL,
        unit_key TEXT, score REAL NOT NULL, created_at TEXT NOT NULL)""")
    db.execute("CREATE INDEX answer_log_scope ON answer_log(platform, workspace, found)")
    db.execute("""CREATE TABLE answer_feedback (
        log_id INTEGER NOT NULL REFERENCES answer_log(id), platform TEXT NOT NULL, workspace TEXT NOT NULL,
        user TEXT NOT NULL, vote INTEGER NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (log_id, platform, workspace, user))""")
    db.execute("""CREATE TABLE answer_last (
        platform TEXT NOT NULL, workspace TEXT NOT NULL, user TEXT NOT NULL, unit_key TEXT NOT NULL,
        log_id INTEGER, at TEXT NOT NULL, PRIMARY KEY (platform, workspace, user))""")


@MIGRATIONS
def add_phrasing_weights(db):
    retrieval.add_phrasing_weights(db)


@MIGRATIONS
def add_word_table(db):
    retrieval.add_word_table(db)


# ------------------------------------------------------------------- answers

@dataclass
class Candidate:
    score: float  # ranking score
    coverage: float  # share of the question's weight the unit (with its surroundings) contains
    phrasing: float  # best match against one heading / also-phrasing / item label
    row: dict


@dataclass
class Topic:
    key: str  # unit key of the section
    article: str
    title: str
    section: str

    @property
    def label(self) -> str:
        return _label(self.section)


@dataclass
class Answer:
    question: str
    found: bool
    answer: str | None
    sources: list[dict] = field(default_factory=list)
    score: float = 0.0
    unit_key: str = ""
    citation: Citation | None = None
    related: list[Topic] = field(default_factory=list)  # found: other questions worth asking
    nearest: list[Topic] = field(default_factory=list)  # declined: the closest things we do cover

    def to_json(self) -> dict:
        return {"question": self.question, "found": self.found, "answer": self.answer,
                "sources": self.sources, "score": round(self.score, 4)}


def _label(text: str) -> str:
    return text if len(text) <= BUTTON_LABEL else text[: BUTTON_LABEL - 1].rstrip() + "…"


class AnswerIndex:
    """Built at every start; the rebuild runs only when the content (or the indexer) changed."""

    def __init__(self, db, library):
        self.db, self.library = db, library
        self.rebuilt = retrieval.current_digest(db) != retrieval.index_digest(library)
        if self.rebuilt:
            retrieval.rebuild(db, library)
        self.units = retrieval.unit_count(db)
        self.speller = retrieval.Speller(db)

    # -------------------------------------------------------------- lookups
    def _rows(self, where: str, args) -> list[dict]:
        cur = self.db.execute(f"SELECT * FROM answer_units WHERE {where}", args)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def unit(self, key: str) -> dict | None:
        rows = self._rows("key = ?", [key])
        return rows[0] if rows else None

    def section_unit(self, unit: dict) -> dict:
        if unit["kind"] == "section":
            return unit
        return self._rows("key = ?", [unit["section_key"]])[0]

    def topic(self, unit: dict) -> Topic:
        return Topic(unit["section_key"], unit["article"], unit["title"], unit["section"])

    # ------------------------------------------------------------------ ask
    def rank(self, qterms: list[str]) -> tuple[list[Candidate], dict[str, float], set[str]]:
        """Candidates from FTS, re-ranked: how much of the question each unit covers (its own
        text counting more than its surroundings), how closely one heading or also-phrasing
        says the same thing, and FTS's bm25 as the tie-breaker."""
        df = retrieval.document_frequency(self.db, qterms)
        weights = retrieval.idf(df, self.units)
        for t in weights.keys() & weak_terms():
            weights[t] *= WEAK_FACTOR
        total = sum(weights.values()) or 1.0
        unknown = {t for t, d in df.items() if d == 0}
        hits = retrieval.search(self.db, retrieval.match_terms(df, self.units))
        if not hits:
            return [], weights, unknown
        rows = {r["id"]: r for r in self._rows(f"id IN ({', '.join('?' * len(hits))})", [h[0] for h in hits])}
        top_bm25 = max(h[1] for h in hits) or 1.0
        out = []
        for uid, bm25 in hits:
            row = rows[uid]
            own = set(f"{row['head']} {row['body']}".split())
            around = set(row["ctx"].split())
            coverage = sum(w for t, w in weights.items() if t in own or t in around) / total
            own_cov = sum(w for t, w in weights.items() if t in own) / total
            phrasing = max((_phrasing_match(p.split(), pw, weights, total)
                            for p, pw in zip(json.loads(row["phr"]), json.loads(row["phw"]))), default=0.0)
            score = coverage + OWN_WEIGHT * own_cov + PHRASING_WEIGHT * phrasing + BM25_WEIGHT * bm25 / top_bm25
            out.append(Candidate(score, coverage, phrasing, row))
        out.sort(key=lambda c: -c.score)
        return out, weights, unknown

    def foreign_roles(self, ws: list[str]) -> dict[str, str]:
        """Terms that only stand for a role the articles never name: "designer" stems to "design",
        which the articles use ("ML system design"), but a question about designers' jobs is not
        about that. Words the synonym tables list were mapped on purpose and stay."""
        roles = {w for w in ws if _AGENT.fullmatch(w)}
        if not roles:
            return {}
        forms = {w: {w, w[:-1] if w.endswith("s") else w + "s"} for w in roles}
        present = self.speller._present("answer_words", "word", set().union(*forms.values()))
        out: dict[str, str] = {}
        for w in (w for w in roles if not forms[w] & present):
            ts = terms(w)
            if len(ts) == 1 and ts[0] != w.rstrip("s"):
                out[ts[0]] = w.rstrip("s")  # no unit holds the unstemmed word: it counts as unknown
        return out

    def question_terms(self, question: str) -> list[str]:
        """The question's terms, its misspelt words first put right."""
        fixed = self.speller.correct_all(words(question)[:4 * MAX_QUESTION_TERMS])
        return terms(" ".join(fixed), query=True)[:MAX_QUESTION_TERMS]

    def ask(self, question: str) -> Answer:
        question = question or ""
        qterms = self.question_terms(question)
        if not qterms:
            return Answer(question, False, None)
        foreign = self.foreign_roles(words(question)[:4 * MAX_QUESTION_TERMS])
        qterms = [foreign.get(t, t) for t in qterms]
        ranked, weights, unknown = self.rank(qterms)
        if not ranked:
            return Answer(question, False, None)
        best = self._specific(_primary_first(ranked))
        topics = _distinct_topics(self, [c.row for c in ranked])
        focus = self.focus(best.row, weights)
        score = min(best.coverage, focus)
        if not self.confident(best, weights, focus, unknown):
            return Answer(question, False, None, score=score, nearest=topics[:3])
        return self._answer(question, best.row, weights, score, topics)

    def _specific(self, ranked: list[Candidate]) -> Candidate:
        """A ## section that only introduces its ### sub-sections gives way to a sub-section that
        matches nearly as well: the specifics are there ("who do AI PMs collaborate with")."""
        best = ranked[0]
        if best.row["kind"] != "section":
            return best
        for other in ranked[1:4]:
            if other.score < CHILD_MARGIN * best.score:
                break
            if other.row["kind"] == "section" and other.row["article"] == best.row["article"]:
                article = self.library.articles.get(other.row["article"])
                sec = article.section(other.row["section"]) if article else None
                if sec is not None and sec.parent == best.row["section"]:
                    return other
        return best

    def confident(self, best: Candidate, weights: dict[str, float], focus: float, unknown: set[str]) -> bool:
        """Whether the best unit answers the question, or only shares some of its words."""
        # one-word questions ("life?") must name what a heading or item is about, not just occur in it
        if len(weights) == 1 and not _names(best.row, weights):
            return False
        if best.coverage >= MIN_COVERAGE and focus >= MIN_FOCUS:
            # what frames a unit (title, section heading) holds the domain's words for every unit
            # in it: the question must also be said together by one of its sentences or phrasings,
            # or it is a neighbouring topic in the same words ("what is a product roadmap")
            return best.phrasing >= MIN_SAID or self.said(best.row, weights) >= MIN_SAID_ATOM

        # One word the library never uses ("bandwagon", "blocker") in a question that is otherwise
        # wholly about one place still asks about that place; a question resting on one or two known
        # words ("salary of a nurse") is about the unknown word.
        if len(unknown) != 1 or len(weights) - 1 < MIN_KNOWN_TERMS:
            return False
        known = {t: w for t, w in weights.items() if t not in unknown}
        total = sum(known.values()) or 1.0
        row = best.row
        seen = set(f"{row['head']} {row['body']} {row['ctx']}".split())
        return sum(w for t, w in known.items() if t in seen) / total >= MIN_KNOWN_SHARE \
            and self.focus(row, known) >= MIN_KNOWN_SHARE

    def said(self, unit: dict, weights: dict[str, float]) -> float:
        """The largest share of the question one sentence or item of the unit holds by itself."""
        total = sum(weights.values()) or 1.0
        atoms = json.loads(self.section_unit(unit)["atoms"])
        if unit["kind"] != "section":
            atoms = [atoms[unit["atom"]]] if 0 <= unit["atom"] < len(atoms) else []
        return max((sum(w for t, w in weights.items() if t in retrieval.atom_terms(a[0])) / total for a in atoms),
                   default=0.0)

    def focus(self, unit: dict, weights: dict[str, float]) -> float:
        """Share of the question one atom covers together with what frames it (headings,
        also-phrasings, title): an answer sits in one place, while a question's words
        scattered over a long section ("a good book on leadership") are a coincidence."""
        total = sum(weights.values()) or 1.0
        section = self.section_unit(unit)
        frame = set(f"{section['head']} {section['ctx']} {unit['ctx']}".split())
        for phrasing in json.loads(unit["phr"]):
            frame.update(phrasing.split())
        atoms = json.loads(section["atoms"])
        if unit["kind"] != "section":
            atoms = [atoms[unit["atom"]]] if 0 <= unit["atom"] < len(atoms) else []
        best = 0.0
        for atom in atoms:
            seen = frame | retrieval.atom_terms(atom[0])
            best = max(best, sum(w for t, w in weights.items() if t in seen) / total)
        return best

    def _answer(self, question: str, unit: dict, weights: dict[str, float], score: float,
                topics: list[Topic]) -> Answer:
        section = self.section_unit(unit)
        text = compose(section, weights, None if unit["kind"] == "section" else unit["atom"],
                       story=bool(_ASKS_STORY.search(question)))
        topic = self.topic(unit)
        citation = Citation(unit["article"], unit["title"], unit["section"])
        return Answer(question, True, text,
                      sources=[{"article": unit["article"], "title": unit["title"], "section": unit["section"],
                                "unit": unit["key"]}],
                      score=score, unit_key=unit["key"], citation=citation,
                      related=[t for t in topics if t.key != topic.key][:3])

    def answer_unit(self, key: str) -> Answer | None:
        """A unit answered directly (a related-question button): its lead sentences."""
        unit = self.unit(key)
        if unit is None:
            return None
        section = self.section_unit(unit)
        weights = {t: 1.0 for t in section["head"].split()}
        answer = self._answer(unit["section"], unit, weights, 1.0, [])
        answer.related = self.neighbours(section)
        return answer

    def neighbours(self, section: dict) -> list[Topic]:
        rows = self._rows("article = ? AND kind = 'section' ORDER BY id", [section["article"]])
        keys = [r["key"] for r in rows]
        i = keys.index(section["key"]) if section["key"] in keys else 0
        around = rows[i + 1:] + rows[:i]
        return [self.topic(r) for r in around[:3]]

    def section_text(self, key: str) -> tuple[str, Citation] | None:
        unit = self.unit(key)
        if unit is None:
            return None
        section = self.section_unit(unit)
        article = self.library.articles.get(section["article"])
        sec = article.section(section["section"]) if article else None
        body = sec.body if sec else "\n".join(a[0] for a in json.loads(section["atoms"]))
        if len(body) > MAX_SECTION_CHARS:
            body = body[:MAX_SECTION_CHARS].rsplit(" ", 1)[0] + " …"
        return body, Citation(section["article"], section["title"], section["section"])

    def topics_overview(self) -> list[tuple[str, list[str], list[Topic]]]:
        """(article title, main sections, example questions) per article."""
        out = []
        for article in self.library.articles.values():
            main = [s.heading for s in article.sections if s.level == 2]
            rows = self._rows("article = ? AND kind = 'section' ORDER BY id", [article.slug])
            questions = [self.topic(r) for r in rows if r["section"].endswith("?")]
            out.append((article.title, main, questions[:2]))
        return out


# Sections that restate the body ("Summary", "Key Takeaways"): on a near tie the body says it first
_RECAP = re.compile(r"^(summary|tl;?dr|key takeaways?|conclusions?|in conclusion|overview|final thoughts|bottom line)\b", re.I)
RECAP_MARGIN = 0.08


def _recap(row: dict) -> bool:
    # FAQ answers mostly restate the article body in fewer words, like a summary does
    return bool(_RECAP.match(row["section"])) or "faq" in row["ctx"].split()


def _primary_first(ranked: list[Candidate]) -> list[Candidate]:
    best = ranked[0]
    if not _recap(best.row):
        return ranked
    for i, other in enumerate(ranked[1:4], 1):
        if other.score < (1 - RECAP_MARGIN) * best.score:
            break
        if not _recap(other.row) and other.coverage >= best.coverage:
            return [other] + ranked[:i] + ranked[i + 1:]
    return ranked


def _names(row: dict, weights: dict[str, float]) -> bool:
    """A heading, also-phrasing or item label of at most three words is about this word."""
    return any(len(set(p.split())) <= 3 and weights.keys() & set(p.split()) for p in json.loads(row["phr"]))


def _phrasing_match(phrasing: list[str], phrasing_weight: float, weights: dict[str, float], total: float) -> float:
    """How well one heading or also-phrasing says the same as the question: the share of the
    question it covers, damped by how much of the phrasing (by idf) is about something else."""
    if not phrasing:
        return 0.0
    pset = set(phrasing)
    shared = sum(w for t, w in weights.items() if t in pset)
    return (shared / total) * min(1.0, shared / phrasing_weight if phrasing_weight else 1.0) ** 0.5


def _distinct_topics(index: AnswerIndex, rows: list[dict]) -> list[Topic]:
    seen, out = set(), []
    for row in rows:
        if row["section_key"] not in seen:
            seen.add(row["section_key"])
            out.append(index.topic(row))
    return out


# Debrief anecdotes ("In a Q3 debrief, a candidate…") share a question's words ("candidate",
# "interview") without answering it; the claim they illustrate sits in the sentences around them.
_STORY = re.compile(r"^(in an? |during |i recall|i once|i observed|i've seen|when i |at a |the feedback|"
                    r"the hiring (manager|committee)|my (online course|experience|years|firsthand)|[\"“])", re.I)
STORY_FACTOR = 0.5
# ...unless the question asks what happened ("why did one candidate get…", "an example of…")
_ASKS_STORY = re.compile(r"\b(did|was|were|happened|example|story|anecdote|debrief|once)\b", re.I)
_ANAPHOR = re.compile(r"^(their|they|this|these|those|it|its|such|he|she|his|her)\b", re.I)


def _label_terms(atom) -> frozenset[str]:
    if atom.kind == "sentence" or ":" not in atom.text[:60]:
        return frozenset()
    return retrieval.atom_terms(atom.text.split(":", 1)[0])


def compose(section: dict, weights: dict[str, float], forced: int | None = None, story: bool = False) -> str:
    """The 1–3 atoms of a section that best answer: the best match, the lead sentence when it
    also matches (these articles answer first), a list's lead-in when the match is an item."""
    atoms = [retrieval.Atom(*a) for a in json.loads(section["atoms"])]
    if not atoms:
        return ""
    # the heading's own words say "this section", not "this sentence"
    heading = set(json.loads(section["phr"])[0].split())
    in_heading = sum(w for t, w in weights.items() if t in heading)
    undamped = weights
    weights = {t: w * (0.2 if t in heading else 1.0) for t, w in weights.items()}
    stories: dict[int, bool] = {}
    for a in atoms:
        stories.setdefault(a.block, bool(_STORY.match(a.text)))
    scores = []
    for i, a in enumerate(atoms):
        own = retrieval.atom_terms(a.text)
        score = sum(w for t, w in weights.items() if t in own)
        if i and _ANAPHOR.match(a.text) and atoms[i - 1].block == a.block:
            # "Their output is…": the sentence before says whose
            before = retrieval.atom_terms(atoms[i - 1].text) - own
            score += 0.5 * sum(w for t, w in weights.items() if t in before)
        label = _label_terms(a)
        if label and label <= weights.keys():
            score += sum(undamped[t] for t in label)  # "Precision: …" when precision is asked about
        if stories[a.block] or _STORY.match(a.text):
            score *= 1 if story else STORY_FACTOR
        scores.append(score)
    # the lead wins unless another atom holds words the heading doesn't explain
    lead_bonus = 0.2 * in_heading + 0.25 * max(scores)
    if forced is not None and 0 <= forced < len(atoms):
        best = forced
    else:
        best = max(range(len(atoms)), key=lambda i: (scores[i] + (lead_bonus if i == 0 else 0), -i))
    def context(i: int) -> int | None:
        """The atom i can't be read without: a list's lead-in, or the sentence "This role…" refers to."""
        if i > 0 and atoms[i].kind != "sentence" and atoms[i - 1].text.endswith(":"):
            return i - 1
        if i > 0 and _ANAPHOR.match(atoms[i].text) and atoms[i - 1].block == atoms[i].block:
            return i - 1
        return None

    # in order of importance; the first three that fit are shown in reading order
    picks = [best, context(best)]
    if _STORY.match(atoms[best].text) and best + 1 < len(atoms) and atoms[best + 1].block == atoms[best].block:
        picks.append(best + 1)  # an anecdote's point is in how it goes on, not in how it opens
    # a section headed by a question answers it in its first sentence
    if best > 0 and (section["section"].endswith("?") or scores[0] > 0 and scores[0] >= 0.5 * scores[best]):
        picks.append(0)
    if 0 in picks and len(atoms[0].text) < 40 and len(atoms) > 1 and atoms[1].block == atoms[0].block:
        picks.insert(picks.index(0) + 1, 1)  # "Not necessarily." is the answer's first word, not all of it
    picked = {i for i in picks if i is not None}
    others = [i for i in range(len(atoms)) if i not in picked]
    if others and forced is None:
        # the next atom is the one adding most of what the question asks that isn't covered yet
        covered = set().union(*(retrieval.atom_terms(atoms[i].text) for i in picked))
        gain = {i: sum(w for t, w in weights.items() if t in retrieval.atom_terms(atoms[i].text) - covered)
                * (STORY_FACTOR if not story and (stories[atoms[i].block] or _STORY.match(atoms[i].text)) else 1)
                for i in others}
        # ties go to the better match, and a sentence introducing a list ("three key roles:") sums it up
        second = max(others, key=lambda i: (round(gain[i], 6),
                                            round(scores[i] * (1.5 if atoms[i].text.endswith(":") else 1), 6), -i))
        if scores[second] > 0 and (gain[second] >= 0.25 * scores[best] or scores[second] >= 0.6 * scores[best]):
            picks += [second, context(second)]
    picks = list(dict.fromkeys(i for i in picks if i is not None))
    last = max(picks[:3])
    if atoms[last].text.endswith(":"):
        picks += list(range(last + 1, min(len(atoms), last + 3)))
    elif forced is None:
        # a short answer reads better with what follows it in the same paragraph
        nxt = best + 1
        while len(dict.fromkeys(picks)) < 3 and nxt < len(atoms) and atoms[nxt].block == atoms[best].block \
                and sum(len(atoms[i].text) for i in dict.fromkeys(picks)) + len(atoms[nxt].text) <= SHORT_ANSWER:
            picks.append(nxt)
            nxt += 1
    elif len(picks) == 1 and len(atoms[best].text) < 120 and best + 1 < len(atoms) \
            and atoms[best + 1].block == atoms[best].block:
        picks.append(best + 1)
    if forced is None and len(atoms) <= 3 and sum(len(a.text) for a in atoms) <= MAX_ANSWER_CHARS:
        picks = list(range(len(atoms)))  # a section this short is its own best answer
    shown, size = [], 0
    for i in dict.fromkeys(picks):
        if len(shown) == 3 or (shown and size + len(atoms[i].text) > MAX_ANSWER_CHARS):
            break
        shown.append(i)
        size += len(atoms[i].text)
    out = [atoms[i] for i in sorted(shown)]
    if all(a.kind == "sentence" for a in out):
        return " ".join(a.text for a in out)
    return "\n".join(a.text if a.kind == "sentence" else f"- {a.text}" for a in out)


# ------------------------------------------------------------------ replies

def ask_json(coach, question: str) -> dict:
    return coach.index.ask(question).to_json()


def _now(coach) -> str:
    return coach.clock().isoformat(timespec="seconds")


def _log(coach, req, question: str, answer: Answer) -> int:
    cur = coach.db.execute(
        "INSERT INTO answer_log (platform, workspace, channel, user, question, terms, found, unit_key, score, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [req.platform, req.workspace, req.channel, req.user, question[:500],
         " ".join(terms(question, query=True)[:MAX_QUESTION_TERMS]), int(answer.found),
         answer.unit_key or None, answer.score, _now(coach)])
    return cur.lastrowid


def _remember(coach, req, unit_key: str, log_id: int | None) -> None:
    coach.db.execute(
        "INSERT INTO answer_last (platform, workspace, user, unit_key, log_id, at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(platform, workspace, user) DO UPDATE SET unit_key = excluded.unit_key, "
        "log_id = excluded.log_id, at = excluded.at",
        [req.platform, req.workspace, req.user, unit_key, log_id, _now(coach)])


def _topic_buttons(topics: list[Topic]) -> tuple[Button, ...]:
    return tuple(Button(t.label, f"ask:u:{t.key}") for t in topics[:3])


def answer_reply(answer: Answer, log_id: int) -> Reply:
    buttons = (*_topic_buttons(answer.related),
               Button("More", f"more:{answer.unit_key}"),
               Button("👍", f"fb:up:{log_id}"), Button("👎", f"fb:down:{log_id}"))
    return Reply(text=answer.answer or "", citation=answer.citation, buttons=buttons, kind="answer")


def decline_reply(answer: Answer) -> Reply:
    text = "I don't have an answer to that in my library — it covers AI PM, Data Scientist PM and " \
           "traditional PM roles, skills, interviews and pay."
    if answer.nearest:
        text += " The nearest topics I do cover:"
    return Reply(text=text, buttons=_topic_buttons(answer.nearest), kind="decline")


def cmd_ask(coach, req, args):
    question = args.strip()
    if not question:
        return [info("Ask me a question in your own words, for example `ask what does a DS PM do?` or "
                     "`ask how much more do AI PMs earn?`. Type `topics` to see what I cover.")]
    answer = coach.index.ask(question)
    log_id = _log(coach, req, question, answer)
    if not answer.found:
        return [decline_reply(answer)]
    _remember(coach, req, answer.unit_key, log_id)
    return [answer_reply(answer, log_id)]


def cmd_more(coach, req, args):
    row = coach.db.execute("SELECT unit_key FROM answer_last WHERE platform = ? AND workspace = ? AND user = ?",
                           [req.platform, req.workspace, req.user]).fetchone()
    if row is None:
        return [info("Ask me something first; `more` then shows the whole section my answer came from.")]
    return _more(coach, row[0])


def _more(coach, key: str) -> list[Reply]:
    found = coach.index.section_text(key)
    if found is None:
        return [error("That section is no longer in my library. Ask again and I'll find the current one.")]
    body, citation = found
    return [Reply(text=body, title=citation.section, citation=citation, kind="answer")]


def cmd_topics(coach, req, args):
    lines, buttons = [], []
    for title, sections, questions in coach.index.topics_overview():
        lines.append(f"**{title}**")
        lines.extend(f"- {s}" for s in sections)
        buttons.extend(Button(t.label, f"ask:u:{t.key}") for t in questions)
    return [Reply(title="What I can answer", text="\n".join(lines) + "\n\nAsk in your own words, or try one of these:",
                  buttons=tuple(buttons[:8]), kind="info")]


def act_ask(coach, req, parts):
    # ask:u:<unit key> — a related-question or topic button
    if len(parts) != 3 or parts[1] != "u":
        return [error("That button is no longer active. Ask your question in your own words.")]
    answer = coach.index.answer_unit(parts[2])
    if answer is None:
        return [error("That topic is no longer in my library. Type `topics` to see what I cover.")]
    log_id = _log(coach, req, answer.question, answer)
    _remember(coach, req, answer.unit_key, log_id)
    return [answer_reply(answer, log_id)]


def act_more(coach, req, parts):
    if len(parts) != 2:
        return [error("That button is no longer active. Type `more` after an answer instead.")]
    return _more(coach, parts[1])


def act_feedback(coach, req, parts):
    if len(parts) != 3 or parts[1] not in ("up", "down") or not parts[2].isdigit():
        return [error("That feedback button is no longer active.")]
    log_id, vote = int(parts[2]), 1 if parts[1] == "up" else -1
    with transaction(coach.db):
        row = coach.db.execute("SELECT 1 FROM answer_log WHERE id = ? AND platform = ? AND workspace = ?",
                               [log_id, req.platform, req.workspace]).fetchone()
        if row is None:
            return [error("I can't find that answer any more, so I couldn't record your feedback.")]
        coach.db.execute(
            "INSERT INTO answer_feedback (log_id, platform, workspace, user, vote, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(log_id, platform, workspace, user) "
            "DO UPDATE SET vote = excluded.vote, updated_at = excluded.updated_at",
            [log_id, req.platform, req.workspace, req.user, vote, _now(coach)])
    if vote > 0:
        return [info("Thanks — glad that helped.", ephemeral=True)]
    return [info("Thanks — I've noted that this answer missed, so the content authors can fix it. "
                 "`more` shows the whole section.", ephemeral=True)]


COMMANDS = [
    Command("ask", cmd_ask, "ask <question>", "answer a question from the articles", order=1),
    Command("more", cmd_more, "more", "the whole section behind my last answer", order=2),
    Command("topics", cmd_topics, "topics", "what the library covers", ("topic",), order=3),
]
ACTIONS = {"ask": act_ask, "more": act_more, "fb": act_feedback}


def render_plain(coach, question: str) -> str:
    answer = coach.index.ask(question)
    if not answer.found:
        reply = decline_reply(answer)
        return "\n".join([reply.text, *(f"- {b.label}" for b in reply.buttons)])
    return f"{answer.answer}\n{answer.citation.line()}"


# --------------------------------------------------------------------- gaps

def _similar(a: set[str], b: set[str]) -> bool:
    if not a or not b:
        return a == b
    return len(a & b) / len(a | b) >= 0.5


def gaps(db) -> list[dict]:
    """Unanswered and down-voted questions, per (platform, workspace), similar ones grouped."""
    rows = db.execute("""
        SELECT l.platform, l.workspace, l.question, l.terms, l.created_at, 'unanswered' AS why
          FROM answer_log l WHERE l.found = 0
        UNION ALL
        SELECT l.platform, l.workspace, l.question, l.terms, f.updated_at, 'down-voted' AS why
          FROM answer_feedback f JOIN answer_log l ON l.id = f.log_id
         WHERE f.vote < 0 AND f.platform = l.platform AND f.workspace = l.workspace
        ORDER BY 5""").fetchall()
    groups: list[dict] = []
    for platform, workspace, question, qterms, at, why in rows:
        tset = set(qterms.split())
        for g in groups:
            if (g["platform"], g["workspace"]) == (platform, workspace) and _similar(g["terms"], tset):
                break
        else:
            g = {"platform": platform, "workspace": workspace, "terms": tset, "count": 0, "questions": {},
                 "why": set(), "last_seen": at}
            groups.append(g)
        g["count"] += 1
        g["questions"][question] = g["questions"].get(question, 0) + 1
        g["why"].add(why)
        g["last_seen"] = max(g["last_seen"], at)
    groups.sort(key=lambda g: (g["platform"], g["workspace"], -g["count"], g["last_seen"]))
    return groups


def gaps_report(coach) -> str:
    groups = gaps(coach.db)
    if not groups:
        return "No unanswered or down-voted questions logged."
    lines, scope = [], None
    for g in groups:
        if (g["platform"], g["workspace"]) != scope:
            scope = (g["platform"], g["workspace"])
            lines.append(f"{'' if not lines else chr(10)}== {g['platform']} / {g['workspace']} ==")
        phrasings = sorted(g["questions"].items(), key=lambda kv: -kv[1])
        lines.append(f"{g['count']}× ({', '.join(sorted(g['why']))}; last seen {g['last_seen']}) "
                     f"{phrasings[0][0]!r}")
        lines.extend(f"    also: {q!r}" + (f" ×{n}" if n > 1 else "") for q, n in phrasings[1:5])
    return "\n".join(lines)
