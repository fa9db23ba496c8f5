"""The answering engine: question in, Answer (answered with a citation, or declined) out.

``AnswerIndex(db, library).ask(question) -> Answer``. Retrieval (retrieval.py) finds candidate
units, ranking.py scores them and decides whether the best one answers, compose.py picks the
sentences. Below confidence the bot says plainly it has no answer and offers the nearest topics:
it never answers with an unrelated passage.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import compose, context, disagreements, fit, ranking, retrieval, scope, semantic, synonyms
from .messages import Citation
from .ranking import Candidate, Unit
from .synonyms import terms, weak_terms
from .text import words

MAX_QUESTION_TERMS = 64  # a pasted essay is not a question; its first words say what it's about
MAX_SECTION_CHARS = 2800  # Slack section blocks stop at 3000
BUTTON_LABEL = 72
CLAUSE_AGREES_TOP = 3
# "what is an AI PM", "define AI product management": a subject whose terms weigh this little (idf) is the
# library's own domain, in every section; its definition is the sentence that opens with it ("An AI PM is…")
DOMAIN_TERM_WEIGHT = 1.5  # a long question's asking clause, answered alone, must land among the whole question's nearest
# an agent noun whose stem is not itself ("designer" -> "design", "recruiters" -> "recruit")
_AGENT = re.compile(r"[a-z]{4,}(?:er|or)s?")


@dataclass
class Topic:
    key: str  # unit key of the section
    article: str
    title: str
    section: str

    @property
    def label(self) -> str:
        return label(self.section)


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
    note: str = ""  # declined: why, when more can be said than "no answer" (a passing mention, a role)

    def to_json(self) -> dict:
        return {"question": self.question, "found": self.found, "answer": self.answer,
                "sources": self.sources, "score": round(self.score, 4)}


def label(text: str) -> str:
    return text if len(text) <= BUTTON_LABEL else text[: BUTTON_LABEL - 1].rstrip() + "…"


def topic(unit: Unit) -> Topic:
    return Topic(unit.section_key, unit.article, unit.title, unit.section)


def distinct_topics(units: list[Unit]) -> list[Topic]:
    seen, out = set(), []
    for unit in units:
        if unit.section_key not in seen:
            seen.add(unit.section_key)
            out.append(topic(unit))
    return out


class AnswerIndex:
    """Built at every start; the rebuild runs only when the content (or the indexer) changed."""

    def __init__(self, db, library):
        self.db, self.library = db, library
        self.rebuilt = retrieval.current_digest(db) != retrieval.index_digest(library)
        if self.rebuilt:
            retrieval.rebuild(db, library)
        self.units = retrieval.unit_count(db)
        self.speller = retrieval.Speller(db)
        self._sections: list[Unit] | None = None
        self._places: dict[str, list[str]] = {}
        self.disagreements = disagreements.parsed(library.root / disagreements.FILE_NAME)
        self.meaning = semantic.Meaning(self) if semantic.enabled() else None  # see semantic.py

    @property
    def sections(self) -> list[Unit]:
        """Every section unit, in article order (read once: scope checks look at all of them)."""
        if self._sections is None:
            self._sections = self._units("kind = 'section' ORDER BY id", [])
        return self._sections

    # -------------------------------------------------------------- lookups
    def _units(self, where: str, args) -> list[Unit]:
        cur = self.db.execute(f"SELECT * FROM answer_units WHERE {where}", args)
        names = [d[0] for d in cur.description]
        return [Unit.from_row(dict(zip(names, row))) for row in cur.fetchall()]

    def unit(self, key: str) -> Unit | None:
        rows = self._units("key = ?", [key])
        return rows[0] if rows else None

    def section_unit(self, unit: Unit) -> Unit:
        if unit.is_section:
            return unit
        return self._units("key = ?", [unit.section_key])[0]

    # ------------------------------------------------------------------ ask
    def rank(self, qterms: list[str], asking: list[str] | None = None, points_back: bool = False,
             about_me: set[str] = frozenset(), long: bool = False) -> tuple[list[Candidate], dict[str, float], set[str]]:
        """Candidates from FTS, re-ranked by ranking.score. asking: the terms of a long question's
        asking clause (context.asking_clause); the rest of it is context and counts less."""
        df = retrieval.document_frequency(self.db, qterms)
        weights = retrieval.idf(df, self.units)
        for t in weights.keys() & weak_terms():
            weights[t] *= ranking.WEAK_FACTOR
        unknown = {t for t, d in df.items() if d == 0}
        for t, factor in context.factors(weights, asking, unknown, points_back, about_me,
                                            long).items():
            weights[t] *= factor
            if not factor:
                del weights[t], df[t]
                unknown.discard(t)
        hits = retrieval.search(self.db, retrieval.match_terms(df, self.units))
        if not hits:
            return [], weights, unknown
        units = {u.id: u for u in self._units(f"id IN ({', '.join('?' * len(hits))})", [h[0] for h in hits])}
        top_bm25 = max(h[1] for h in hits) or 1.0
        out = [ranking.score(units[uid], weights, bm25, top_bm25) for uid, bm25 in hits]
        out.sort(key=lambda c: -c.score)
        return out, weights, unknown

    def foreign_roles(self, ws: list[str]) -> dict[str, str]:
        """Terms that only stand for a role the articles never name: "designer" stems to "design",
        which the articles use ("ML system design"), but a question about designers' jobs is not
        about that. Words the vocabulary lists were mapped on purpose and stay."""
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
        adverbs = {w for w in fixed if context.ADVERB.fullmatch(w)}
        if adverbs:  # "roughly", "commonly": how something is asked, unless the articles use the word
            unused = adverbs - self.speller._present("answer_words", "word", adverbs) - synonyms.vocabulary()
            fixed = [w for w in fixed if w not in unused]
        return terms(" ".join(fixed), query=True)[:MAX_QUESTION_TERMS]

    def ask(self, question: str, context_ok: bool = True) -> Answer:
        question = question or ""
        qterms = self.question_terms(question)
        if not qterms:
            return Answer(question, False, None)
        foreign = self.foreign_roles(words(question)[:4 * MAX_QUESTION_TERMS])
        qterms = [foreign.get(t, t) for t in qterms]
        clause = context.asking_clause(question) if context_ok else ""
        points_back = context.refers_back(clause)
        about_me, rest = context.background(question) if points_back else ("", "")
        ranked, weights, unknown = self.rank(qterms, self.question_terms(clause) if clause else None, points_back,
                                             set(self.question_terms(about_me)) - set(self.question_terms(rest)),
                                             long=context_ok and len(words(question)) >= context.MIN_CONTEXT_WORDS
                                             and len(set(qterms)) >= context.MIN_CONTEXT_TERMS)
        if not ranked:
            blocked = bool(foreign) or bool(self.out_of_scope(question, qterms))
            return self._rescued(question, weights, [], blocked) or Answer(question, False, None)
        if self.meaning is not None:
            ranked = self.meaning.rerank(question, ranked)
        advice = synonyms.asks_advice(question)
        if advice:
            for c in ranked:
                if c.unit.is_section and synonyms.advises(c.unit.section):
                    c.score += ranking.ADVICE_BOOST
            ranked.sort(key=lambda c: -c.score)
            ranked = ranking.advising_first(ranked)
        declined = self.out_of_scope(question, qterms)
        if declined:
            return Answer(question, False, None, nearest=distinct_topics([c.unit for c in ranked])[:3], note=declined)
        topics = distinct_topics([c.unit for c in ranked])
        defined = self.domain_definition(question, topics)
        if defined is not None:
            return defined
        ranked, role = self.naming_roles(ranked, terms(" ".join(self.speller.correct_all(words(question))), query=True,
                                                       gaps=True))
        role_note = (f"The articles don't cover that for the {role} role; the nearest topics I have are "
                     f"about other roles.") if role else ""
        if not ranked:
            return Answer(question, False, None, nearest=topics[:3], note=role_note)
        best = self.specific(ranking.primary_first(ranked))
        section = self.section_unit(best.unit)
        focus = ranking.focus(best.unit, section, weights)
        score = min(best.coverage, focus)
        runner_up = next((c.score for c in ranked if c.unit.section_key != best.unit.section_key), 0.0)
        if not ranking.confident(best, section, weights, focus, unknown,
                                 advice=advice and synonyms.advises(section.section),
                                 lead=best.score / runner_up if runner_up else float("inf"),
                                 # a clause pointing back ("is that a bug?") asks about the context
                                 asked=frozenset(self.question_terms(clause)) if clause and not points_back else None):
            if context_ok:
                # "I've been a B2B SaaS PM for 6 years… how do I move into AI PM?": the question is its
                # last clause; the rest is context the library has no words for
                # "how do I explain it?" asks nothing by itself
                if clause and not context.asks_nothing_alone(clause, len(self.question_terms(clause))):
                    found = self.ask(clause, context_ok=False)
                    # the clause alone must still be about what the whole question points at
                    if found.found and found.unit_key and any(t.key == self.unit(found.unit_key).section_key
                                                              for t in topics[:CLAUSE_AGREES_TOP]):
                        found.question = question
                        return found
            return self._rescued(question, weights, topics, bool(foreign or role_note)) or \
                Answer(question, False, None, score=score, nearest=topics[:3], note=role_note)
        answer = self._answer(question, best.unit, weights, score, topics)
        if fit.asks_count(question, synonyms.current().count_questions) and not fit.has_number(answer.answer):
            return Answer(question, False, None, score=score, nearest=topics[:3])  # "how many…" without a number
        return answer

    def domain_definition(self, question: str, topics: list[Topic]) -> Answer | None:
        """ "What is an AI PM": the first sentence of the library that opens with the subject and defines it,
        when the subject is the library's own domain (its terms weigh next to nothing, so ranking can't tell)."""
        subject = scope.definition_subject(question)
        key = terms(subject, query=True) if subject else []
        if not key:
            return None
        weights = retrieval.idf(retrieval.document_frequency(self.db, key), self.units)
        if any(w > DOMAIN_TERM_WEIGHT for w in weights.values()):
            return None
        found = [(section, i) for section in self.sections for i, atom in enumerate(section.atoms)
                 if atom.kind == "sentence" and scope.opens_defining(key, atom.text)]
        if not found:
            return None
        # the user's own words first ("AI product management focuses on…" for "define AI product management")
        said = " ".join(w for w in words(subject) if w not in ("a", "an", "the"))
        section, i = next(((s, i) for s, i in found if " ".join(words(s.atoms[i].text)).startswith(said)
                           or " ".join(words(s.atoms[i].text)[1:]).startswith(said)), found[0])
        text = compose.compose(section, {t: 1.0 for t in key}, forced=i)
        return Answer(question, True, text,
                      sources=[{"article": section.article, "title": section.title, "section": section.section,
                                "unit": section.key}],
                      score=1.0, unit_key=section.key, citation=Citation(section.article, section.title, section.section),
                      related=[t for t in topics if t.key != section.key][:3])

    def naming_roles(self, ranked: list[Candidate], qterms: list[str]) -> tuple[list[Candidate], str | None]:
        """The candidates from places that name every role the question names (fit.missing_role),
        and the role that sank the best one."""
        roles = synonyms.current().named_roles
        missing = [fit.missing_role(qterms, self._place(c.unit.section_key), roles) for c in ranked]
        return [c for c, m in zip(ranked, missing) if m is None], missing[0]

    def said_anywhere(self, subject: list[str]) -> bool:
        """Whether a section's title, heading, text or also-phrasings use these terms together, in order."""
        return any(fit.runs(self._place(s.key), tuple(subject)) or any(fit.runs(list(p), tuple(subject))
                                                                         for p in s.phrasings)
                   for s in self.sections)

    def _place(self, section_key: str) -> list[str]:
        """A section's article title, heading and text, as terms in reading order (kept: it never changes)."""
        if section_key not in self._places:
            section = next((s for s in self.sections if s.key == section_key), None)
            text = " ".join([section.title, section.section, *(a.text for a in section.atoms)]) if section else ""
            self._places[section_key] = terms(text)
        return self._places[section_key]

    def _rescued(self, question: str, weights: dict[str, float], topics: list[Topic], blocked: bool) -> Answer | None:
        """A question lexical retrieval declined, answered by the section nearest in meaning (semantic.py);
        blocked: a role the articles never name, or out of scope for a reason already known."""
        if self.meaning is None or blocked:
            return None
        found = self.meaning.rescue(question)
        if found is None:
            return None
        unit, atom, closeness = found
        answer = self._answer(question, unit, weights, closeness, topics, atom=atom)
        if fit.asks_count(question, synonyms.current().count_questions) and not fit.has_number(answer.answer):
            return None  # "how many…" without a number
        return answer

    def out_of_scope(self, question: str, qterms: list[str]) -> str:
        """Why a question whose words the articles use is still not theirs to answer, or ""."""
        passing = scope.passing_mention(question, self.sections)
        if passing is not None:
            where = "; ".join(f"{title} › {section}" for title, section in passing.where)
            return f"The articles mention {passing.subject} only in passing ({where}); they don't explain it."
        unused = scope.unused_subject(question, self.sections)
        if unused is not None and not self.said_anywhere(terms(unused, query=True)):
            return (f"I don't have an answer to that — the articles never mention {unused}; my library covers AI PM, "
                    f"Data Scientist PM and traditional PM roles, skills, interviews and pay.")
        vocabulary = synonyms.current()
        # what a long question asks sits in its asking clause: "someone told me I sound like I read one book
        # on ML…" asks for no book, and "I'm a UX designer… what does a design lead's path look like?" is
        # about the design lead, whatever the background before it
        clause = context.asking_clause(question)
        asked = self.question_terms(clause) if clause else qterms
        if vocabulary.resources & set(asked):
            return ("I don't have an answer to that — the articles recommend no books, courses or other resources; "
                    "my library covers AI PM, Data Scientist PM and traditional PM roles, skills, interviews and pay.")
        role = scope.other_role(clause or question, list(vocabulary.other_roles), self.sections,
                                vocabulary.career_words)
        if role is not None:
            # "TPM or AI PM?" weighs a role the articles compare against: a PM beyond the role's own words,
            # or words that weigh it as an option ("is Platform PM a good alternative")
            covered = qterms.count("pm") > terms(role).count("pm")
            if not covered or scope.explained(role, self.sections) is None:
                return (f"I don't have an answer to that — my library covers AI PM, Data Scientist PM and "
                        f"traditional PM careers, not {role} roles, and I won't guess from articles about other jobs.")
        employer = scope.employer_asked(clause or question, vocabulary.employers, vocabulary.employer_asks)
        if employer is not None:
            said = re.search(r"\W+".join(map(re.escape, employer.split())), question, re.I)
            return (f"I don't have an answer to that — the articles mention {said[0] if said else employer} only in "
                    f"passing; they "
                    f"don't cover hiring or working at any particular company.")
        role = scope.alternative_as_career(clause or question, list(vocabulary.alternative_roles),
                                           vocabulary.alternative_asks, vocabulary.option_words)
        if role is not None:
            return (f"I don't have an answer to that — the articles name {role} only as an alternative to the "
                    f"PM tracks; they don't cover its pay, hiring or how to get there.")
        return ""

    def specific(self, ranked: list[Candidate]) -> Candidate:
        """A ## section that only introduces its ### sub-sections gives way to a sub-section that
        matches nearly as well: the specifics are there ("who do AI PMs collaborate with")."""
        best = ranked[0]
        if not best.unit.is_section:
            return best
        for other in ranked[1:4]:
            if other.score < ranking.CHILD_MARGIN * best.score:
                break
            if other.unit.is_section and other.unit.article == best.unit.article:
                article = self.library.articles.get(other.unit.article)
                sec = article.section(other.unit.section) if article else None
                if sec is not None and sec.parent == best.unit.section:
                    return other
        return best

    def _answer(self, question: str, unit: Unit, weights: dict[str, float], score: float,
                topics: list[Topic], atom: int | None = None) -> Answer:
        """atom: the sentence that answers, when it is known without the question's words (semantic.py)."""
        section = self.section_unit(unit)
        text = compose.compose(section, weights, atom if unit.is_section else unit.atom,
                               story=bool(compose.ASKS_STORY.search(question)),
                               lead_first=synonyms.asks_advice(question) and synonyms.advises(section.section),
                               whole_list=synonyms.asks_whole_list(question),
                               who=bool(compose.ASKS_WHO.search(question)), **self._asked_role(question))
        citation = Citation(unit.article, unit.title, unit.section)
        sources = [{"article": unit.article, "title": unit.title, "section": unit.section, "unit": unit.key}]
        text = self._with_other_claims(text, section, weights, sources)
        return Answer(question, True, text,
                      sources=sources,
                      score=score, unit_key=unit.key, citation=citation,
                      related=[t for t in topics if t.key != unit.section_key][:3])

    def _asked_role(self, question: str) -> dict:
        """The one role the question names (vocabulary named_roles, as terms) and the others, for compose."""
        roles = tuple(dict.fromkeys(tuple(terms(r)) for r in synonyms.current().named_roles))
        qterms = self.question_terms(question)
        asked = [r for r in roles if r and fit.runs(qterms, r)]
        return {"role": asked[0], "other_roles": roles} if len(asked) == 1 else {}

    def _claim_sentence(self, section: Unit, says: str) -> str:
        return next((a.text for a in section.atoms if disagreements.holds(says, a.text)), "")

    def _with_other_claims(self, text: str, section: Unit, weights: dict[str, float], sources: list[dict]) -> str:
        """Where the articles disagree on what was asked, the answer gives every claim, each cited."""
        for d in self.disagreements:
            if not (d.involves(section.article, section.section) and weights.keys() & d.terms):
                continue
            own = next(c for c in d.claims if (c.article, c.section) == (section.article, section.section))
            if not disagreements.holds(own.says, text):
                text = f"{self._claim_sentence(section, own.says)} {text}".strip()
            for claim in d.other_claims(section.article, section.section):
                other = next((u for u in self.sections if (u.article, u.section) == (claim.article, claim.section)),
                             None)
                sentence = self._claim_sentence(other, claim.says) if other else ""
                if sentence:
                    text += f"\n\nThe articles disagree here. {other.title} › {other.section}: {sentence}"
                    sources.append({"article": other.article, "title": other.title, "section": other.section,
                                    "unit": other.key})
        return text

    def answer_unit(self, key: str) -> Answer | None:
        """A unit answered directly (a related-question button): its lead sentences."""
        unit = self.unit(key)
        if unit is None:
            return None
        section = self.section_unit(unit)
        weights = {t: 1.0 for t in section.head}
        answer = self._answer(unit.section, unit, weights, 1.0, [])
        answer.related = self.neighbours(section)
        return answer

    def neighbours(self, section: Unit) -> list[Topic]:
        rows = self._units("article = ? AND kind = 'section' ORDER BY id", [section.article])
        keys = [r.key for r in rows]
        i = keys.index(section.key) if section.key in keys else 0
        around = rows[i + 1:] + rows[:i]
        return [topic(r) for r in around[:3]]

    def section_text(self, key: str) -> tuple[str, Citation] | None:
        unit = self.unit(key)
        if unit is None:
            return None
        section = self.section_unit(unit)
        article = self.library.articles.get(section.article)
        sec = article.section(section.section) if article else None
        body = sec.body if sec else "\n".join(a.text for a in section.atoms)
        if len(body) > MAX_SECTION_CHARS:
            body = body[:MAX_SECTION_CHARS].rsplit(" ", 1)[0] + " …"
        return body, Citation(section.article, section.title, section.section)

    def topics_overview(self) -> list[tuple[str, list[str], list[Topic]]]:
        """(article title, main sections, example questions) per article."""
        out = []
        for article in self.library.articles.values():
            main = [s.heading for s in article.sections if s.level == 2]
            rows = self._units("article = ? AND kind = 'section' ORDER BY id", [article.slug])
            questions = [topic(r) for r in rows if r.section.endswith("?")]
            out.append((article.title, main, questions[:2]))
        return out
