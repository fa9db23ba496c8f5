"""Words for matching: lowercase, stopwords out, Porter-stemmed (snowballstemmer).

Pure, so both the answer index and drill grading can share one
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


# ------------------------------------------------------------------- stemming
# Snowball's "porter" (Porter 1980 as published by its author), shared by the answer index and
# grading. Words of one or two letters ("ds", "us", "vs") and numbers are kept as typed: the
# stemmer would turn "ds" into "d" and "us" into "u".
# PyStemmer is the same Snowball code compiled to C and imports in a few ms; the pure-Python
# package (the fallback) loads all of its ~30 languages on import, a tenth of a cold `coach ask`.
try:
    from Stemmer import Stemmer as _Stemmer
except ImportError:  # pragma: no cover - PyStemmer is a dependency; the stems are identical
    from snowballstemmer.porter_stemmer import PorterStemmer as _PorterStemmer

    _STEMMER = _PorterStemmer()
else:
    _STEMMER = _Stemmer("porter")


@lru_cache(maxsize=65536)
def stem(w: str) -> str:
    if len(w) <= 2 or len(w) > 40 or not w.isalpha():
        return w
    return _STEMMER.stemWord(w)
