"""The answer index: articles cut into answerable units, stored in SQLite FTS5.

A unit is a whole section (or FAQ item), one list item, or one table row. Each unit
keeps three searchable fields of canonical terms (synonyms.terms): ``head`` (heading
and its also-phrasings), ``body`` (its own text) and ``ctx`` (where it sits: article
title, parent heading, and for items and rows the section they belong to).
Unit keys are short hashes of (article, heading, kind, position): stable across
rebuilds, so a button that names one keeps working after a restart.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache

from . import storage
from . import synonyms
from .synonyms import terms, vocabulary
from .text import stem, words

# bump when unit building or term extraction changes: the index rebuilds on the next start
INDEX_VERSION = "26"


FTS_WEIGHTS = (4.0, 1.0, 0.5)  # head, body, ctx

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9$])")
_ROW_SPLIT = re.compile(r"(?<!\\)\|")
_RULE = re.compile(r"^\|?\s*:?-{2,}")


@dataclass(frozen=True)
class Atom:
    """The smallest piece an answer is made of: a sentence, a list item or a table row."""
    text: str
    kind: str  # "sentence" | "item" | "row"
    block: int  # which paragraph / list / table of the section it came from
    first: bool = False  # first sentence of its paragraph (answer-first writing puts the answer here)


def _strip_md(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def section_atoms(body: str) -> list[Atom]:
    atoms: list[Atom] = []
    block = 0
    header: list[str] = []
    para: list[str] = []

    def flush_para():
        nonlocal block
        if para:
            text = _strip_md(" ".join(para))
            for i, sentence in enumerate(s for s in _SENTENCE_END.split(text) if s.strip()):
                atoms.append(Atom(sentence.strip(), "sentence", block, i == 0))
            para.clear()
            block += 1

    prev_kind = ""
    for raw in body.splitlines():
        line = raw.strip()
        kind = "row" if line.startswith("|") else "item" if re.match(r"^([-*+]|\d+[.)])\s+", line) else \
            "blank" if not line else "text"
        if kind != "text":
            flush_para()
        if kind != prev_kind and prev_kind in ("row", "item"):
            block += 1
        if kind == "row":
            if _RULE.match(line):
                pass
            else:
                cells = [c.strip() for c in _ROW_SPLIT.split(line.strip().strip("|"))]
                if prev_kind != "row":
                    header = cells
                else:
                    atoms.append(Atom(_row_text(header, cells), "row", block))
        elif kind == "item":
            atoms.append(Atom(_strip_md(re.sub(r"^([-*+]|\d+[.)])\s+", "", line)), "item", block))
        elif kind == "text":
            para.append(line)
        prev_kind = kind
    flush_para()
    return atoms


def _row_text(header: list[str], cells: list[str]) -> str:
    label, values = cells[0], cells[1:]
    names = header[1:] if len(header) == len(cells) else [""] * len(values)
    return f"{label}: " + "; ".join(f"{n} — {v}" if n else v for n, v in zip(names, values))


def _table_header(body: str) -> list[str]:
    for line in body.splitlines():
        if line.strip().startswith("|"):
            return [c.strip() for c in _ROW_SPLIT.split(line.strip().strip("|"))]
    return []


def _atom_labels(atom: Atom, header: list[str]) -> list[str]:
    """What an item or row is about, the way a heading says what a section is about:
    a row's label with the table's column names, an item's "Label:" prefix."""
    label = atom.text.split(":", 1)[0] if ":" in atom.text[:80] else ""
    if atom.kind == "row":
        return [f"{label} {' '.join(header[1:])}"]
    return [label] if label and len(label.split()) <= 6 else []


def unit_key(*parts) -> str:
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=6).hexdigest()


def _drill_questions(library) -> dict[tuple[str, str], list[str]]:
    """Drill prompts, by the section they cite: more ways people ask for that section."""
    out: dict[tuple[str, str], list[str]] = {}
    for drill in library.drills.values():
        section = library.section_for(drill)
        if section is not None:
            out.setdefault((drill.article, section.heading), []).append(drill.prompt)
    return out


def build_units(library) -> list[dict]:
    units = []
    asked = _drill_questions(library)
    for article in library.articles.values():
        for section in article.sections:
            atoms = section_atoms(section.body)
            header = _table_header(section.body)
            if not atoms:
                continue  # a heading that only groups sub-sections ("FAQ") answers nothing itself
            alternates = (*section.alternates, *asked.get((article.slug, section.heading), ()))
            head = " ".join((section.heading, *alternates))
            where = " ".join((article.title, section.parent))
            skey = unit_key(article.slug, section.heading, "section")
            units.append(dict(
                key=skey, section_key=skey, article=article.slug, title=article.title,
                section=section.heading, kind="section", atom=-1,
                head=" ".join(terms(head)), body=" ".join(terms(section.body)), ctx=" ".join(terms(where)),
                atoms=json.dumps([[a.text, a.kind, a.block, a.first] for a in atoms], ensure_ascii=False),
                phr=json.dumps([" ".join(terms(p, query=True)) for p in (section.heading, *alternates)]),
            ))
            for i, atom in enumerate(atoms):
                if atom.kind == "sentence":
                    continue
                units.append(dict(
                    key=unit_key(article.slug, section.heading, atom.kind, i), section_key=skey,
                    article=article.slug, title=article.title, section=section.heading, kind=atom.kind, atom=i,
                    head="", body=" ".join(terms(atom.text)), ctx=" ".join(terms(f"{head} {where}")), atoms="",
                    phr=json.dumps([" ".join(terms(p, query=True)) for p in _atom_labels(atom, header)]),
                ))
    return units


# ------------------------------------------------------------------ storage

def create_schema(db) -> None:
    db.execute("""CREATE TABLE answer_units (
        id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, section_key TEXT NOT NULL,
        article TEXT NOT NULL, title TEXT NOT NULL, section TEXT NOT NULL, kind TEXT NOT NULL,
        atom INTEGER NOT NULL, head TEXT NOT NULL, body TEXT NOT NULL, ctx TEXT NOT NULL, atoms TEXT NOT NULL,
        phr TEXT NOT NULL)""")
    db.execute("CREATE INDEX answer_units_section ON answer_units(section_key)")
    # external content: the FTS table indexes answer_units' columns without a second copy of the text
    db.execute("CREATE VIRTUAL TABLE answer_fts USING fts5(head, body, ctx, content='answer_units', "
               "content_rowid='id', tokenize='unicode61')")
    db.execute("CREATE TABLE answer_df (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID")
    db.execute("CREATE TABLE answer_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")


def index_digest(library) -> str:
    """Content, vocabulary and indexer: a change to any of them rebuilds the index."""
    return f"{library.digest}:{synonyms.use(library.root).digest}:{INDEX_VERSION}"


def current_digest(db) -> str | None:
    row = db.execute("SELECT value FROM answer_meta WHERE name = 'digest'").fetchone()
    return row[0] if row else None


_built: dict[str, tuple[list[dict], dict[str, int]]] = {}  # digest -> (units, word counts): tests and benches
# open many coaches on one library


def rebuild(db, library) -> int:
    """Replace the whole index in one transaction (another process may be reading)."""
    built = _built.get(index_digest(library))
    if built is None:
        built = (build_units(library), word_counts(library))
        _built.clear()
        _built[index_digest(library)] = built
    units, counts = built
    df: dict[str, int] = {}
    for u in units:
        for t in set(f"{u['head']} {u['body']} {u['ctx']}".split()):
            df[t] = df.get(t, 0) + 1
    for u in units:  # phrasings are indexed through head; count their words for the weights below
        for t in set(" ".join(json.loads(u["phr"])).split()) - set(f"{u['head']} {u['body']} {u['ctx']}".split()):
            df[t] = df.get(t, 0) + 1
    n = max(len(units), 1)
    for u in units:
        # what each phrasing is about in total, so a match on "ai pm" (in every unit) counts for little
        u["phw"] = json.dumps([round(sum(math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in set(p.split())), 4)
                               for p in json.loads(u["phr"])])
    cols = ("key", "section_key", "article", "title", "section", "kind", "atom", "head", "body", "ctx", "atoms",
            "phr", "phw")
    with storage.transaction(db):
        digest = index_digest(library)
        if current_digest(db) == digest:  # another process rebuilt it while we waited
            return len(units)
        db.execute("DELETE FROM answer_units")
        db.execute("DELETE FROM answer_df")
        db.conn.executemany(
            f"INSERT INTO answer_units ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [tuple(u[c] for c in cols) for u in units])
        db.conn.executemany("INSERT INTO answer_df (term, df) VALUES (?, ?)", sorted(df.items()))
        db.execute("DELETE FROM answer_words")
        db.conn.executemany("INSERT INTO answer_words (word, n) VALUES (?, ?)", sorted(counts.items()))
        db.execute("INSERT INTO answer_fts(answer_fts) VALUES ('rebuild')")
        db.execute("INSERT INTO answer_meta (name, value) VALUES ('digest', ?) "
                   "ON CONFLICT(name) DO UPDATE SET value = excluded.value", [digest])
        db.execute("INSERT INTO answer_meta (name, value) VALUES ('units', ?) "
                   "ON CONFLICT(name) DO UPDATE SET value = excluded.value", [str(len(units))])
    return len(units)


def add_phrasing_weights(db) -> None:
    db.execute("ALTER TABLE answer_units ADD COLUMN phw TEXT NOT NULL DEFAULT '[]'")


def unit_count(db) -> int:
    row = db.execute("SELECT value FROM answer_meta WHERE name = 'units'").fetchone()
    return int(row[0]) if row else 0


# ------------------------------------------------------------------- search

def fts_query(qterms) -> str:
    """Our own terms, each quoted: user text never reaches MATCH syntax."""
    return " OR ".join(f'"{t}"' for t in dict.fromkeys(qterms) if re.fullmatch(r"[a-z0-9]+", t))


def match_terms(df: dict[str, int], n_units: int) -> list[str]:
    """The terms worth asking FTS for: the rarest tier present. A word in nearly every unit
    ("pm", "ai") would make FTS score the whole index for no change in the candidates."""
    known = {t: d for t, d in df.items() if d > 0}
    for share in (0.03, 0.1, 0.35):
        chosen = [t for t, d in known.items() if d <= max(50, share * n_units)]
        if chosen:
            return chosen
    return list(known)


def search(db, qterms, limit: int = 30) -> list[tuple[int, float]]:
    match = fts_query(qterms)
    if not match:
        return []
    sql = (f"SELECT rowid, bm25(answer_fts, {', '.join(map(str, FTS_WEIGHTS))}) AS r FROM answer_fts "
           "WHERE answer_fts MATCH ? ORDER BY r LIMIT ?")
    return [(row[0], -row[1]) for row in db.execute(sql, [match, limit]).fetchall()]


def document_frequency(db, qterms) -> dict[str, int]:
    uniq = list(dict.fromkeys(qterms))
    if not uniq:
        return {}
    found = dict(db.execute(
        f"SELECT term, df FROM answer_df WHERE term IN ({', '.join('?' * len(uniq))})", uniq).fetchall())
    return {t: found.get(t, 0) for t in uniq}


def idf(df: dict[str, int], n_units: int) -> dict[str, float]:
    """Inverse document frequency; a word the library never uses weighs the most."""
    n = max(n_units, 1)
    return {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}


def atom_terms(text: str) -> frozenset[str]:
    return _atom_terms(text, synonyms.current().digest)


@lru_cache(maxsize=8192)
def _atom_terms(text: str, vocabulary_digest: str) -> frozenset[str]:  # a vocabulary edit is a new key
    return frozenset(terms(text))


# ------------------------------------------------------------------ spelling

def word_counts(library) -> dict[str, int]:
    """The articles' most used raw words (headings and also-phrasings too) and the synonym tables'
    words, with how often the articles use them: the words a question's misspelling is put right to."""
    counts: dict[str, int] = {}
    for article in library.articles.values():
        for text in (article.title, *(x for s in article.sections for x in (s.heading, *s.alternates, s.body))):
            for w in words(text):
                counts[w] = counts.get(w, 0) + 1
    # a rarer word of the articles is still known through its stem (answer_df): keep the words a
    # slip is put right to, and the synonym tables' words, whose stems the index never sees
    kept = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:Speller.MAX_VOCAB])
    for w in vocabulary():
        kept.setdefault(w, counts.get(w, 1))
    return kept


def add_word_table(db) -> None:
    db.execute("CREATE TABLE answer_words (word TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID")


class Speller:
    """Maps a question's misspelt words ("salery", "intervew") to the library's own words.

    Only words neither the library (by their stem) nor the synonym tables know are looked at, and
    only long ones: a short unknown word ("rice", "pilot") is more often a real word about
    something else than a slip of the finger. Candidates come from a deletion index over the library's most used words
    (two words within one edit share a one-letter deletion), then the real Damerau distance
    decides, ties going to the word the articles use most. The index is built on the first
    unknown word and shared by every coach on the same index.
    """

    MIN_LEN = 6  # one edit from here on
    LONG = 10  # two edits from here on
    MAX_LEN = 20  # longer is no word anyone meant
    MAX_VOCAB = 20_000  # the most used words of the articles are the ones a slip is put right to

    _shared: dict[str, tuple[dict[str, int], dict[str, list[str]]]] = {}  # index digest -> (counts, deletions)

    def __init__(self, db):
        self.db = db

    def correct_all(self, ws: list[str]) -> list[str]:
        suspects = {w for w in ws if self.MIN_LEN <= len(w) <= self.MAX_LEN and w.isalpha()}
        if suspects:
            suspects -= self._present("answer_words", "word", suspects)
        if suspects:  # "designer" is known when "designed" is
            by_stem = {w: stem(w) for w in suspects}
            known = self._present("answer_df", "term", set(by_stem.values()))
            suspects = {w for w, s in by_stem.items() if s not in known}
        if not suspects:
            return ws
        fixes = {w: self.correct(w) for w in suspects}
        return [fixes.get(w, w) for w in ws]

    def _present(self, table: str, column: str, values: set[str]) -> set[str]:
        vals = list(values)
        rows = self.db.execute(f"SELECT {column} FROM {table} WHERE {column} IN ({', '.join('?' * len(vals))})", vals)
        return {r[0] for r in rows.fetchall()}

    def _index(self) -> tuple[dict[str, int], dict[str, list[str]]]:
        digest = current_digest(self.db) or ""
        shared = self._shared.get(digest)
        if shared is None:
            counts = dict(self.db.execute("SELECT word, n FROM answer_words WHERE length(word) >= ?",
                                          [self.MIN_LEN - 2]).fetchall())
            index: dict[str, list[str]] = {}
            for w in counts:
                if w.isalpha():
                    for d in {w} | _deletions(w):
                        index.setdefault(d, []).append(w)
            shared = (counts, index)
            self._shared.clear()
            self._shared[digest] = shared
        return shared

    def correct(self, word: str) -> str:
        """The library's word this one is a slip for, or the word itself."""
        if not (self.MIN_LEN <= len(word) <= self.MAX_LEN and word.isalpha()):
            return word
        counts, index = self._index()
        if word in counts:
            return word
        limit = 2 if len(word) >= self.LONG else 1
        keys = {word} | _deletions(word)
        if limit == 2:
            keys |= {d2 for d in _deletions(word) for d2 in _deletions(d)}
        candidates = {c for k in keys for c in index.get(k, ()) if c[0] == word[0] and _slip(word, c)}
        best = None
        for c in candidates:
            dist = _distance(word, c, limit)
            if dist <= limit and (best is None or (dist, -counts[c], c) < best):
                best = (dist, -counts[c], c)
        return best[2] if best else word


_VOWELS = frozenset("aeiouy")


def _slip(word: str, candidate: str) -> bool:
    """One letter swapped for another is a typo only between vowels ("salery"); between consonants
    it is usually another real word ("letter" is not "better", "hiking" not "hiring")."""
    if len(word) != len(candidate):
        return True
    diff = [(a, b) for a, b in zip(word, candidate) if a != b]
    return len(diff) != 1 or (diff[0][0] in _VOWELS and diff[0][1] in _VOWELS)


def _deletions(w: str) -> set[str]:
    return {w[:i] + w[i + 1:] for i in range(len(w))}


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of neighbours is one edit), cut off past limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2, prev = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]
