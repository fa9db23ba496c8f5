"""Meaning beyond shared words: static word vectors for questions phrased unlike the articles.

"is the platform pm gig basically owning the plumbing" shares no content word with "own the data
infrastructure roadmap", so lexical retrieval (retrieval.py, ranking.py) declines it. Here every
word has a vector (content/word_vectors.npz, distilled from all-MiniLM-L6-v2 by
tools/build_word_vectors.py; numpy only at run time, no model), a text's vector is the SIF-weighted
mean of its words' vectors (rare words weigh more), and a section is as close to a question as
its nearest heading/also-phrasing and its nearest sentence, item or row are.

Used twice by answer_index.py: as a re-ranking term among the lexical candidates, and as a decline
rescue when lexical retrieval finds nothing confident (the nearest section answers only when it
clears RESCUE_MIN and agrees with the best word-by-word coverage, RESCUE_MARGIN clear of the next).
``COACH_SEMANTIC=1`` switches the step on, ``=0`` off; ON_BY_DEFAULT says which without it. Every
tuning value is named below.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .text import STOPWORDS, words

FILE_NAME = "word_vectors.npz"
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "content" / FILE_NAME

PHRASING_SHARE = 0.85  # a section's closeness: this much its nearest heading/phrasing, the rest its nearest atom
RERANK_WEIGHT = 0.3  # the re-ranking term: this times the closeness, added to ranking.score's total
RERANK_COVERAGE = 0.5  # ...plus this times its word-by-word coverage
RERANK_TOP = 5  # ...among this many of the best lexical candidates
RESCUE_MIN = 0.53  # closeness the nearest section needs to answer a question lexical retrieval declined
RESCUE_COVERAGE = 0.74  # ...and its word-by-word coverage of the question (the best of all sections)
RESCUE_MARGIN = 0.05  # ...that much ahead of the next section's
FORCE_NEAREST = True  # a rescued answer opens with the section's sentence nearest the question
MIN_QUESTION_WORDS = 2  # a one-word question has too little meaning to go by
# (Tried and left out, measured on the tuning sets: weighting words by their idf in the library as
# well as by SIF; comparing texts without taking away the library's mean vector.)
CACHE_VERSION = "1"  # bump when how section vectors are made changes: the cache beside the index is redone


# Off unless COACH_SEMANTIC=1: on the blind sets it moved in-scope answers by +1 of 285 (one set
# down by one) and answered one more off-topic question — not a rise worth numpy on every ask
# (README, Answers).
ON_BY_DEFAULT = False


def enabled() -> bool:
    value = os.environ.get("COACH_SEMANTIC", "")
    return value == "1" if value else ON_BY_DEFAULT


class VectorsError(ValueError):
    """The word-vector file is missing, damaged or inconsistent (one sentence)."""


@dataclass
class WordVectors:
    index: dict[str, int]
    vectors: "object"  # numpy float32 (words, dims)
    weights: "object"  # numpy float32 (words,): SIF weight a / (a + p(word))
    meta: dict

    def text_vector(self, ws: list[str]):
        """The SIF-weighted mean of the known words' vectors, unit length; None when no word is known."""
        import numpy as np

        ids = [self.index[w] for w in ws if w not in STOPWORDS and w in self.index]
        if not ids:
            return None
        v = self.weights[ids] @ self.vectors[ids]
        norm = float(np.linalg.norm(v))
        return v / norm if norm else None


_loaded: dict[tuple, WordVectors] = {}


def path_for(content_root) -> Path:
    """A content folder's own word_vectors.npz, else the repo's."""
    if content_root is not None:
        candidate = Path(content_root) / FILE_NAME
        if candidate.is_file():
            return candidate
    return DEFAULT_PATH


def load(path: Path) -> WordVectors:
    """The word vectors in path (read once per file version); raises VectorsError."""
    import numpy as np

    try:
        st = path.stat()
    except OSError as exc:
        raise VectorsError(f"cannot read the word vectors ({exc.strerror})") from exc
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key in _loaded:
        return _loaded[key]
    try:
        with np.load(path) as data:
            vectors, weights = data["vectors"], data["weights"]
            word_bytes = data["words"].tobytes()
            meta = json.loads(data["meta"].tobytes().decode())
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise VectorsError(f"not a word-vector file ({exc})") from exc
    ws = word_bytes.decode().split("\n")
    if vectors.ndim != 2 or vectors.shape[0] != len(ws) or weights.shape != (len(ws),):
        raise VectorsError(f"shapes disagree: {vectors.shape} vectors, {weights.shape} weights, {len(ws)} words")
    if vectors.dtype != np.float16 or weights.dtype != np.float16:
        raise VectorsError(f"expected float16 arrays, got {vectors.dtype} and {weights.dtype}")
    if meta.get("dims") != vectors.shape[1] or meta.get("words") != len(ws):
        raise VectorsError(f"the file's description ({meta.get('words')} words x {meta.get('dims')} dims) "
                           f"doesn't match its arrays ({len(ws)} x {vectors.shape[1]})")
    if meta.get("sha256") != checksum(vectors, weights, word_bytes):
        raise VectorsError("checksum mismatch: the arrays are not the ones the build script wrote")
    out = WordVectors({w: i for i, w in enumerate(ws)}, vectors.astype(np.float32), weights.astype(np.float32), meta)
    _loaded.clear()
    _loaded[key] = out
    return out


def checksum(vectors, weights, word_bytes: bytes) -> str:
    """sha256 of the arrays as stored (tools/build_word_vectors.py writes the same)."""
    h = hashlib.sha256()
    for part in (vectors.tobytes(), weights.tobytes(), word_bytes):
        h.update(part)
    return h.hexdigest()


def check(root: Path) -> list[str]:
    """`coach content check`: the content folder's word-vector file loads and is intact."""
    path = Path(root) / FILE_NAME
    if not path.is_file():
        return []  # a content folder may hold articles only: the repo's file is used
    try:
        load(path)
    except VectorsError as exc:
        return [f"{_display(path)}:1: {exc}"]
    return []


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ------------------------------------------------------------------ the index side

@dataclass
class SectionVectors:
    """Vectors of every section's phrasings and atoms, for one answer index."""
    keys: list[str]  # section unit keys, in order
    phrasings: "object"  # (n phrasings, dims), unit rows
    phrasing_owner: "object"  # section position of each phrasing
    atoms: "object"  # (n atoms, dims)
    atom_owner: "object"  # section position of each atom
    atom_pos: "object"  # the atom's position in its section
    centre: "object"  # the library's mean text vector: what every section shares ("AI PM")
    words: "object" = None  # (library words, dims), unit rows: every word the sections use
    section_words: list = None  # per section, the rows of words it uses


def section_vectors(wv: WordVectors, sections, alternates) -> SectionVectors:
    """``alternates(unit)``: the raw texts a section is also asked as (heading first)."""
    import numpy as np

    dims = wv.vectors.shape[1]
    phr, phr_owner, atoms, atom_owner, atom_pos = [], [], [], [], []
    for s_i, section in enumerate(sections):
        for text in alternates(section):
            v = wv.text_vector(words(text))
            if v is not None:
                phr.append(v)
                phr_owner.append(s_i)
        for a_i, atom in enumerate(section.atoms):
            v = wv.text_vector(words(atom.text))
            if v is not None:
                atoms.append(v)
                atom_owner.append(s_i)
                atom_pos.append(a_i)
    # every section is about AI PMs: what tells them apart is how they differ from the library's mean
    everything = np.stack(phr + atoms) if phr or atoms else np.zeros((1, dims), np.float32)
    centre = everything.mean(axis=0)

    def stack(vs):
        if not vs:
            return np.zeros((0, dims), np.float32)
        m = np.stack(vs) - centre
        return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)

    # word by word (see coverage): each section's own words
    used: dict[int, int] = {}
    section_words = []
    for section in sections:
        own = {wv.index[w] for t in (*alternates(section), *(a.text for a in section.atoms)) for w in words(t)
               if w not in STOPWORDS and w in wv.index}
        section_words.append(np.array(sorted(used.setdefault(i, len(used)) for i in own), int))
    ids = sorted(used, key=used.get)
    lib = wv.vectors[ids] if ids else np.zeros((0, dims), np.float32)
    lib = lib / np.maximum(np.linalg.norm(lib, axis=1, keepdims=True), 1e-9)
    return SectionVectors([s.key for s in sections], stack(phr), np.array(phr_owner, int), stack(atoms),
                          np.array(atom_owner, int), np.array(atom_pos, int), centre, lib, section_words)


@dataclass
class Closeness:
    by_section: dict[str, float]  # section key -> closeness to the question
    best_atom: dict[str, int]  # section key -> position of its nearest atom
    coverage: dict[str, float] = None  # section key -> how well its words cover the question's, one by one

    def ranked(self) -> list[tuple[str, float]]:
        return sorted(self.by_section.items(), key=lambda kv: -kv[1])


def closeness(sv: SectionVectors, q) -> Closeness:
    """q: the question's unit vector, centred like the sections'."""
    import numpy as np

    n = len(sv.keys)
    best_phr = np.full(n, -1.0)
    np.maximum.at(best_phr, sv.phrasing_owner, sv.phrasings @ q)
    atom_sims = sv.atoms @ q
    best_atom = np.full(n, -1.0)
    np.maximum.at(best_atom, sv.atom_owner, atom_sims)
    best_phr = np.where(best_phr < -0.99, best_atom, best_phr)
    score = PHRASING_SHARE * best_phr + (1 - PHRASING_SHARE) * best_atom
    where: dict[str, int] = {}
    for i in np.argsort(-atom_sims):
        key = sv.keys[sv.atom_owner[i]]
        if key not in where:
            where[key] = int(sv.atom_pos[i])
    return Closeness({k: float(s) for k, s in zip(sv.keys, score)}, where)


def coverage(sv: SectionVectors, qwords, qweights) -> list[float]:
    """Per section: each question word's nearest word in the section (cosine), averaged by weight.
    A word with no near neighbour anywhere ("faucet") keeps every section's coverage low."""
    import numpy as np

    sims = np.clip(qwords @ sv.words.T, 0.0, 1.0)  # question words x library words
    total = float(qweights.sum()) or 1.0
    return [float(sims[:, cols].max(axis=1) @ qweights) / total if len(cols) else 0.0 for cols in sv.section_words]


class Meaning:
    """The semantic step for one answer index: section vectors made on first use (or read from the
    cache file beside the index), then shared by its questions."""

    def __init__(self, index):
        self.index = index
        self._vectors: SectionVectors | None = None
        self._wv: WordVectors | None = None

    def _ready(self) -> None:
        if self._vectors is not None:
            return
        self._wv = load(path_for(self.index.library.root))
        cache = self._cache_path()
        key = f"{retrieval_digest(self.index.db)}:{self._wv.meta['sha256']}:{CACHE_VERSION}"
        self._vectors = read_cache(cache, key) if cache else None
        if self._vectors is None:
            from .retrieval import _drill_questions

            asked = _drill_questions(self.index.library)

            def alternates(section):
                article = self.index.library.articles.get(section.article)
                sec = article.section(section.section) if article else None
                return [section.section, *(sec.alternates if sec else ()),
                        *asked.get((section.article, section.section), ())]

            self._vectors = section_vectors(self._wv, self.index.sections, alternates)
            if cache:
                write_cache(cache, key, self._vectors)

    def _cache_path(self) -> Path | None:
        location = getattr(self.index.db, "location", ":memory:")
        return Path(f"{location}.semantic.npz") if location and location != ":memory:" else None

    def question_words(self, question: str) -> list[str]:
        """The question's words that carry meaning: chat spellings read, slips put right, filler out."""
        from .synonyms import current

        v = current()
        ws = [x for w in words(question) for x in v.chat.get(w, w).split()]
        ws = self.index.speller.correct_all(ws)
        return [w for w in ws if w not in v.filler and w not in v.polite and w not in STOPWORDS
                and w in self._wv.index]

    def closeness(self, question: str) -> Closeness | None:
        import numpy as np

        self._ready()
        known = self.question_words(question)
        if len(known) < MIN_QUESTION_WORDS:
            return None
        q = self._wv.text_vector(known)
        if q is None:
            return None
        q = q - self._vectors.centre
        near = closeness(self._vectors, q / max(float(np.linalg.norm(q)), 1e-9))
        ids = [self._wv.index[w] for w in known]
        qw = self._wv.vectors[ids]
        qw = qw / np.maximum(np.linalg.norm(qw, axis=1, keepdims=True), 1e-9)
        near.coverage = dict(zip(self._vectors.keys, coverage(self._vectors, qw, self._wv.weights[ids])))
        return near

    def rerank(self, question: str, ranked: list) -> list:
        """The best lexical candidates, each raised by how close its section is in meaning."""
        near = self.closeness(question)
        if near is None:
            return ranked
        for c in ranked[:RERANK_TOP]:
            key = c.unit.section_key
            c.score += RERANK_WEIGHT * near.by_section.get(key, 0.0) + RERANK_COVERAGE * near.coverage.get(key, 0.0)
        return sorted(ranked, key=lambda c: -c.score)

    def rescue(self, question: str):
        """(unit, atom or None, closeness) answering a declined question by meaning, or None: the
        section nearest as a whole must also cover the question's words best, clear of the next."""
        near = self.closeness(question)
        if near is None:
            return None
        key, best = near.ranked()[0]
        covered = sorted(near.coverage.values(), reverse=True) + [0.0]
        if best < RESCUE_MIN or near.coverage[key] < max(RESCUE_COVERAGE, covered[0]) \
                or covered[0] - covered[1] < RESCUE_MARGIN:
            return None
        section = next(s for s in self.index.sections if s.key == key)
        atom = near.best_atom.get(key, -1)
        if not 0 <= atom < len(section.atoms):
            return section, None, best
        if section.atoms[atom].kind != "sentence":  # a list item or table row answers as itself
            item = self.index._units("section_key = ? AND atom = ?", [key, atom])
            if item:
                return item[0], None, best
        return section, atom, best


def retrieval_digest(db) -> str:
    from .retrieval import current_digest

    return current_digest(db) or ""


_FIELDS = ("phrasings", "phrasing_owner", "atoms", "atom_owner", "atom_pos", "centre", "words")


def read_cache(path: Path, key: str) -> SectionVectors | None:
    """The section vectors kept beside the index, if they were made for this index and these word vectors."""
    import numpy as np

    try:
        with np.load(path) as data:
            if data["key"].tobytes().decode() != key:
                return None
            arrays = {f: data[f] for f in _FIELDS}
            keys = data["keys"].tobytes().decode().split("\n")
            offsets = data["offsets"]
            flat = data["section_words"]
    except (OSError, ValueError, KeyError, EOFError):
        return None
    section_words = [flat[offsets[i]:offsets[i + 1]] for i in range(len(keys))]
    return SectionVectors(keys, **arrays, section_words=section_words)


def write_cache(path: Path, key: str, sv: SectionVectors) -> None:
    """Best effort (a read-only folder just means the next process makes them again)."""
    import numpy as np

    offsets = np.cumsum([0] + [len(c) for c in sv.section_words])
    flat = np.concatenate(sv.section_words) if sv.section_words else np.zeros(0, int)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npz")
    try:
        np.savez(tmp, key=np.frombuffer(key.encode(), np.uint8), keys=np.frombuffer("\n".join(sv.keys).encode(), np.uint8),
                 offsets=offsets, section_words=flat, **{f: getattr(sv, f) for f in _FIELDS})
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass
