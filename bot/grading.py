"""Grading open answers by meaning: sentence by sentence, with negation, against the drill's key points.

Pure: a drill and the learner's text in, a Grade out (no database, no platform).

How an answer is read:
- It is split into sentences, and sentences into clauses (commas, "but", "whereas", "instead of"...).
  A clause's *polarity* is the parity of the negations in it ("not", "n't", "never", "no", "without",
  "skip", "irrelevant"...; "not only/just" is not one). A short verbless fragment after a negated clause
  ("doesn't own model behavior, the data flywheel, safety") stays in its scope.
- A key point is *said* when one of its phrasings appears in one sentence: a ``words`` phrase with its
  words close together, or a ``says`` phrasing (the concept in a learner's words) or the point itself with
  most of its words in that sentence (after stemming). (Static word vectors distilled from all-MiniLM-L6-v2
  were measured as a synonym/similarity step and did not separate good answers from mediocre ones, so
  meaning comes from the phrasings the drills list.)
- Each match has the polarity the point gives it ("Coding skills aren't required" expects a negation);
  a match with the same polarity covers the point, a negated match of a point stated positively
  *contradicts* it. A point both covered and contradicted counts as covered (the learner said it).
- Score: the share (covered + half of those said only in part - contradicted) / points, calibrated as
  share ** 0.7 so that half the points stated well is a pass; reversing the article's points scores 0, and
  saying more that is on topic and not contradicting never lowers a score.
- An answer that is only a list of terms is not graded: the learner is asked for sentences.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

from .content import Drill, KeyPoint
from .text import STOPWORDS, normalize, stem, words

PASS_SCORE = 60  # an open answer at or above this counts as correct in accuracy figures


# ------------------------------------------------------------------ vocabulary (why: see module doc)

# Words that reverse what their clause says.
NEGATORS = frozenset("""
not no never none nor neither nothing nobody without cannot skip skipping skipped ignore ignoring ignored
irrelevant pointless unnecessary overrated useless needless rarely seldom hardly unimportant optional overkill
myth unneeded nonsense overhyped nah
""".split())
# Chat spellings of negated auxiliaries ("dont", "isnt").
_BARE_NOT = {w: w[:-2] for w in """dont doesnt didnt isnt arent wasnt werent wouldnt shouldnt couldnt
cant wont havent hasnt hadnt neednt mustnt aint""".split()}
# "not only / not just X": X is affirmed, not negated; "no matter", "no doubt": not a negation either.
_NOT_NEGATING_NEXT = {"not": {"only", "just", "merely", "simply", "least"}, "no": {"matter", "doubt"},
                      "without": {"doubt"}, "nothing": {"but"}}
# Words that end a clause: what follows has its own polarity.
_CLAUSE_BREAKS = frozenset("but however whereas although though while yet so because since instead rather "
                           "without which unless otherwise then that sure ensure".split())
# A comma fragment with one of these is a clause of its own, not a continuation of a list.
_CLAUSE_STARTERS = frozenset("""i we you they he she it this that there these those my our your their
is are was were be been being am do does did has have had can could will would should must may might shall
need needs needed matter matters mean means""".split())
# Function words kept apart from content (negators are not stopwords here, unlike text.STOPWORDS).
_STOP = (STOPWORDS | {"d", "ll", "re", "ve", "m", "s", "t", "im", "id", "ive", "youre", "theyre", "thats",
                      "isn", "aren", "wasn", "weren", "wouldn", "shouldn", "couldn", "doesn", "didn", "don",
                      "hasn", "haven", "hadn", "ca", "wo", "sha", "lot", "lots", "basically", "actually",
                      "honestly", "imo", "tbh", "eg", "ie", "e", "g", "also", "even", "way", "bit"}) - NEGATORS - {
    # words that carry meaning in a key point ("the same input", "more testing before launch")
    "same", "few", "before", "after", "against", "over", "under", "more", "most", "only", "every", "both"}

_SENTENCE_END = re.compile(r"(?<!\d)[.!?;]+(?!\d)|\n+|:(?!\d)|\s[-–—]+\s|•")
_CONTRACTION = re.compile(r"\b(can|won|shan)'t\b|n't\b")
_ABBREV = re.compile(r"\b(e\.g|i\.e|etc|vs|approx)\.")


# Dismissals that work as negations ("who cares about GDPR", "forget about data collection").
_DISMISSALS = re.compile(r"\bwho cares(?: about)?\b|\bforget(?: about)?\b|\ba waste of (?:time|money|effort)\b"
                         r"|\b(?:the )?last thing (?:i|you|we)(?:'d| would)? (?:worry|care|think) about\b")


def _expand(text: str) -> str:
    text = _DISMISSALS.sub(" not ", normalize(text))
    text = _ABBREV.sub(lambda m: m.group(1).replace(".", ""), text)
    text = _CONTRACTION.sub(lambda m: {"can": "can not", "won": "will not", "shan": "shall not"}
                            .get(m.group(1) or "", " not"), text)
    return text.replace("cannot", "can not")


# ------------------------------------------------------------------ reading a text

@dataclass
class Reading:
    """A text as tokens: content tokens per sentence, each with the polarity of its clause."""
    sentences: list[list[str]] = field(default_factory=list)  # stemmed content tokens
    negated: list[list[bool]] = field(default_factory=list)  # per token: its clause is negated
    raw: list[str] = field(default_factory=list)  # each sentence as written
    fragments: list[list[str]] = field(default_factory=list)  # comma fragments (raw words), for list detection
    spans: list[list[str]] = field(default_factory=list)  # per sentence: every word stemmed, function words too
    span_negated: list[list[bool]] = field(default_factory=list)

    @property
    def tokens(self) -> list[str]:
        return [t for s in self.sentences for t in s]


def _words(fragment: str) -> list[str]:
    out = []
    for w in words(fragment):
        if w in _BARE_NOT:  # "dont" -> "do not": keep the negation visible
            out.extend([_BARE_NOT[w], "not"])
        else:
            out.append(w)
    return out


def _negations(ws: list[str]) -> int:
    n = 0
    for i, w in enumerate(ws):
        if w in NEGATORS:
            nxt = ws[i + 1] if i + 1 < len(ws) else ""
            if nxt not in _NOT_NEGATING_NEXT.get(w, ()):
                n += 1
    return n


def _clauses(sentence: str) -> list[tuple[list[str], bool]]:
    """Split one sentence into clauses: (raw words, negated)."""
    out: list[tuple[list[str], bool]] = []
    spreading = False  # the last clause's negation carries on into a following list of terms
    for part in re.split(r"[,()]", sentence):
        ws = _words(part)
        if not ws:
            continue
        # cut at clause breaks inside the comma fragment ("... but ...", "... instead of ...")
        pieces, cur = [], []
        for i, w in enumerate(ws):
            if w in _CLAUSE_BREAKS and cur:
                pieces.append(cur)
                cur = []
            cur.append(w)
        pieces.append(cur)
        pieces_negated: list[bool] = []
        for j, piece in enumerate(pieces):
            neg = _negations(piece)
            if piece[0] in ("instead", "rather") and piece[1:2] in (["of"], ["than"]):
                neg += 1  # "instead of comparing months": what follows is rejected
            negated = neg % 2 == 1
            if piece[0] == "without" and j > 0 and pieces_negated[-1]:
                negated = not negated  # "can't ship without evals": evals are required
            pieces_negated.append(negated)
            # a short verbless fragment continuing a negated clause's list stays negated
            # ("doesn't own model behavior, the data flywheel, safety"), but not after "instead of three"
            spreads = negated and _negations(piece) > 0
            if (j == 0 and out and spreading and neg == 0 and len(piece) <= 5
                    and not (set(piece) & _CLAUSE_STARTERS) and piece[0] not in _CLAUSE_BREAKS):
                negated = spreads = True
            spreading = spreads
            out.append((piece, negated))
    # ... and a list of terms that is the subject of a negated clause ("training, evaluation and
    # monitoring can be ignored") is negated too
    for i in range(len(out) - 1, 0, -1):
        piece, negated = out[i]
        if negated and _negations(piece) and piece[0] not in _SUBJECTS and piece[0] not in _CLAUSE_BREAKS:
            j = i - 1
            while j >= 0 and _termlike(out[j][0]) and not out[j][1]:
                out[j] = (out[j][0], True)
                j -= 1
    return out


_SUBJECTS = frozenset("i we you they he she it this there these those my our your their".split())


def _termlike(ws: list[str]) -> bool:
    return len(ws) <= 5 and not (set(ws) & _CLAUSE_STARTERS) and ws[0] not in _CLAUSE_BREAKS


@lru_cache(maxsize=4096)
def read(text: str) -> Reading:
    reading = Reading()
    for sentence in _SENTENCE_END.split(_expand(text or "")):
        if not sentence or not sentence.strip():
            continue
        toks, negs, span, span_negs = [], [], [], []
        for ws, negated in _clauses(sentence):
            for w in ws:
                span.append(stem(w))
                span_negs.append(negated)
                if w in _STOP or w in NEGATORS:
                    continue
                toks.append(stem(w))
                negs.append(negated)
        for part in re.split(r"[,()]", sentence):
            ws = _words(part)
            if ws:
                reading.fragments.append(ws)
        if toks:
            reading.sentences.append(toks)
            reading.negated.append(negs)
            reading.raw.append(" ".join(sentence.split()))
            reading.spans.append(span)
            reading.span_negated.append(span_negs)
    return reading


# ------------------------------------------------------------------ a bare list of terms

TERM_LIST_FUNCTION_SHARE = 0.15  # sentences measured 0.22-0.62 function words, lists of terms 0-0.17


def is_term_list(reading: Reading) -> bool:
    """Only a list of terms ("statistical inference, hypothesis testing, a/b testing, ..."), no sentences:
    mostly short verbless fragments, or hardly any function words at all (a list without commas)."""
    frags = reading.fragments
    all_words = [w for f in frags for w in f]
    if len(all_words) >= 6:
        function = sum(1 for w in all_words if w in STOPWORDS or w in _CLAUSE_STARTERS or w in NEGATORS)
        if function < TERM_LIST_FUNCTION_SHARE * len(all_words):
            return True
    if len(frags) < 4:
        return False
    termlike = [f for f in frags if len(f) <= 5 and not (set(f) & _CLAUSE_STARTERS)]
    return len(termlike) >= 0.8 * len(frags)


# ------------------------------------------------------------------ phrasings of a key point

@dataclass(frozen=True)
class Phrasing:
    tokens: tuple[str, ...]
    negated: bool  # the polarity the point gives this phrasing
    exact: bool  # a `words` phrase: its words close together; else most of them in one sentence
    text: str
    # a phrasing that is mostly function words ("what the model does", "where it works") is matched word
    # for word, function words included: its one content word alone would match far too much
    idiom: tuple[str, ...] = ()


def _content(ws: list[str]) -> tuple[str, ...]:
    return tuple(stem(w) for w in ws if w not in _STOP and w not in NEGATORS)


@lru_cache(maxsize=4096)
def phrasings(point: KeyPoint) -> tuple[Phrasing, ...]:
    point_reading = read(point.point)

    def polarity(toks: tuple[str, ...], own_ws: list[str]) -> bool:
        # where the point's own text says these words, its clause gives the polarity
        for sent, negs in zip(point_reading.sentences, point_reading.negated):
            hits = [negs[i] for i, t in enumerate(sent) if t in toks]
            if toks and len(set(t for t in sent if t in toks)) == len(set(toks)):
                return sum(hits) * 2 > len(hits)
        return _negations(own_ws) % 2 == 1

    out = []
    for phrase in point.words:
        ws = _words(_expand(phrase))
        toks = _content(ws)
        if toks:
            out.append(Phrasing(toks, polarity(toks, ws), True, phrase))
    for phrase in (*point.says, point.point):
        reading = read(phrase)
        for sent, negs, raw, span in zip(reading.sentences, reading.negated, reading.raw, reading.spans):
            if sent:
                idiom = tuple(w for w in span if w not in NEGATORS) if len(sent) == 1 and len(span) > 1 else ()
                out.append(Phrasing(tuple(sent), sum(negs) * 2 > len(negs), False, raw, idiom))
    return tuple(out)


def _find_exact(toks: tuple[str, ...], sent: list[str]) -> list[int] | None:
    """Positions of the phrase's words, all within a window a little wider than the phrase."""
    if len(toks) == 1:
        return [sent.index(toks[0])] if toks[0] in sent else None
    need, width = set(toks), len(toks) + 2
    for i, tok in enumerate(sent):
        if tok in need:
            window = sent[i:i + width]
            if need <= set(window):
                return [i + j for j, t in enumerate(window) if t in need]
    return None


def _find_loose(toks: tuple[str, ...], sent: list[str]) -> list[int] | None:
    """Most of the phrasing's distinct words (all of them when it has two or three) in a stretch of the
    sentence about three times the phrasing's length."""
    need = set(toks)
    enough = max(1, len(need) if len(need) <= 3 else math.ceil(0.7 * len(need)))
    width = 3 * len(need) + 2
    for i, tok in enumerate(sent):
        if tok in need:
            window = sent[i:i + width]
            have = need & set(window)
            if len(have) >= enough:
                return [i + j for j, t in enumerate(window) if t in have]
    return None


# ------------------------------------------------------------------ grade

@dataclass(frozen=True)
class Match:
    point: KeyPoint
    sentence: int  # index into the answer's sentences
    negated: bool  # the answer's polarity there
    agrees: bool
    strong: bool = True  # a phrasing of two or more words (one shared word is weak evidence)


@dataclass(frozen=True)
class Grade:
    score: int  # 0..100
    correct: bool
    choice: str = ""  # MCQ letter the user picked
    hit: tuple[KeyPoint, ...] = ()
    missed: tuple[KeyPoint, ...] = ()
    contradicted: tuple[KeyPoint, ...] = ()  # points the answer reverses (also in missed)
    said: tuple[tuple[KeyPoint, str], ...] = ()  # for each contradicted point, the sentence that reverses it
    needs_sentences: bool = False  # a bare list of terms: not graded, the learner is asked for sentences
    partial: tuple[KeyPoint, ...] = ()  # points the answer touches in its own words but doesn't state

    @property
    def rating(self) -> int:
        """The FSRS rating (1 Again .. 4 Easy) this grade suggests."""
        if self.choice:
            return 3 if self.correct else 1
        if self.score >= 90:
            return 4
        if self.score >= PASS_SCORE:
            return 3
        if self.score >= 30:
            return 2
        return 1


def _find_idiom(words_: tuple[str, ...], span: list[str]) -> list[int] | None:
    n = len(words_)
    for i in range(len(span) - n + 1):
        if tuple(span[i:i + n]) == words_:
            return list(range(i, i + n))
    return None


def matches(point: KeyPoint, reading: Reading) -> list[Match]:
    out = []
    for si, (sent, negs) in enumerate(zip(reading.sentences, reading.negated)):
        for ph in phrasings(point):
            if ph.idiom:
                span = [w for w in reading.spans[si]]
                keep = [i for i, w in enumerate(span) if w not in NEGATORS]
                found = _find_idiom(ph.idiom, [span[i] for i in keep])
                where = None if found is None else [keep[i] for i in found]
                flags = [reading.span_negated[si][i] for i in where] if where else []
            else:
                where = (_find_exact if ph.exact else _find_loose)(ph.tokens, sent)
                flags = [negs[i] for i in where] if where else []
            if where is None:
                continue
            # a phrasing that says "not" needs a negation somewhere in its match; one that doesn't is
            # reversed when most of its words sit in negated clauses
            negated = any(flags) if ph.negated else sum(flags) * 2 >= len(flags) > 0 and any(flags)
            strong = len(ph.tokens) > 1 or bool(ph.idiom)
            if negated == ph.negated:
                out.append(Match(point, si, negated, True, strong))
                if strong:
                    break
            elif not ph.negated:  # the answer negates what the point affirms
                out.append(Match(point, si, negated, False, strong))
    return out


PARTIAL_WORDS = 2  # a sentence with this many of a point's own words (and no phrasing of it) says it in part
PARTIAL_CREDIT = 0.5
SCORE_CURVE = 0.7  # score = 100 * share ** 0.7: 1/4 -> 38, 1/2 -> 62, 3/4 -> 82 (bench/practice.py --fairness)


@lru_cache(maxsize=1024)
def point_vocabulary(drill: Drill, source: str) -> dict[KeyPoint, frozenset[str]]:
    """For each key point, the words only it uses: its phrasings and the article sentence behind it, less
    the prompt's words and any word another point of the drill also uses."""
    prompt = set(read(f"{drill.situation} {drill.prompt}").tokens)
    vocab = {}
    for point in drill.key_points:
        words_ = {t for ph in phrasings(point) for t in ph.tokens}
        words_ |= set(read(source_sentence(point, source)).tokens) if source else set()
        vocab[point] = words_ - prompt
    out = {}
    for point, words_ in vocab.items():
        others = set().union(*(v for p, v in vocab.items() if p is not point))
        out[point] = frozenset(t for t in words_ - others if len(t) > 2 and not t.isdigit())
    return out


def _partly_said(own: frozenset[str], reading: Reading) -> bool:
    for sent, negs in zip(reading.sentences, reading.negated):
        if len({t for t, n in zip(sent, negs) if t in own and not n}) >= PARTIAL_WORDS:
            return True
    return False


def grade_open(drill: Drill, text: str, source: str = "") -> Grade:
    """Grade an open answer; ``source`` is the text of the article section the drill cites."""
    reading = read(text)
    points = drill.key_points
    if is_term_list(reading):
        return Grade(0, False, missed=points, needs_sentences=True)
    hit, contradicted, said, partial = [], [], [], []
    vocab = point_vocabulary(drill, source)
    strong = False
    for point in points:
        found = matches(point, reading)
        if any(m.agrees for m in found):
            hit.append(point)
            strong = strong or any(m.agrees and m.strong for m in found)
        elif found:
            contradicted.append(point)
            said.append((point, reading.raw[found[0].sentence]))
        elif _partly_said(vocab[point], reading):
            partial.append(point)
    if len(hit) == 1 and not strong and not partial:
        hit = []  # one word in common with one point ("recruiting", "explain") is no evidence of an answer
    if not hit and len(partial) < 2:
        partial = []  # one point's words alone, with no point stated, are no evidence the answer is on topic
    missed = tuple(p for p in points if p not in hit and p not in partial)
    total = len(points) or 1
    earned = max(0.0, len(hit) + PARTIAL_CREDIT * len(partial) - len(contradicted)) / total
    # Calibrated so that stating half the points well passes (0.5 -> 62): own-words answers state more
    # than the phrasings catch. An answer that reverses a point is scored on the plain share (and low).
    score = round(100 * (earned if contradicted else earned ** SCORE_CURVE))
    return Grade(score, score >= PASS_SCORE, hit=tuple(hit), missed=missed, contradicted=tuple(contradicted),
                 said=tuple(said), partial=tuple(partial))


# ------------------------------------------------------------------ the article sentence behind a point

_SPLIT_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“(])|\n+\s*[-*]\s+|\n{2,}|\n(?=\s*\|)")
_TABLE_RULE = re.compile(r"^[|:\-\s]+$")


def article_sentences(body: str) -> list[str]:
    """The section's sentences, list items and table rows (a row as its cells: "Learning Curve | Steeper…")."""
    out = []
    for part in _SPLIT_SENTENCES.split(body or ""):
        text = " ".join(part.split()).lstrip("-* ")
        if text.startswith("|"):
            if _TABLE_RULE.match(text):
                continue
            text = " | ".join(c.strip() for c in text.strip("|").split("|"))
        if text:
            out.append(text)
    return out


@lru_cache(maxsize=2048)
def source_sentence(point: KeyPoint, body: str) -> str:
    """The sentence of the article section that best states this key point ('' if none shares its words)."""
    want: dict[str, float] = {}
    for ph in phrasings(point):
        for t in ph.tokens:
            want[t] = want.get(t, 0) + (2.0 if ph.exact else 1.0)
    best, best_score = "", 0.0
    for sentence in article_sentences(body):
        toks = set(read(sentence).tokens)
        score = sum(w for t, w in want.items() if t in toks) / (1 + 0.02 * len(toks))
        if score > best_score:
            best, best_score = sentence, score
    return best


# ------------------------------------------------------------------ feedback

SENTENCES_PLEASE = ("That reads as a list of terms, so I haven't graded it. Answer in a few sentences: say what "
                    "each idea means for this question, and I'll grade that. Nothing was recorded and the drill "
                    "is still open.")


FIELD_BUDGET = 1000


def _quote(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + "…"
    return f"“{text}”"


def feedback(grade: Grade, body: str) -> list[tuple[str, str]]:
    """Fields for an open answer's result: what it covered, what it contradicts (with the learner's words),
    what it touched on only in part and what it missed (each with the article sentence behind it)."""
    fields = []
    if grade.hit:
        fields.append(("Covered", "\n".join(f"✅ {p.point}" for p in grade.hit)))
    if grade.contradicted:
        said = dict(grade.said)
        fields.append(("Contradicts", "\n".join(
            f"❌ {p.point} — you wrote {_quote(said.get(p, ''), 100)}" for p in grade.contradicted)))
    missed = [p for p in grade.missed if p not in grade.contradicted]
    # every platform shows a field of ~1000 characters whole (Discord's cap is 1024): quotes share that
    quoted: set[str] = set()
    for name, mark, points in (("Partly covered", "◐", list(grade.partial)), ("Missed", "▫️", missed)):
        if not points:
            continue
        room = FIELD_BUDGET - sum(len(p.point) + 20 for p in points)
        limit = max(60, min(220, room // len(points)))
        lines = []
        for p in points:
            source = source_sentence(p, body)
            if source and source in quoted:
                lines.append(f"{mark} {p.point} — the article: the same sentence as above")
            else:
                lines.append(f"{mark} {p.point}" + (f" — the article: {_quote(source, limit)}" if source else ""))
            quoted.add(source)
        fields.append((name, "\n".join(lines)))
    return fields
