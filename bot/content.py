"""Load and validate content/: articles (Markdown + front matter) and drills (YAML).

Pure: reads files, returns dataclasses or ``file:line: message`` problems. Nothing
here touches the database or a platform.
"""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

# libyaml's parser when PyYAML was built with it (about 10x faster than pure Python); its nodes
# carry the same marks, so problems keep their file:line. Set on the first parse (see _yaml).
SAFE_LOADER = None
TRACKS = ("ai-pm", "ds-pm", "traditional-pm", "career")
DRILL_TYPES = ("mcq", "open", "scenario")
DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "content"

_HEADING = re.compile(r"^(#{2,3})\s+(.+?)\s*#*\s*$")
_ALSO = re.compile(r"^<!--\s*also:\s*(.*?)\s*-->\s*$", re.I)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,80}$")


def content_root() -> Path:
    return Path(os.environ.get("COACH_CONTENT") or DEFAULT_ROOT)


def norm_heading(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


@dataclass(frozen=True)
class Section:
    article: str  # slug
    heading: str
    level: int  # 2 or 3
    parent: str  # the enclosing ## heading for a ###, else ""
    body: str  # Markdown, without the heading and the also-comment
    alternates: tuple[str, ...] = ()
    line: int = 0

    @property
    def key(self) -> str:
        return f"{self.article}#{norm_heading(self.heading).replace(' ', '-')}"


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    tracks: tuple[str, ...]
    sections: tuple[Section, ...]
    path: str = ""

    def section(self, heading: str) -> Section | None:
        wanted = norm_heading(heading)
        return next((s for s in self.sections if norm_heading(s.heading) == wanted), None)


@dataclass(frozen=True)
class KeyPoint:
    point: str
    words: tuple[str, ...]  # the point's own terms, close together
    says: tuple[str, ...] = ()  # the point in a learner's words: most of a phrasing's words in one sentence


@dataclass(frozen=True)
class Drill:
    id: str
    type: str
    track: str
    difficulty: int
    article: str
    section: str
    prompt: str
    choices: tuple[str, ...] = ()
    answer: str = ""
    explanation: str = ""
    situation: str = ""
    key_points: tuple[KeyPoint, ...] = ()
    model_answer: str = ""
    path: str = ""
    line: int = 0

    @property
    def answer_letter(self) -> str:
        return "ABCD"[self.choices.index(self.answer)] if self.answer in self.choices else ""


@dataclass
class Library:
    articles: dict[str, Article]
    drills: dict[str, Drill]
    digest: str  # content hash: the answer index is rebuilt only when this changes
    root: Path = field(default_factory=content_root)

    def sections(self):
        for article in self.articles.values():
            yield from article.sections

    def section_for(self, drill: Drill) -> Section | None:
        article = self.articles.get(drill.article)
        return article.section(drill.section) if article else None


class ContentError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _rel(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


def read_file(path: Path, problems: list[str]) -> tuple[bytes, str] | None:
    """A content file's bytes and text, or None with a ``file:line: message`` problem: a folder
    named like a content file, a broken link, bytes that aren't UTF-8 (with their line)."""
    name = _rel(path)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "cannot read: a broken link or a missing file"
        problems.append(f"{name}:1: {what}")
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(f"{name}:1: cannot read: {exc.strerror or exc}")
        return None
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        problems.append(f"{name}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at column {column}); "
                        "save the file as UTF-8")
        return None


# ---------------------------------------------------------------- articles

def parse_article(path: Path, problems: list[str], text: str | None = None) -> Article | None:
    name = _rel(path)
    if text is None:
        read = read_file(path, problems)
        if read is None:
            return None
        text = read[1]
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        problems.append(f"{name}:1: missing front matter (a '---' block with slug, title, tracks)")
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        problems.append(f"{name}:1: front matter is not closed with '---'")
        return None
    try:
        yaml = _yaml()
        meta = yaml.load("\n".join(lines[1:end]), Loader=SAFE_LOADER) or {}
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", 0) + 2
        problems.append(f"{name}:{line}: front matter is not valid YAML: {getattr(exc, 'problem', exc)}")
        return None
    ok = True
    if not isinstance(meta, dict):
        problems.append(f"{name}:2: front matter must be a mapping with slug, title, tracks")
        return None
    for key in ("slug", "title", "tracks"):
        if not meta.get(key):
            problems.append(f"{name}:2: front matter needs '{key}'")
            ok = False
    slug = str(meta.get("slug") or "")
    if slug and slug != path.stem:
        problems.append(f"{name}:2: slug '{slug}' must match the file name '{path.stem}'")
        ok = False
    tracks = meta.get("tracks") or []
    if not isinstance(tracks, list) or any(t not in TRACKS for t in tracks):
        problems.append(f"{name}:2: tracks must be a list drawn from {', '.join(TRACKS)}")
        ok = False

    sections: list[Section] = []
    current: dict | None = None
    parent = ""
    seen: dict[str, int] = {}

    def close():
        if current is None:
            return
        body = "\n".join(current["body"]).strip()
        if not body and (current["level"] == 3 or not current["children"]):
            problems.append(f"{name}:{current['line']}: section '{current['heading']}' has no text")
        sections.append(
            Section(slug, current["heading"], current["level"], current["parent"], body,
                    tuple(current["also"]), current["line"])
        )

    for i, raw in enumerate(lines[end + 1:], start=end + 2):
        m = _HEADING.match(raw)
        if m:
            level, heading = len(m.group(1)), m.group(2).strip()
            if current is not None and level == 3 and current["level"] == 2:
                current["children"] = True
            close()
            if level == 2:
                parent = heading
            key = norm_heading(heading)
            if key in seen:
                problems.append(f"{name}:{i}: heading '{heading}' repeats line {seen[key]}; headings must be unique")
            seen[key] = i
            current = {"heading": heading, "level": level, "parent": parent if level == 3 else "",
                       "body": [], "also": [], "line": i, "children": False}
            continue
        if raw.startswith("# "):
            problems.append(f"{name}:{i}: use '## ' or '### ' headings; the title lives in the front matter")
            continue
        also = _ALSO.match(raw.strip())
        if also and current is not None:
            current["also"].extend(p.strip() for p in also.group(1).split("|") if p.strip())
            continue
        if current is None:
            if raw.strip():
                problems.append(f"{name}:{i}: text before the first '## ' heading")
            continue
        current["body"].append(raw)
    close()
    if not sections:
        problems.append(f"{name}:{end + 2}: article has no '## ' sections")
        ok = False
    if not ok:
        return None
    return Article(slug, str(meta["title"]), tuple(tracks), tuple(sections), name)


# ------------------------------------------------------------------ drills

def _construct_mapping(loader, node):
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__lines__"] = {k.value: k.start_mark.line + 1 for k, _ in node.value if hasattr(k, "value")}
    return mapping


def line_loader(base=None):
    """A safe loader that records the line of each mapping (and of each key) in the mapping."""
    import yaml

    loader = type("LineLoader", (base or getattr(yaml, "CSafeLoader", yaml.SafeLoader),),
                  {"__doc__": line_loader.__doc__})
    loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    return loader


_LineLoader = None  # line_loader(), made on the first parse


def _yaml():
    """PyYAML, imported when something is parsed: with a warm content cache (a cold ``coach ask``)
    nothing is, and the import is a good part of its start-up."""
    global SAFE_LOADER, _LineLoader
    import yaml

    if SAFE_LOADER is None:
        SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    if _LineLoader is None:
        _LineLoader = line_loader(SAFE_LOADER)
    return yaml

_FIELDS = {
    "mcq": {"id", "type", "track", "difficulty", "source", "prompt", "choices", "answer", "explanation"},
    "open": {"id", "type", "track", "difficulty", "source", "prompt", "key_points", "model_answer"},
    "scenario": {"id", "type", "track", "difficulty", "source", "situation", "prompt", "key_points", "model_answer"},
}


def _text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def parse_drills(path: Path, problems: list[str], text: str | None = None) -> list[tuple[dict, Drill | None]]:
    name = _rel(path)
    if text is None:
        read = read_file(path, problems)
        if read is None:
            return []
        text = read[1]
    yaml = _yaml()
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(f"{name}:{(mark.line + 1) if mark else 1}: not valid YAML: {getattr(exc, 'problem', exc)}")
        return []
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(f"{name}:1: a drills file is a YAML list of drills")
        return []
    out = []
    for item in data:
        if not isinstance(item, dict):
            problems.append(f"{name}:1: each drill must be a mapping (got {type(item).__name__})")
            continue
        line = item.get("__line__", 1)
        lines = item.get("__lines__", {})

        def bad(key: str, message: str):
            problems.append(f"{name}:{lines.get(key, line)}: {item.get('id') or 'drill'}: {message}")

        dtype = item.get("type")
        if dtype not in DRILL_TYPES:
            bad("type", f"type must be one of {', '.join(DRILL_TYPES)}")
            out.append((item, None))
            continue
        before = len(problems)  # any problem below, a missing field included, means no Drill
        keys = set(item) - {"__line__", "__lines__"}
        for missing in sorted(_FIELDS[dtype] - keys):
            bad("id", f"missing '{missing}'")
        for extra in sorted(keys - _FIELDS[dtype], key=str):  # a key may be a number
            bad(extra, f"unknown field '{extra}' for a {dtype} drill")
        did = item.get("id")
        if not isinstance(did, str) or not _ID.match(did):
            bad("id", "id must be 3-80 characters of a-z, 0-9 and '-'")
        if item.get("track") not in TRACKS:
            bad("track", f"track must be one of {', '.join(TRACKS)}")
        difficulty = item.get("difficulty")
        if type(difficulty) is not int or difficulty not in (1, 2, 3):  # `true` is an int in Python
            bad("difficulty", "difficulty must be 1, 2 or 3")
        source = item.get("source")
        if not (isinstance(source, dict) and _text(source.get("article")) and _text(source.get("section"))):
            bad("source", "source needs 'article' (a slug) and 'section' (a heading)")
        for key in ("prompt", "explanation", "model_answer", "situation", "answer"):
            if key in _FIELDS[dtype] and key in item and not _text(item.get(key)):
                bad(key, f"'{key}' must be non-empty text")
        if dtype == "mcq":
            choices = item.get("choices")
            if not (isinstance(choices, list) and len(choices) == 4 and all(_text(c) for c in choices)):
                bad("choices", "choices must be a list of 4 non-empty strings")
            elif len(set(choices)) != 4:
                bad("choices", "choices must be different from each other")
            elif item.get("answer") not in choices:
                bad("answer", "answer must be exactly one of the choices")
        else:
            kps = item.get("key_points")
            if not (isinstance(kps, list) and len(kps) >= 2):
                bad("key_points", "key_points must list at least 2 points")
            else:
                for kp in kps:
                    if not (isinstance(kp, dict) and _text(kp.get("point")) and isinstance(kp.get("words"), list)
                            and kp["words"] and all(_text(w) for w in kp["words"])):
                        problems.append(
                            f"{name}:{kp.get('__line__', line) if isinstance(kp, dict) else line}: {did}: "
                            "each key point needs 'point' (text) and 'words' (a non-empty list of phrases)")
                    elif "says" in kp and not (isinstance(kp["says"], list) and kp["says"]
                                               and all(_text(w) for w in kp["says"])):
                        problems.append(f"{name}:{kp.get('__line__', line)}: {did}: "
                                        "a key point's 'says' must be a non-empty list of phrasings")
                    elif set(kp) - {"point", "words", "says", "__line__", "__lines__"}:
                        extra = sorted(set(kp) - {"point", "words", "says", "__line__", "__lines__"})
                        problems.append(f"{name}:{kp.get('__line__', line)}: {did}: "
                                        f"unknown key point field '{extra[0]}' (point, words, says)")
        if len(problems) > before or not isinstance(source, dict):
            out.append((item, None))
            continue
        drill = Drill(
            id=did, type=dtype, track=item["track"], difficulty=item["difficulty"],
            article=str(source["article"]), section=str(source["section"]),
            prompt=item["prompt"].strip(),
            choices=tuple(c.strip() for c in item.get("choices") or ()),
            answer=(item.get("answer") or "").strip(),
            explanation=(item.get("explanation") or "").strip(),
            situation=(item.get("situation") or "").strip(),
            key_points=tuple(KeyPoint(kp["point"].strip(), tuple(w.strip() for w in kp["words"]),
                                      tuple(w.strip() for w in kp.get("says") or ()))
                             for kp in item.get("key_points") or ()),
            model_answer=(item.get("model_answer") or "").strip(),
            path=name, line=line,
        )
        out.append((item, drill))
    return out


# ----------------------------------------------------------------- library

def check(root: Path | None = None) -> tuple[Library | None, list[str]]:
    """Everything wrong with the content, as ``file:line: message``; the library if none."""
    root = Path(root or content_root())
    problems: list[str] = []
    art_dir, drill_dir = root / "articles", root / "drills"
    if not art_dir.is_dir():
        return None, [f"{_rel(art_dir)}:1: no articles folder"]
    digest = hashlib.sha256()
    articles: dict[str, Article] = {}
    broken: set[str] = set()  # articles already reported: drills citing them add nothing
    for path in sorted(art_dir.glob("*.md")):
        read = read_file(path, problems)
        article = parse_article(path, problems, read[1]) if read else None
        if read:
            digest.update(path.name.encode() + b"\0" + read[0])
        if article:
            articles[article.slug] = article
        else:
            broken.add(path.stem)
    if not articles and not problems:
        problems.append(f"{_rel(art_dir)}:1: no articles (*.md) found")
    drills: dict[str, Drill] = {}
    first_seen: dict[str, str] = {}
    for path in sorted(drill_dir.glob("*.yaml")) if drill_dir.is_dir() else []:
        read = read_file(path, problems)
        if read is None:
            continue
        digest.update(path.name.encode() + b"\0" + read[0])
        for item, drill in parse_drills(path, problems, read[1]):
            did = item.get("id")
            where = f"{_rel(path)}:{item.get('__line__', 1)}"
            if isinstance(did, str):
                if did in first_seen:
                    problems.append(f"{where}: duplicate id '{did}' (first at {first_seen[did]})")
                    continue
                first_seen[did] = where
            if drill is None:
                continue
            article = articles.get(drill.article)
            lines = item.get("__lines__", {})
            src_line = lines.get("source", drill.line)
            if article is None and drill.article in broken:
                continue
            if article is None:
                problems.append(f"{_rel(path)}:{src_line}: {drill.id}: source article '{drill.article}' does not exist")
                continue
            if article.section(drill.section) is None:
                problems.append(
                    f"{_rel(path)}:{src_line}: {drill.id}: section '{drill.section}' is not a heading in {drill.article}")
                continue
            drills[drill.id] = drill
    from . import disagreements, semantic, synonyms  # vocabulary, disagreements, the encoder: checked with the rest

    vocabulary_problems = synonyms.parse(root / synonyms.FILE_NAME)[1] if (root / synonyms.FILE_NAME).is_file() else []
    problems += vocabulary_problems
    if not vocabulary_problems:  # the disagreements are read through the vocabulary
        problems += disagreements.check(root, articles)
    problems += semantic.check(root)
    if problems:
        return None, problems
    return Library(articles, drills, digest.hexdigest(), root), []


def load(root: Path | None = None, cache: Path | None = None) -> Library:
    """The checked library; raises ContentError with every problem.

    With ``cache`` (a file path), a library that passed the check is pickled there, keyed by
    the bytes of every content file and of the code that parses them, so the next process
    (a cold ``coach ask``) unpickles it instead of parsing 136 drills again. Any change to
    the content or the parser misses the key and the content is checked afresh."""
    root = Path(root or content_root())
    key = _cache_key(root) if cache else None
    if key:
        library = _read_cache(cache, key)
        if library is not None:
            return library
    library, problems = check(root)
    if problems:
        raise ContentError(problems)
    if key:
        _write_cache(cache, key, library)
    return library


# The parser's own sources are part of the key: a changed rule must re-check the content.
_PARSER_FILES = ("content.py", "synonyms.py", "disagreements.py")


def _cache_key(root: Path) -> str | None:
    digest = hashlib.sha256(str(root.resolve()).encode())
    here = Path(__file__).resolve().parent
    try:
        for path in [here / n for n in _PARSER_FILES] + sorted(p for p in root.rglob("*") if p.is_file()):
            # the encoder's 23 MB: its size and time stand for it (hashing it would be most of a cold start)
            data = path.read_bytes() if path.suffix != ".npz" else f"{path.stat().st_size}:{path.stat().st_mtime_ns}".encode()
            digest.update(str(path).encode() + b"\0" + data + b"\0")
    except OSError:
        return None  # unreadable content: the full check explains it
    return digest.hexdigest()


def _read_cache(cache: Path, key: str) -> Library | None:
    import pickle

    try:
        with open(cache, "rb") as fh:
            stored_key, library, vocabulary, claims = pickle.load(fh)
    except Exception:  # missing, truncated or from another version: just check the content
        return None
    if stored_key != key or not isinstance(library, Library):
        return None
    from . import disagreements, synonyms

    synonyms.adopt(vocabulary)  # the vocabulary parsed with it, if its file is unchanged
    disagreements.adopt(claims)  # and the disagreements the answer index reads at every start
    return library


def _write_cache(cache: Path, key: str, library: Library) -> None:
    import pickle

    from . import disagreements, synonyms

    vocabulary = synonyms.parsed_entry(synonyms.path_for(library.root))
    claims = disagreements.parsed_entry(library.root / disagreements.FILE_NAME)
    tmp = Path(f"{cache}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            pickle.dump((key, library, vocabulary, claims), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)  # atomic: a concurrent reader sees the old file or the new one
    except OSError:  # a read-only or missing folder only costs the next start its speed
        try:
            tmp.unlink()
        except OSError:
            pass


# ------------------------------------------------------------ bank report
# How the drill bank reads as a whole (coach content check prints it). Kept apart from the loader:
# nothing here makes content invalid to load, but the CLI fails on an exact duplicate prompt.

LONGEST_ANSWER_LIMIT = 0.35  # above this, "pick the longest choice" beats the learner's knowledge
NEAR_DUPLICATE = 0.6  # Jaccard overlap of two prompts' content words that reads as the same question
_PROMPT_STOP = frozenset(
    "a an and are as at be but by can do does for from had has have how i if in is it its my of on or so "
    "that the their them they this to was we what when where which who why will with would you your".split())


@dataclass(frozen=True)
class BankReport:
    tracks: dict[str, int]  # drills per track, every track listed
    types: dict[str, int]  # drills per type
    mcq: int
    answer_longest: int  # MCQs whose answer is longer than every other choice (a tie gives nothing away)
    answer_letters: dict[str, int]  # how often the answer sits at A, B, C, D in the file
    exact_duplicates: tuple[tuple[str, str], ...]  # drill ids whose shown text is identical
    near_duplicates: tuple[tuple[str, str, float], ...]  # (id, id, overlap) at or above NEAR_DUPLICATE
    where: dict[str, str] = field(default_factory=dict)  # drill id -> "file:line", for messages

    @property
    def longest_share(self) -> float:
        return self.answer_longest / self.mcq if self.mcq else 0.0

    @property
    def errors(self) -> list[str]:
        return [f"{self.where.get(b, b)}: {b}: exact duplicate prompt of {a} ({self.where.get(a, a)})"
                for a, b in self.exact_duplicates]

    @property
    def warnings(self) -> list[str]:
        out = [f"near-duplicate prompts ({overlap:.0%} shared words): {a} and {b}"
               for a, b, overlap in self.near_duplicates]
        if self.longest_share > LONGEST_ANSWER_LIMIT:
            out.append(f"the answer is the longest choice in {self.longest_share:.0%} of MCQs "
                       f"(keep it at or under {LONGEST_ANSWER_LIMIT:.0%})")
        return out

    def lines(self) -> list[str]:
        return [
            "drills per track: " + ", ".join(f"{t} {n}" for t, n in self.tracks.items()),
            f"MCQ answer is the longest choice: {self.answer_longest} of {self.mcq} ({self.longest_share:.0%})",
            "MCQ answer position: " + ", ".join(f"{k} {n}" for k, n in self.answer_letters.items()),
            f"duplicate prompts: {len(self.exact_duplicates)} exact, {len(self.near_duplicates)} near",
        ]


def _shown_text(drill: Drill) -> str:
    """What the learner reads: a scenario's situation belongs to its prompt."""
    return f"{drill.situation} {drill.prompt}".strip() if drill.situation else drill.prompt


def _prompt_words(text: str) -> frozenset[str]:
    return frozenset(w for w in norm_heading(text).split() if w not in _PROMPT_STOP and len(w) > 1)


def bank_report(library: Library) -> BankReport:
    drills = sorted(library.drills.values(), key=lambda d: d.id)
    tracks = {t: sum(d.track == t for d in drills) for t in TRACKS}
    types = {t: sum(d.type == t for d in drills) for t in DRILL_TYPES}
    mcqs = [d for d in drills if d.type == "mcq"]
    longest = sum(all(len(d.answer) > len(c) for c in d.choices if c != d.answer) for d in mcqs)
    letters = {letter: sum(d.answer_letter == letter for d in mcqs) for letter in "ABCD"}
    exact, near = [], []
    shown = [(d.id, norm_heading(_shown_text(d)), _prompt_words(_shown_text(d))) for d in drills]
    for i, (a, text_a, words_a) in enumerate(shown):
        for b, text_b, words_b in shown[i + 1:]:
            if text_a == text_b:
                exact.append((a, b))
                continue
            union = words_a | words_b
            overlap = len(words_a & words_b) / len(union) if union else 0.0
            if overlap >= NEAR_DUPLICATE:
                near.append((a, b, overlap))
    where = {d.id: f"{d.path}:{d.line}" for d in drills}
    return BankReport(tracks, types, len(mcqs), longest, letters, tuple(exact), tuple(near), where)
