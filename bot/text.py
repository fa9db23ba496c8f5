"""Words for matching: lowercase, stopwords out, Porter-stemmed.

Pure and dependency-free so both the answer index and drill grading can share one
notion of "the same word" (``tokens("Interviewing PMs")`` == ``tokens("interview pm")``).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Question scaffolding and function words: they say nothing about the topic.
STOPWORDS = frozenset("""
a about above after again against all also am an and any are aren as at be because been before being below
between both but by can cannot could couldn did didn do does doesn doing don down during each else ever every
few for from further get gets getting got had hadn has hasn have haven having he her here hers herself him
himself his how i if in into is isn it its itself just let lets like ll me mightn more most much must mustn my
myself need needn needs no nor now of off on once one only or other ought our ours ourselves out over please
re really s same shall shan she should shouldn so some still such t tell than that the their theirs them
themselves then there these they this those through thus to too under until up upon us ve very via want wants
was wasn we were weren what whats when where whether which while who whom whose why will with won would
wouldn y yes yet you your yours yourself yourselves d m o e g ie eg etc vs versus thing things kind
""".split())

_WORD = re.compile(r"[a-z0-9]+(?:,[0-9]{3})*")
_AB = re.compile(r"\ba\s*/\s*b\b")
_US = re.compile(r"\bU\.?S\.?A?\b\.?")


def normalize(text: str) -> str:
    """NFKC, lowercase, one apostrophe: the form every later step assumes."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return text.replace("\u2019", "'").replace("\u2018", "'")


def words(text: str) -> list[str]:
    """Lowercase words and numbers, before stopwords and stemming ("a/b" stays one word,
    "US" the country is not "us")."""
    text = _AB.sub(" abtest ", normalize(_US.sub(" usa ", text or "")))
    text = re.sub(r"'s\b|'", " ", text)
    out = []
    for w in _WORD.findall(text):
        if w[0].isdigit():
            w = w.replace(",", "")  # "$500,000" and "500000" are the same number
        out.append(w)
    return out


def tokens(text: str) -> list[str]:
    """Lowercase, stemmed, stopword-free tokens in text order (duplicates kept)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


# --------------------------------------------------------------- Porter stemmer
# M. F. Porter, "An algorithm for suffix stripping" (1980), the original algorithm.

_VOWELS = frozenset("aeiou")


def _cons(w: str, i: int) -> bool:
    c = w[i]
    if c in _VOWELS:
        return False
    if c != "y":
        return True
    # "y" is a consonant at the start or after a vowel, so along a run of y's it alternates
    # (worked out without recursion: "yyyy…" from a user must not exhaust the stack)
    j = i
    while j > 0 and w[j - 1] == "y":
        j -= 1
    first = j == 0 or w[j - 1] in _VOWELS
    return first if (i - j) % 2 == 0 else not first


def _m(stem_: str) -> int:
    """The measure: the number of vowel-consonant sequences."""
    n, i, L = 0, 0, len(stem_)
    while i < L and _cons(stem_, i):
        i += 1
    while i < L:
        while i < L and not _cons(stem_, i):
            i += 1
        if i >= L:
            break
        n += 1
        while i < L and _cons(stem_, i):
            i += 1
    return n


def _has_vowel(stem_: str) -> bool:
    return any(not _cons(stem_, i) for i in range(len(stem_)))


def _double_cons(w: str) -> bool:
    return len(w) >= 2 and w[-1] == w[-2] and _cons(w, len(w) - 1)


def _cvc(w: str) -> bool:
    if len(w) < 3:
        return False
    return (_cons(w, len(w) - 3) and not _cons(w, len(w) - 2) and _cons(w, len(w) - 1)
            and w[-1] not in "wxy")


def _replace(w: str, rules, min_m: int) -> str:
    for suffix, repl in rules:
        if w.endswith(suffix):
            base = w[: len(w) - len(suffix)]
            return base + repl if _m(base) > min_m else w
    return w


_STEP2 = [("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"),
          ("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"),
          ("ization", "ize"), ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"),
          ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"),
          ("logi", "log")]
_STEP3 = [("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""),
          ("ness", "")]
_STEP4 = ["al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou",
          "ism", "ate", "iti", "ous", "ive", "ize"]


@lru_cache(maxsize=65536)
def stem(w: str) -> str:
    if len(w) <= 2 or len(w) > 40 or not w.isalpha():
        return w
    # step 1a
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("ies"):
        w = w[:-2]
    elif w.endswith("ss"):
        pass
    elif w.endswith("s"):
        w = w[:-1]
    # step 1b
    extra = False
    if w.endswith("eed"):
        if _m(w[:-3]) > 0:
            w = w[:-1]
    elif w.endswith("ed") and _has_vowel(w[:-2]):
        w, extra = w[:-2], True
    elif w.endswith("ing") and _has_vowel(w[:-3]):
        w, extra = w[:-3], True
    if extra:
        if w.endswith(("at", "bl", "iz")):
            w += "e"
        elif _double_cons(w) and w[-1] not in "lsz":
            w = w[:-1]
        elif _m(w) == 1 and _cvc(w):
            w += "e"
    # step 1c
    if w.endswith("y") and _has_vowel(w[:-1]):
        w = w[:-1] + "i"
    # steps 2-3
    w = _replace(w, _STEP2, 0)
    w = _replace(w, _STEP3, 0)
    # step 4
    for suffix in _STEP4:
        if w.endswith(suffix):
            base = w[: len(w) - len(suffix)]
            if _m(base) > 1 and (suffix != "ion" or base.endswith(("s", "t"))):
                w = base
            break
    # step 5
    if w.endswith("e"):
        base = w[:-1]
        if _m(base) > 1 or (_m(base) == 1 and not _cvc(base)):
            w = base
    if _m(w) > 1 and _double_cons(w) and w.endswith("l"):
        w = w[:-1]
    return w
