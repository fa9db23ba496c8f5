"""Composing an answer: the 1–3 atoms (sentences, list items, table rows) of a section that answer.

Pure: a section's atoms and the question's term weights in, text out. The tuning values are
named at the top of this file.
"""
from __future__ import annotations

import re

from . import retrieval, synonyms
from .ranking import Unit

MAX_ANSWER_CHARS = 700
SHORT_ANSWER = 400  # below this an answer takes on the sentences after it
MAX_ATOMS = 3  # an answer is at most this many sentences, items or rows
HEADING_DAMPING = 0.2  # the heading's own words say "this section", not "this sentence"
ANAPHOR_CREDIT = 0.5  # "Their output is…" borrows this much of the sentence before it
LEAD_HEADING_BONUS, LEAD_BEST_BONUS = 0.2, 0.25  # the lead sentence wins unless another says more
LEAD_KEEP = 0.5  # the lead sentence joins an answer when it matches this share of the best
SHORT_LEAD_CHARS = 40  # "Not necessarily." is the answer's first word, not all of it
SECOND_GAIN, SECOND_SCORE = 0.25, 0.6  # a second atom joins when it adds this much, or matches this well
LIST_LEAD_IN_PREFERENCE = 1.5  # a sentence introducing a list ("three key roles:") sums it up
HEADING_QUESTION_SHARE = 0.5  # a question sharing this much with a "…?" heading asks that heading's question
HEADING_TOPIC_SHARE = 0.5  # ...with any heading, asks for that section's gist (its lead sentence first)
SHORT_LIST = 6  # a list this long is shown whole when it is the answer
WHOLE_LIST = 12  # ...this long when the question asks for all of it ("the full checklist")
LONG_LIST_SHOWN = 3  # of a longer list, at most this many matching items, then "and N more"
LIST_ITEM_KEEP = 0.5  # ...matching: scoring at least this share of the best item's score
FORCED_FOLLOW_CHARS = 120
# "who puts models into production": a list item labelled with a role ("ML Engineers: Handle
# productization…") names who; it gains this share of the best atom's score
# "how do AI PMs get promoted", answered from a section about two roles: the sentence naming the role asked
# about (and no other) gains this share of the best atom's score ("For AI PMs, progression is tied to…")
ROLE_BONUS = 0.6
WHO_LABEL_BONUS = 0.5  # a unit asked for directly takes on the next sentence when shorter than this


# Debrief anecdotes ("In a Q3 debrief, a candidate…") share a question's words ("candidate",
# "interview") without answering it; the claim they illustrate sits in the sentences around them.
_STORY = re.compile(r"^(in an? |in one |one candidate |during |i recall|i once|i observed|i've seen|when i |at a |the feedback|"
                    r"the hiring (manager|committee)|my (online course|experience|years|firsthand)|[\"“])", re.I)
STORY_FACTOR = 0.5  # an anecdote counts this much unless the question asks for one
# ...unless the question asks what happened ("why did one candidate get…", "an example of…")
ASKS_STORY = re.compile(r"\b(did|was|were|happened|example|story|anecdote|debrief|once)\b", re.I)
ASKS_WHO = re.compile(r"\bwho(?:'s|s)?\b", re.I)
_ANAPHOR = re.compile(r"^(their|they|this|these|those|it|its|such|he|she|his|her)\b", re.I)


def _label_terms(atom) -> frozenset[str]:
    if atom.kind == "sentence" or ":" not in atom.text[:60]:
        return frozenset()
    return retrieval.atom_terms(atom.text.split(":", 1)[0])


def compose(section: Unit, weights: dict[str, float], forced: int | None = None, story: bool = False,
            lead_first: bool = False, whole_list: bool = False, who: bool = False,
            role: tuple[str, ...] = (), other_roles: tuple[tuple[str, ...], ...] = ()) -> str:
    """The 1–3 atoms of a section that best answer: the best match, the lead sentence when it
    also matches (these articles answer first), a list's lead-in when the match is an item."""
    atoms = list(section.atoms)
    if not atoms:
        return ""
    # the heading's own words say "this section", not "this sentence"
    heading = set(section.phrasings[0]) if section.phrasings else set()
    in_heading = sum(w for t, w in weights.items() if t in heading)
    undamped = weights
    weights = {t: w * (HEADING_DAMPING if t in heading else 1.0) for t, w in weights.items()}
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
            score += ANAPHOR_CREDIT * sum(w for t, w in weights.items() if t in before)
        label = _label_terms(a)
        if label and label <= weights.keys():
            score += sum(undamped[t] for t in label)  # "Precision: …" when precision is asked about
        if stories[a.block] or _STORY.match(a.text):
            score *= 1 if story else STORY_FACTOR
        scores.append(score)
    named: list[bool | None] = [None] * len(atoms)
    if role:
        named = [_names_only(a.text, role, other_roles) for a in atoms]
        # "Their output is…" names whom the sentence before it names
        named = [n if n is not None or not (i and _ANAPHOR.match(a.text) and atoms[i - 1].block == a.block)
                 else named[i - 1] for i, (n, a) in enumerate(zip(named, atoms))]
        if any(n is False for n in named):  # the section names other roles too: the one asked about tells
            top = max(scores)
            scores = [sc + ROLE_BONUS * top if n and sc else sc for sc, n in zip(scores, named)]
    if who:
        top = max(scores)
        scores = [sc + WHO_LABEL_BONUS * top if sc and a.kind != "sentence" and _label_terms(a) else sc
                  for sc, a in zip(scores, atoms)]
    # the lead wins unless another atom holds words the heading doesn't explain
    # (a list or table has no lead: its first item is one of many)
    lead_bonus = (LEAD_HEADING_BONUS * in_heading + LEAD_BEST_BONUS * max(scores)) \
        if atoms[0].kind == "sentence" and named[0] is not False else 0.0  # a lead about other roles too: no bonus
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
    # ...and so does one whose heading says most of the question ("accuracy vs cost tradeoff" of "Balancing
    # Accuracy vs Cost…"): these articles state the gist first
    # (not when the answer is a list: "three key roles:" and its items hold the fact)
    names_heading = atoms[0].kind == "sentence" and atoms[best].kind == "sentence" and not atoms[best].text.endswith(":") \
        and in_heading >= HEADING_TOPIC_SHARE * (sum(undamped.values()) or 1.0)
    if best > 0 and (section.section.endswith("?") or lead_first or names_heading
                     or scores[0] > 0 and scores[0] >= LEAD_KEEP * scores[best]):
        picks.append(0)
    if 0 in picks and len(atoms[0].text) < SHORT_LEAD_CHARS and len(atoms) > 1 and atoms[1].block == atoms[0].block:
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
                                            round(scores[i] * (LIST_LEAD_IN_PREFERENCE if atoms[i].text.endswith(":") else 1), 6), -i))
        if scores[second] > 0 and (gain[second] >= SECOND_GAIN * scores[best] or scores[second] >= SECOND_SCORE * scores[best]):
            picks += [second, context(second)]
    picks = list(dict.fromkeys(i for i in picks if i is not None))
    last = max(picks[:MAX_ATOMS])
    if atoms[last].text.endswith(":"):
        picks += list(range(last + 1, min(len(atoms), last + 3)))
    elif forced is None:
        # a short answer reads better with what follows it in the same paragraph
        nxt = best + 1
        while len(dict.fromkeys(picks)) < MAX_ATOMS and nxt < len(atoms) and atoms[nxt].block == atoms[best].block \
                and sum(len(atoms[i].text) for i in dict.fromkeys(picks)) + len(atoms[nxt].text) <= SHORT_ANSWER:
            picks.append(nxt)
            nxt += 1
    elif len(picks) == 1 and len(atoms[best].text) < FORCED_FOLLOW_CHARS and best + 1 < len(atoms) \
            and atoms[best + 1].block == atoms[best].block and atoms[best].kind == "sentence":
        picks.append(best + 1)
    if forced is None and len(atoms) <= MAX_ATOMS and sum(len(a.text) for a in atoms) <= MAX_ANSWER_CHARS:
        picks = list(range(len(atoms)))  # a section this short is its own best answer
    shown, size = [], 0
    for i in dict.fromkeys(picks):
        if len(shown) == MAX_ATOMS or (shown and size + len(atoms[i].text) > MAX_ANSWER_CHARS):
            break
        shown.append(i)
        size += len(atoms[i].text)
    if forced is None:
        shown = _with_sibling_lists(shown, atoms, weights)
        shown, more = _with_lists(shown, atoms, scores, WHOLE_LIST if whole_list else SHORT_LIST)
    else:
        more = {}
    head = [i for i in (context(best), best) if i is not None and i in shown]
    if head and _STORY.match(atoms[best].text) and best + 1 in shown:
        head.append(best + 1)
    # the sentence holding the fact comes first; what else is shown follows in reading order
    if atoms[best].kind != "sentence":
        head = [i for i in head if atoms[i].kind == "sentence"]  # a list reads in its own order
    # lead_first: an advice question answered by a section that advises ("When should I…") — its
    # first sentence states the recommendation or the conditions
    asks_heading = lead_first or in_heading >= HEADING_QUESTION_SHARE * (sum(undamped.values()) or 1.0)
    # ...but a question about one role gets that role's sentence before a lead about several ("Both AI PM
    # and Data Scientist PM roles offer…" is no answer to "what gets a DS PM promoted")
    role_first = bool(named[best]) and named[0] is False
    if (section.section.endswith("?") and asks_heading or names_heading) and 0 in shown and not role_first:
        # a question its heading asks is answered by the first sentence ("Not necessarily. …")
        lead = [0, 1] if len(atoms[0].text) < SHORT_LEAD_CHARS and 1 in shown else [0]
        head = lead + [i for i in head if i not in lead]
    if 0 in shown and 0 not in head and _STORY.match(atoms[best].text) and not _STORY.match(atoms[0].text) \
            and atoms[0].kind == "sentence":
        head = [0] + head  # an anecdote illustrates the claim the section opens with: the claim comes first
    order = head + sorted(i for i in shown if i not in head)
    return _render(atoms, order, more)


def _names_only(text: str, role: tuple[str, ...], others: tuple[tuple[str, ...], ...]) -> bool | None:
    """True when the text names the role (as terms) and no other; False when it names another; None: none."""
    ts = synonyms.terms(text)
    runs = lambda p: any(tuple(ts[i:i + len(p)]) == p for i in range(len(ts) - len(p) + 1))  # noqa: E731
    if any(runs(o) for o in others if o != role):
        return False
    return True if runs(role) else None


def _list_items(atoms: list, lead_in: int) -> list[int]:
    """The items or rows a lead-in sentence ("Rule-based systems work best when:") introduces."""
    first = lead_in + 1
    if first >= len(atoms) or atoms[first].kind == "sentence":
        return []
    out = [first]
    while out[-1] + 1 < len(atoms) and atoms[out[-1] + 1].block == atoms[first].block \
            and atoms[out[-1] + 1].kind != "sentence":
        out.append(out[-1] + 1)
    return out


def _with_sibling_lists(shown: list[int], atoms: list, weights: dict[str, float]) -> list[int]:
    """"When rules, when ML": a shown list's sibling lists in the section come along when their
    lead-in names something the question asks about, so neither side of the contrast is dropped."""
    lead_ins = [i for i, a in enumerate(atoms) if a.text.endswith(":") and _list_items(atoms, i)]
    if not any(i in shown or any(j in shown for j in _list_items(atoms, i)) for i in lead_ins):
        return shown
    extra = [i for i in lead_ins if i not in shown and retrieval.atom_terms(atoms[i].text) & weights.keys()
             and len(_list_items(atoms, i)) <= SHORT_LIST]
    return shown + extra


def _with_lists(shown: list[int], atoms: list, scores: list[float], short: int) -> tuple[list[int], dict[int, int]]:
    """A list answer is its lead-in and the items asked for: all of a short list (up to `short` items),
    the matching ones of a long one (with how many more there are). Returns the atoms and {last shown item: n more}."""
    out, more = list(shown), {}
    lists: dict[int, tuple[int | None, list[int]]] = {}  # block -> (lead-in, items)
    for i in shown:
        if atoms[i].text.endswith(":") and _list_items(atoms, i):
            items = _list_items(atoms, i)
            lists[atoms[items[0]].block] = (i, items)
        elif atoms[i].kind != "sentence" and atoms[i].block not in lists:
            block = [j for j in range(len(atoms)) if atoms[j].block == atoms[i].block and atoms[j].kind != "sentence"]
            lead = block[0] - 1 if block[0] > 0 and atoms[block[0] - 1].text.endswith(":") else None
            lists[atoms[i].block] = (lead, block)
    for lead, items in lists.values():
        if len(items) <= short:
            chosen = items
        else:
            top = max(scores[i] for i in items)
            matching = sorted((i for i in items if scores[i] > 0 and scores[i] >= LIST_ITEM_KEEP * top),
                              key=lambda i: -scores[i])[:LONG_LIST_SHOWN]
            chosen = sorted(set(matching) | {i for i in items if i in shown}) or items[:LONG_LIST_SHOWN]
            if len(chosen) < len(items):
                more[chosen[-1]] = len(items) - len(chosen)
        out += ([lead] if lead is not None else []) + [i for i in chosen if i not in out]
    return list(dict.fromkeys(out)), more


def _render(atoms: list, order: list[int], more: dict[int, int]) -> str:
    out = [atoms[i] for i in order]
    if all(a.kind == "sentence" for a in out):
        return " ".join(a.text for a in out)
    lines = []
    for i in order:
        a = atoms[i]
        lines.append(a.text if a.kind == "sentence" else f"- {a.text}")
        if i in more:
            lines.append(f"- …and {more[i]} more (More shows the whole list)")
    return "\n".join(lines)
