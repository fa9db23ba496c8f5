"""Meaning beyond shared words: sentence embeddings for questions phrased unlike the articles.

"is the platform pm gig basically owning the plumbing" shares no content word with "own the data
infrastructure roadmap", so lexical retrieval (retrieval.py, ranking.py) declines it or ranks a
neighbour first. Here the question and every heading, also-phrasing, drill question and sentence of
the library are embedded by all-MiniLM-L6-v2 (bot/encoder.py: the real model in numpy, nothing
downloaded), and a section is as close to a question as its nearest phrasing and its nearest
sentence, item or row are (cosine).

Used by answer_index.py as a re-ranking term among the best lexical candidates, and as a decline
rescue when lexical retrieval finds nothing confident (the nearest section answers, opening with its
nearest sentence, only when it clears RESCUE_MIN, RESCUE_MARGIN ahead of the next). Choosing the
sentence by closeness in every answer was measured and left out: the articles' lead sentences answer
more often than the nearest one (README, Answers). The library's vectors are made once per index and
kept beside it. Every tuning value is named below. ``COACH_SEMANTIC=0`` switches the step off,
``=1`` on; ON_BY_DEFAULT says which without it.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from . import encoder

log = logging.getLogger(__name__)

PHRASING_SHARE = 0.5  # a section's closeness: this much its nearest heading/phrasing, the rest its nearest atom
RERANK_WEIGHT = 2.0  # the re-ranking term: this times the closeness, added to ranking.score's total
RERANK_TOP = 5  # ...among this many of the best lexical candidates
RESCUE_MIN = 0.6  # closeness the nearest section needs to answer a question lexical retrieval declined
RESCUE_MARGIN = 0.12  # ...that much ahead of the next section's
# ...but not this far ahead: one section far nearer than all others is the signature of a term the articles
# only name ("how is a roc curve plotted" 0.30 ahead; "what is an roc curve", "how do I set up event tracking
# in Mixpanel" 0.35, 0.45), where a paraphrase of what a section says is 0.12-0.20 ahead on the tuning sets
RESCUE_MAX_MARGIN = 0.25
MIN_QUESTION_WORDS = 2  # a one-word question has too little meaning to go by
CACHE_VERSION = "e1"  # bump when how the library's vectors are made changes: the cache beside the index is redone

# On: measured on the tuning sets it answers 7 more of 413 in-scope questions correctly and declines
# one more out-of-scope question (README, Answers). COACH_SEMANTIC=0 turns it off.
ON_BY_DEFAULT = True


def enabled() -> bool:
    value = os.environ.get("COACH_SEMANTIC", "")
    return value == "1" if value else ON_BY_DEFAULT


def check(root: Path) -> list[str]:
    """`coach content check`: the content folder's encoder file loads and matches its checksum."""
    path = Path(root) / encoder.FILE_NAME
    if not path.is_file():
        if enabled() and not encoder.DEFAULT_PATH.is_file():
            return [f"{_display(encoder.DEFAULT_PATH)}:1: the semantic step's encoder is missing: rebuild it with "
                    f"tools/build_encoder.py, or set COACH_SEMANTIC=0"]
        return []  # a content folder may hold articles only: the repo's file is used
    try:
        encoder.read(path)
    except encoder.EncoderError as exc:
        return [f"{_display(path)}:1: {exc}"]
    return []


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ------------------------------------------------------------------ the index side

@dataclass
class LibraryVectors:
    """Vectors of every section's phrasings and atoms, for one answer index."""
    keys: list[str]  # section unit keys, in order
    phrasings: "object"  # (n phrasings, 384), unit rows
    phrasing_owner: "object"  # section position of each phrasing
    atoms: "object"  # (n atoms, 384)
    atom_owner: "object"  # section position of each atom
    atom_pos: "object"  # the atom's position in its section


def library_texts(sections, alternates) -> list[str]:
    """Every text library_vectors embeds, in its order."""
    phr = [text for section in sections for text in alternates(section)]
    return phr + [atom.text for section in sections for atom in section.atoms]


def library_vectors(model: encoder.Encoder, sections, alternates, seed: Path | None = None) -> LibraryVectors:
    """``alternates(unit)``: the raw texts a section is also asked as (heading first)."""
    import numpy as np

    phr, phr_owner, atoms, atom_owner, atom_pos = [], [], [], [], []
    for s_i, section in enumerate(sections):
        for text in alternates(section):
            phr.append(text)
            phr_owner.append(s_i)
        for a_i, atom in enumerate(section.atoms):
            atoms.append(atom.text)
            atom_owner.append(s_i)
            atom_pos.append(a_i)
    vectors = _embed_remembered(model, phr + atoms, seed)
    return LibraryVectors([s.key for s in sections], vectors[:len(phr)], np.array(phr_owner, int),
                          vectors[len(phr):], np.array(atom_owner, int), np.array(atom_pos, int))


_BUILDING = threading.RLock()  # one library's vectors made at a time, and the texts below changed by one
_UNKNOWN = object()
_remembered: dict[str, object] = {}  # text -> vector, for the model in _remembered_for
_remembered_for: list[str] = [""]


def shared_cache_path(model: encoder.Encoder) -> Path:
    """Every text this encoder has embedded on this machine, whatever the index (COACH_CACHE_DIR, else
    the user's cache folder): a new database, a test's, a content edit embeds only texts not seen before."""
    root = os.environ.get("COACH_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pm-coach"
    return Path(root) / f"sentences-{model.meta['sha256'][:16]}-{CACHE_VERSION}.npz"


SEED_NAME = "sentence_vectors.npz"  # beside encoder.npz: the library's texts, embedded when content last changed


def seed_path(model_path: Path) -> Path:
    return Path(model_path).with_name(SEED_NAME)


def _embed_remembered(model: encoder.Encoder, texts: list[str], seed: Path | None = None):
    """model.embed, each distinct text once per machine (see shared_cache_path): embedding the library
    is ~15 s on one core, reading it back a few ms. ``seed``: the library's texts as shipped in the
    content folder (tools/build_sentence_vectors.py), so a fresh machine's first ask doesn't take those
    15 s; a text edited since is embedded here, and only that one."""
    import numpy as np

    if _remembered_for[0] != model.meta["sha256"]:
        _remembered.clear()
        _remembered_for[0] = model.meta["sha256"]
    shared = shared_cache_path(model)
    if seed is not None and any(t not in _remembered for t in texts):
        _remembered.update(read_seed(seed, model))
    if any(t not in _remembered for t in texts):
        _remembered.update(_read_texts(shared))
    new = list(dict.fromkeys(t for t in texts if t not in _remembered))
    if new:
        _remembered.update(zip(new, model.embed(new)))
        _write_texts(shared, _remembered)
    dims = int(model.meta["hidden"])
    return np.stack([_remembered[t] for t in texts]) if texts else np.zeros((0, dims), np.float32)


def read_seed(path: Path, model: encoder.Encoder) -> dict:
    """The shipped texts' vectors, if they were made by this model (another model's would mislead)."""
    import numpy as np

    try:
        with np.load(path) as data:
            if data["model"].tobytes().decode() != model.meta["sha256"]:
                return {}
            texts = data["texts"].tobytes().decode().split("\0")
            vectors = data["vectors"].astype(np.float32)
    except (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError):
        return {}
    return dict(zip(texts, vectors)) if len(texts) == len(vectors) else {}


def write_seed(path: Path, model: encoder.Encoder, texts: list[str]) -> None:
    """(tools/build_sentence_vectors.py) The texts' vectors as float16 (cosines change by < 0.001)."""
    import numpy as np

    texts = list(dict.fromkeys(t for t in texts if "\0" not in t))
    vectors = _embed_remembered(model, texts)
    np.savez_compressed(path, model=np.frombuffer(model.meta["sha256"].encode(), np.uint8),
                        texts=np.frombuffer("\0".join(texts).encode(), np.uint8),
                        vectors=vectors.astype(np.float16))


def _read_texts(path: Path) -> dict:
    import numpy as np

    try:
        with np.load(path) as data:
            texts = data["texts"].tobytes().decode().split("\0")
            vectors = data["vectors"]
    except (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError):
        return {}
    return dict(zip(texts, vectors)) if len(texts) == len(vectors) else {}


def _write_texts(path: Path, remembered: dict) -> None:
    """Best effort, written whole and renamed into place (a crash leaves the old file)."""
    import numpy as np

    texts = [t for t in remembered if "\0" not in t]
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(tmp, texts=np.frombuffer("\0".join(texts).encode(), np.uint8),
                 vectors=np.stack([remembered[t] for t in texts]) if texts else np.zeros((0, 384), np.float32))
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass


@dataclass
class Closeness:
    by_section: dict[str, float]  # section key -> closeness to the question
    atoms: dict[str, list[float]]  # section key -> each atom's cosine to the question, in order

    def ranked(self) -> list[tuple[str, float]]:
        return sorted(self.by_section.items(), key=lambda kv: -kv[1])

    def best_atom(self, key: str) -> int | None:
        sims = self.atoms.get(key)
        return max(range(len(sims)), key=sims.__getitem__) if sims else None


def closeness(lv: LibraryVectors, q) -> Closeness:
    """q: the question's unit vector."""
    import numpy as np

    n = len(lv.keys)
    best_phr = np.full(n, -1.0)
    np.maximum.at(best_phr, lv.phrasing_owner, lv.phrasings @ q)
    atom_sims = lv.atoms @ q
    best_atom = np.full(n, -1.0)
    np.maximum.at(best_atom, lv.atom_owner, atom_sims)
    best_phr = np.where(best_phr < -0.99, best_atom, best_phr)
    score = PHRASING_SHARE * best_phr + (1 - PHRASING_SHARE) * best_atom
    per_atom: dict[str, list[float]] = {}
    for owner, sim in zip(lv.atom_owner, atom_sims):
        per_atom.setdefault(lv.keys[owner], []).append(float(sim))
    return Closeness({k: float(s) for k, s in zip(lv.keys, score)}, per_atom)


class Meaning:
    """The semantic step for one answer index: the library's vectors made on first use (or read from
    the cache file beside the index), then shared by its questions."""

    def __init__(self, index):
        self.index = index
        self._vectors: LibraryVectors | None = None
        self._model: encoder.Encoder | None = None
        self._asked: dict[str, Closeness | None] = {}
        self._broken = False

    def _ready(self) -> bool:
        """Whether the step can run: an encoder file gone bad since the content check leaves the
        answers lexical (logged once), not a traceback in every answer."""
        if self._vectors is not None or self._broken:
            return not self._broken
        with _BUILDING:  # the bot's threads wait for one build instead of each making their own
            if self._vectors is None and not self._broken:
                try:
                    self._build()
                except encoder.EncoderError as exc:
                    self._broken = True
                    log.warning("semantic step off: %s", exc)
        return not self._broken

    def _build(self) -> None:
        model_path = encoder.path_for(self.index.library.root)
        self._model = encoder.load(model_path)
        cache = self._cache_path()
        key = f"{retrieval_digest(self.index.db)}:{self._model.meta['sha256']}:{CACHE_VERSION}"
        self._vectors = read_cache(cache, key) if cache else None
        if self._vectors is None:
            self._vectors = library_vectors(self._model, self.index.sections, self._alternates(),
                                            seed=seed_path(model_path))
            if cache:
                write_cache(cache, key, self._vectors)

    def texts(self) -> list[str]:
        """Every library text the step embeds (what tools/build_sentence_vectors.py ships)."""
        return library_texts(self.index.sections, self._alternates())

    def _alternates(self):
        from .retrieval import _drill_questions

        asked = _drill_questions(self.index.library)

        def alternates(section):
            article = self.index.library.articles.get(section.article)
            sec = article.section(section.section) if article else None
            return [section.section, *(sec.alternates if sec else ()),
                    *asked.get((section.article, section.section), ())]

        return alternates

    def _cache_path(self) -> Path | None:
        location = getattr(self.index.db, "location", ":memory:")
        return Path(f"{location}.semantic.npz") if location and location != ":memory:" else None

    def closeness(self, question: str) -> Closeness | None:
        """Each section's closeness to the question (asked again within one ask: kept a while)."""
        known = self._asked.get(question, _UNKNOWN)
        if known is not _UNKNOWN:
            return known
        near = None
        if self._ready() and len(question.split()) >= MIN_QUESTION_WORDS:
            near = closeness(self._vectors, self._model.embed([question])[0])
        if len(self._asked) > 256:
            self._asked.clear()
        self._asked[question] = near
        return near

    def rerank(self, question: str, ranked: list) -> list:
        """The best lexical candidates, each raised by how close its section is in meaning."""
        near = self.closeness(question)
        if near is None:
            return ranked
        for c in ranked[:RERANK_TOP]:
            c.score += RERANK_WEIGHT * near.by_section.get(c.unit.section_key, 0.0)
        return sorted(ranked, key=lambda c: -c.score)

    def rescue(self, question: str):
        """(unit, atom or None, closeness) answering a declined question by meaning, or None: the
        nearest section must clear RESCUE_MIN and the next by RESCUE_MARGIN."""
        near = self.closeness(question)
        if near is None:
            return None
        ranked = near.ranked() + [("", 0.0)]
        (key, best), (_, second) = ranked[0], ranked[1]
        if best < RESCUE_MIN or not RESCUE_MARGIN <= best - second <= RESCUE_MAX_MARGIN:
            return None
        section = next(s for s in self.index.sections if s.key == key)
        atom = near.best_atom(key)
        if atom is None or not 0 <= atom < len(section.atoms):
            return section, None, best
        if section.atoms[atom].kind != "sentence":  # a list item or table row answers as itself
            item = self.index._units("section_key = ? AND atom = ?", [key, atom])
            if item:
                return item[0], None, best
        return section, atom, best


def retrieval_digest(db) -> str:
    from .retrieval import current_digest

    return current_digest(db) or ""


_FIELDS = ("phrasings", "phrasing_owner", "atoms", "atom_owner", "atom_pos")


def read_cache(path: Path, key: str) -> LibraryVectors | None:
    """The library's vectors kept beside the index, if they were made for this index and this encoder."""
    import numpy as np

    try:
        with np.load(path) as data:
            if data["key"].tobytes().decode() != key:
                return None
            arrays = {f: data[f] for f in _FIELDS}
            keys = data["keys"].tobytes().decode().split("\n")
    except (OSError, ValueError, KeyError, EOFError):
        return None
    return LibraryVectors(keys, **arrays)


def write_cache(path: Path, key: str, lv: LibraryVectors) -> None:
    """Best effort (a read-only folder just means the next process makes them again)."""
    import numpy as np

    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npz")
    try:
        np.savez(tmp, key=np.frombuffer(key.encode(), np.uint8),
                 keys=np.frombuffer("\n".join(lv.keys).encode(), np.uint8), **{f: getattr(lv, f) for f in _FIELDS})
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass
