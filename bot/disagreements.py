"""Where the articles disagree (content/disagreements.yaml): an answer from one claim gives the others too."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import re
import unicodedata


from . import synonyms
from .synonyms import terms

FILE_NAME = "disagreements.yaml"


_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")


def norm(text: str) -> str:
    """Dashes, spaces and widths unified, so `says` can be typed on any keyboard."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).translate(_DASHES).lower())


def holds(says: str, text: str) -> bool:
    return norm(says) in norm(text)


@dataclass(frozen=True)
class Claim:
    article: str
    section: str
    says: str


@dataclass(frozen=True)
class Disagreement:
    topic: str
    terms: frozenset[str]  # question terms that raise it
    claims: tuple[Claim, ...]

    def other_claims(self, article: str, section: str) -> list[Claim]:
        return [c for c in self.claims if (c.article, c.section) != (article, section)]

    def involves(self, article: str, section: str) -> bool:
        return any((c.article, c.section) == (article, section) for c in self.claims)


_LINES = None


def _loader():
    """(yaml, a loader that keeps each mapping's line), made on the first parse (see parsed)."""
    global _LINES
    import yaml

    if _LINES is None:
        _LINES = type("_Lines", (getattr(yaml, "CSafeLoader", yaml.SafeLoader),), {})
        _LINES.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
    return yaml, _LINES


def _mapping(loader, node):
    out = loader.construct_mapping(node, deep=True)
    out["__line__"] = node.start_mark.line + 1
    return out


_parsed: dict[tuple, list] = {}  # file versions -> parse(path)'s disagreements


def _version(path: Path) -> tuple | None:
    """The disagreements file's version, and the vocabulary's its words are read with."""
    try:
        vocabulary = synonyms.path_for(path.parent)
        return tuple((str(p), st.st_mtime_ns, st.st_size) for p in (path, vocabulary) for st in [p.stat()])
    except OSError:
        return None


def parsed(path: Path) -> list[Disagreement]:
    """parse(path)'s disagreements, read once per file version; the content cache keeps them across
    processes (parsed_entry, adopt), so a start with a warm cache needs no YAML parser at all."""
    key = _version(path)
    if key is None:
        return []
    if key not in _parsed:
        _parsed.clear()
        _parsed[key] = parse(path)[0]
    return _parsed[key]


def parsed_entry(path: Path) -> tuple | None:
    """parsed(path) with the file version it is for (content.load's cache keeps it)."""
    result = parsed(path)
    key = _version(path)
    return (key, result) if key else None


def adopt(entry: tuple | None) -> None:
    """Take a kept parsed() result if the file is still that version (else the next call reads it)."""
    if not entry:
        return
    key, result = entry
    if _version(Path(key[0][0])) == key:
        _parsed.clear()
        _parsed[key] = result


def parse(path: Path, articles: dict | None = None) -> tuple[list[Disagreement], list[str]]:
    """The disagreements in path, and each problem as ``file:line: message`` (sections checked
    against articles when given)."""
    if not path.is_file():
        return [], []
    name = path.name if not path.parent.name else f"{path.parent.name}/{path.name}"
    yaml, lines_loader = _loader()
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=lines_loader) or []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [f"{name}:{mark.line + 1 if mark else 1}: not valid YAML ({getattr(exc, 'problem', exc)})"]
    if not isinstance(data, list):
        return [], [f"{name}:1: expected a list of disagreements (topic, words, claims)"]
    out, problems = [], []
    for item in data:
        line = item.get("__line__", 1) if isinstance(item, dict) else 1
        if not isinstance(item, dict) or not isinstance(item.get("topic"), str) \
                or not isinstance(item.get("words"), list) or not isinstance(item.get("claims"), list):
            problems.append(f"{name}:{line}: a disagreement needs topic (text), words (a list) and claims (a list)")
            continue
        claims = []
        for c in item["claims"]:
            cline = c.get("__line__", line) if isinstance(c, dict) else line
            if not isinstance(c, dict) or not all(isinstance(c.get(k), str) for k in ("article", "section", "says")):
                problems.append(f"{name}:{cline}: a claim needs article, section and says")
                continue
            if articles is not None:
                article = articles.get(c["article"])
                section = article.section(c["section"]) if article else None
                if section is None:
                    problems.append(f"{name}:{cline}: '{c['section']}' is not a section of '{c['article']}'")
                    continue
                if not holds(c["says"], section.body):
                    problems.append(f"{name}:{cline}: '{c['says']}' is not in {c['article']} › {c['section']}")
                    continue
            claims.append(Claim(c["article"], c["section"], c["says"]))
        if len(claims) < 2 and not problems:
            problems.append(f"{name}:{line}: a disagreement needs at least two claims")
        out.append(Disagreement(item["topic"], frozenset(t for w in item["words"] for t in terms(str(w))),
                                tuple(claims)))
    return out, problems


def check(root: Path, articles: dict) -> list[str]:
    return parse(Path(root) / FILE_NAME, articles)[1]
