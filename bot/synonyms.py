"""The domain's vocabulary as a mechanism: the words themselves live in content/vocabulary.yaml.

Applied to both the articles and the question, before stemming, so "comp", "salary"
and "pay" all become one term and a Data Scientist PM is a "ds pm" however it's spelled.
Phrases are matched longest first on raw lowercase words (see text.words); a synonym's
key is stemmed at load, so the file holds ordinary words.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


from .text import STOPWORDS, stem, words

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "content" / "vocabulary.yaml"
FILE_NAME = "vocabulary.yaml"

_LISTS = ("question_filler_phrases", "question_filler_words", "question_openers", "polite", "how_much_make",
          "weak_words", "other_roles", "advice_questions", "advice_headings", "context_after_number",
          "named_roles", "count_questions", "whole_list_words", "career_words", "resources", "content_questions",
          "option_words", "alternative_roles", "alternative_asks", "employers", "employer_asks")
_TABLES = ("synonyms", "question_synonyms")
_KNOWN = {*_LISTS, *_TABLES, "chat_spellings"}


@dataclass
class Vocabulary:
    phrases: dict[tuple[str, ...], str]  # raw words -> canonical terms, articles and questions
    query_phrases: dict[tuple[str, ...], str]  # the same plus question-only phrasings ("" = no term)
    chat: dict[str, str]
    filler: frozenset[str]
    openers: frozenset[str]
    polite: frozenset[str]
    how_much_make: frozenset[str]
    weak: frozenset[str]  # canonical terms
    digest: str
    other_roles: tuple[str, ...] = ()  # roles the articles don't cover as careers, as written
    advice_questions: tuple[tuple[str, ...], ...] = ()  # raw words of "should I…" phrasings
    content_questions: tuple[tuple[str, ...], ...] = ()  # "what should I…": asks for content, not advice
    advice_headings: tuple[tuple[str, ...], ...] = ()  # raw words a recommending heading opens with
    context_units: frozenset[str] = frozenset()  # "years" in "6 years": the number before is context
    named_roles: tuple[str, ...] = ()  # roles an answer must name to be about them ("Data Scientist PM")
    count_questions: tuple[tuple[str, ...], ...] = ()  # raw words of "how many…" phrasings
    whole_list_words: frozenset[str] = frozenset()  # "the full checklist": all of a long list
    career_words: frozenset[str] = frozenset()  # terms asking about a role as a career (become, interview, pay)
    resources: frozenset[str] = frozenset()  # terms of things to read or take the articles never recommend
    option_words: frozenset[str] = frozenset()  # terms weighing a role as an option ("a good alternative")
    alternative_roles: tuple[str, ...] = ()  # roles named only as alternatives to the PM tracks, as written
    alternative_asks: frozenset[str] = frozenset()  # terms asking about such a role as a career of its own
    employers: tuple[tuple[str, ...], ...] = ()  # raw words of companies named for one fact only
    employer_asks: tuple[tuple[str, ...], ...] = ()  # raw words asking about being hired or working there
    raw_words: frozenset[str] = frozenset()  # every word the file names
    longest: int = 1


def _canonical(key: str) -> str:
    """A key's terms: each of its words stemmed ("compensation" -> "compens", "ai pm" -> "ai pm")."""
    return " ".join(stem(w) for w in words(key))


def _loader():
    """(yaml, a loader that keeps each key's line for file:line messages), made on the first parse:
    a warm content cache brings the parsed vocabulary, and importing PyYAML is a good part of a
    cold `coach ask`. libyaml parses it 10x faster when present."""
    global _LINES
    import yaml

    if _LINES is None:
        _LINES = type("_Lines", (getattr(yaml, "CSafeLoader", yaml.SafeLoader),), {})
        _LINES.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
    return yaml, _LINES


_LINES = None


def _mapping(loader, node):
    out = {}
    for k, v in node.value:
        key = loader.construct_object(k, deep=True)
        if key in out:  # YAML keeps the last of two equal keys: the first one's phrasings would vanish unseen
            out.setdefault("__repeated__", []).append((key, k.start_mark.line + 1))
        out[key] = loader.construct_object(v, deep=True)
        out.setdefault("__lines__", {})[key] = k.start_mark.line + 1
    return out


_parsed: dict[tuple, tuple[Vocabulary | None, list[str]]] = {}  # (path, mtime, size) -> parse's result


def parse(path: Path) -> tuple[Vocabulary | None, list[str]]:
    """The vocabulary in path, or every problem with it as ``file:line: message`` (read once per version)."""
    try:
        st = path.stat()
    except OSError as exc:
        return None, [f"{_display(path)}:1: cannot read the vocabulary ({exc.strerror})"]
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _parsed:
        _parsed.clear()
        _parsed[key] = _parse(path)
    return _parsed[key]


def parsed_entry(path: Path) -> tuple | None:
    """parse()'s result with the file version it is for, to keep across processes (content.load's cache)."""
    result = parse(path)
    key = next(iter(_parsed), None)
    return (key, result) if key and key[0] == str(path) else None


def adopt(entry: tuple | None) -> None:
    """Take a kept parse() result, if the file is still that version (else the next parse reads the file)."""
    if not entry:
        return
    (name, mtime, size), result = entry
    try:
        st = Path(name).stat()
    except OSError:
        return
    if (st.st_mtime_ns, st.st_size) == (mtime, size) and (name, mtime, size) not in _parsed:
        _parsed.clear()
        _parsed[(name, mtime, size)] = result


def _parse(path: Path) -> tuple[Vocabulary | None, list[str]]:
    name = _display(path)
    yaml, lines_loader = _loader()
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=lines_loader)
    except OSError as exc:
        return None, [f"{name}:1: cannot read the vocabulary ({exc.strerror})"]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [f"{name}:{mark.line + 1 if mark else 1}: not valid YAML ({getattr(exc, 'problem', exc)})"]
    if not isinstance(data, dict):
        return None, [f"{name}:1: the vocabulary must be a mapping of sections ({', '.join(sorted(_KNOWN))})"]
    lines = data.pop("__lines__", {})
    problems: list[str] = [f"{name}:{line}: '{key}' is given twice; put its phrasings in one list"
                           for key, line in data.pop("__repeated__", [])]

    def at(key, where=None) -> str:
        return f"{name}:{(where or lines).get(key, 1)}"

    for key in data:
        if key not in _KNOWN:
            problems.append(f"{at(key)}: unknown section '{key}' (known: {', '.join(sorted(_KNOWN))})")

    def phrase_list(value, where: str, what: str) -> list[str]:
        if not isinstance(value, list) or not value:
            problems.append(f"{where}: {what} must be a non-empty list of words or phrases")
            return []
        good = []
        for item in value:
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str) or not words(item):
                problems.append(f"{where}: {what}: {item!r} is not a word or phrase")
            else:
                good.append(item)
        return good

    tables: dict[str, dict[tuple[str, ...], str]] = {}
    seen: dict[tuple[str, ...], tuple[str, str]] = {}  # phrase -> (key, where), across both tables
    for table in _TABLES:
        value = data.get(table) or {}
        if not isinstance(value, dict):
            problems.append(f"{at(table)}: '{table}' must map a word to the phrasings that mean it")
            continue
        key_lines = value.pop("__lines__", {})
        problems.extend(f"{name}:{line}: '{key}' is given twice in '{table}'; put its phrasings in one list"
                        for key, line in value.pop("__repeated__", []))
        out: dict[tuple[str, ...], str] = {}
        for key, phrases in value.items():
            where = at(key, key_lines)
            skey = str(key) if isinstance(key, (int, float)) and not isinstance(key, bool) else key
            if not isinstance(skey, str) or not words(skey):
                problems.append(f"{where}: {key!r} is not a word or phrase (quote words YAML reads as "
                                f"true/false, like 'yes', 'no', 'on')")
                continue
            canon = _canonical(skey)
            for phrase in phrase_list(phrases, where, f"'{skey}'"):
                ws = tuple(words(phrase))
                other = seen.get(ws)
                if other and other[0] != canon and not (table == "question_synonyms" and other[2] == "synonyms"):
                    problems.append(f"{where}: '{phrase}' already means '{other[1]}' ({other[3]})")
                    continue
                seen.setdefault(ws, (canon, skey, table, where))
                out[ws] = canon
        tables[table] = out

    lists: dict[str, list[str]] = {}
    for key in _LISTS:
        value = data.get(key)
        lists[key] = phrase_list(value, at(key), f"'{key}'") if value is not None else []
    chat = data.get("chat_spellings") or {}
    chat_out: dict[str, str] = {}
    if not isinstance(chat, dict):
        problems.append(f"{at('chat_spellings')}: 'chat_spellings' must map a chat spelling to the words it means")
    else:
        chat_lines = chat.pop("__lines__", {})
        problems.extend(f"{name}:{line}: chat spelling '{key}' is given twice" for key, line in chat.pop("__repeated__", []))
        for short, full in chat.items():
            if not isinstance(short, str) or len(words(short)) != 1 or not isinstance(full, str) or not words(full):
                problems.append(f"{at(short, chat_lines)}: chat spelling {short!r}: {full!r} must be one word "
                                "mapped to words")
            else:
                chat_out[words(short)[0]] = " ".join(words(full))
    if problems:
        return None, problems

    phrases = tables.get("synonyms", {})
    query = {**phrases, **tables.get("question_synonyms", {})}
    for phrase in lists["question_filler_phrases"]:
        query[tuple(words(phrase))] = ""
    weak = frozenset(t for w in lists["weak_words"] for t in _canonical_via(w, phrases))
    raw = set(STOPWORDS)
    for phrase_words in query:
        raw.update(phrase_words)
    for key in ("question_filler_words", "question_openers", "polite"):
        raw.update(w for item in lists[key] for w in words(item))
    flat = lambda key: frozenset(w for item in lists[key] for w in words(item))  # noqa: E731
    vocab = Vocabulary(
        phrases=phrases, query_phrases=query, chat=chat_out, filler=flat("question_filler_words"),
        openers=flat("question_openers"), polite=flat("polite"), how_much_make=flat("how_much_make"),
        weak=weak, other_roles=tuple(lists["other_roles"]),
        advice_questions=tuple(tuple(words(p)) for p in lists["advice_questions"]),
        advice_headings=tuple(tuple(words(p)) for p in lists["advice_headings"]),
        content_questions=tuple(tuple(words(p)) for p in lists["content_questions"]),
        context_units=flat("context_after_number"), named_roles=tuple(lists["named_roles"]),
        count_questions=tuple(tuple(words(p)) for p in lists["count_questions"]),
        whole_list_words=flat("whole_list_words"),
        career_words=frozenset(t for w in lists["career_words"] for t in _canonical_via(w, query)),
        resources=frozenset(t for w in lists["resources"] for t in _canonical_via(w, query)),
        option_words=frozenset(t for w in lists["option_words"] for t in _canonical_via(w, query)),
        alternative_roles=tuple(lists["alternative_roles"]),
        alternative_asks=frozenset(t for w in lists["alternative_asks"] for t in _canonical_via(w, query)),
        employers=tuple(tuple(words(p)) for p in lists["employers"]),
        employer_asks=tuple(tuple(words(p)) for p in lists["employer_asks"]), digest=hashlib.sha256(text.encode()).hexdigest()[:16], raw_words=frozenset(raw),
        longest=max((len(k) for k in query), default=1))
    return vocab, []


def _canonical_via(word: str, phrases: dict[tuple[str, ...], str]) -> list[str]:
    """A weak word's term: what the synonyms make of it, else its stem ("daily" -> the 'daily' term)."""
    ws = tuple(words(word))
    if ws in phrases:
        return phrases[ws].split()
    return [stem(w) for w in ws]


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ------------------------------------------------------------ the active one

_active: Vocabulary | None = None


def path_for(content_root: str | Path | None) -> Path:
    """A content folder's own vocabulary.yaml, else the repo's (a content folder may hold articles only)."""
    if content_root is not None:
        candidate = Path(content_root) / FILE_NAME
        if candidate.is_file():
            return candidate
    return DEFAULT_PATH


def use(content_root: str | Path | None = None) -> Vocabulary:
    """Make the vocabulary of this content folder the one terms() uses (read again only when the file changed)."""
    global _active
    vocab, problems = parse(path_for(content_root))
    if vocab is None:
        raise ValueError("; ".join(problems))
    _active = vocab
    return _active


def current() -> Vocabulary:
    return _active if _active is not None else use(os.environ.get("COACH_CONTENT"))


def terms(text: str, query: bool = False, gaps: bool = False) -> list[str]:
    """Canonical, stemmed terms in order: the unit of matching for the answer index. gaps: a dropped
    word leaves "" in its place, so terms side by side were words side by side ("training data, is
    that on me as a PM" names no "Data PM")."""
    v = current()
    ws = words(text)
    if query:
        ws = [x for w in ws for x in v.chat.get(w, w).split()]
    if query:  # "6 years as a PM", "after 12 to 18 months": the number says who is asking, not what about
        ws = [w for i, w in enumerate(ws) if not (w[0].isdigit() and (
            i + 1 < len(ws) and ws[i + 1] in v.context_units
            or i + 3 < len(ws) and ws[i + 1] in ("to", "or") and ws[i + 2][0].isdigit() and ws[i + 3] in v.context_units))]
    if query and "much" in ws:  # "how much do AI PMs make": make is earn
        ws = ["earn" if w in v.how_much_make else w for w in ws]
    phrases = v.query_phrases if query else v.phrases
    out: list[str] = []
    i = 0
    if query:
        while i < len(ws) and ws[i] in v.polite:
            i += 1
        if i < len(ws) and ws[i] in v.openers:
            i += 1
        else:
            i = 0
    while i < len(ws):
        for n in range(min(v.longest, len(ws) - i), 0, -1):
            canon = phrases.get(tuple(ws[i:i + n]))
            if canon is not None:
                out.extend(canon.split())
                i += n
                break
        else:
            w = ws[i]
            i += 1
            if w in STOPWORDS or (query and w in v.filler):
                if gaps and out and out[-1]:
                    out.append("")
                continue
            out.append(stem(w))
    return out


def vocabulary() -> set[str]:
    """Every raw word the vocabulary knows: a question's word outside it and outside the articles is unknown."""
    return set(current().raw_words)


def weak_terms() -> frozenset[str]:
    return current().weak


def asks_whole_list(question: str) -> bool:
    """"Give me the full checklist", "all the tools": a long list is shown whole."""
    return bool(current().whole_list_words & set(words(question)))


def asks_advice(question: str) -> bool:
    """A "should I… / …for me?" question: it wants a recommendation or conditions."""
    v = current()
    ws = words(question)
    # "what should I prep" asks what to do, not whether: an advice phrase inside a content question's
    # phrase counts only when it goes beyond it ("what should I do")
    # ("or am I stuck" is a filler phrase: the "am I" in it asks nothing either)
    framing = [*v.content_questions, *(p for p, canon in v.query_phrases.items() if canon == "")]
    spans = [(i, i + len(p)) for p in framing for i in range(len(ws)) if tuple(ws[i:i + len(p)]) == p]

    def inside(i: int, n: int) -> bool:  # strictly: "is it worth" framing a question still asks for advice
        return any(a <= i and i + n <= b and b - a > n for a, b in spans)
    return any(tuple(ws[i:i + len(p)]) == p and not inside(i, len(p)) for p in v.advice_questions for i in range(len(ws)))


def advises(heading: str) -> bool:
    """A heading that gives a recommendation or conditions ("When should I target…", "Choose … if…")."""
    ws = tuple(words(heading))
    return any(ws[:len(p)] == p for p in current().advice_headings)
