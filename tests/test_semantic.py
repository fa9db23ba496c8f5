"""The semantic step (bot/semantic.py): questions in words the articles don't use, the shipped
word vectors and their checks, the cache beside the index."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from bot import content, semantic
from bot.text import tokens

# Not one content word of it is in the section that answers it ("shoppers" ~ customers, "bots" ~ AI)
PARAPHRASE = "why do shoppers dislike bots handling their support tickets"
ANSWERING_SECTION = "Strategic Thinking and Customer Empathy in AI Context"


@pytest.fixture
def coach(coach):
    """The shared coach with the semantic step on, whatever COACH_SEMANTIC's default."""
    if coach.index.meaning is None:
        coach.index.meaning = semantic.Meaning(coach.index)
    return coach


def _section(coach, heading):
    return next(s for s in coach.index.sections if s.section == heading)


def test_a_paraphrase_sharing_no_content_word_is_answered_from_the_right_section(coach):
    section = _section(coach, ANSWERING_SECTION)
    said = set(tokens(" ".join([section.section, *(a.text for a in section.atoms)])))
    assert not set(tokens(PARAPHRASE)) & said
    answer = coach.index.ask(PARAPHRASE)
    assert answer.found
    assert answer.sources[0]["section"] == ANSWERING_SECTION
    assert "64% of customers would prefer not to use AI for customer service" in answer.answer


def test_without_the_step_the_same_paraphrase_is_declined(coach):
    coach.index.meaning = None  # what COACH_SEMANTIC=0 does
    answer = coach.index.ask(PARAPHRASE)
    assert not answer.found


def test_the_switch_turns_the_step_on_and_off(monkeypatch, library, tmp_path):
    from bot import storage
    from bot.coach import Coach, migrations
    from bot.config import Config

    def opened():
        db = tmp_path / "switch.db"
        c = Coach(storage.open_db(db, migrations()), library, config=Config(db=str(db)))
        c.db.conn.close()
        return c.index.meaning is not None

    monkeypatch.setenv("COACH_SEMANTIC", "0")
    assert not semantic.enabled() and not opened()
    monkeypatch.setenv("COACH_SEMANTIC", "1")
    assert semantic.enabled() and opened()
    monkeypatch.delenv("COACH_SEMANTIC")
    assert semantic.enabled() is semantic.ON_BY_DEFAULT


@pytest.mark.parametrize("question", [
    "how do i fix a leaky kitchen faucet",  # no near word anywhere
    "what's the best plumbing certification course",  # "plumbing" is near "pipelines", the question is not
    "how do i become a product marketing manager",  # a role the articles don't cover, in their words
    "how do i run a design sprint",
    "which stocks should i buy for retirement",  # "stock" is equity in the articles
])
def test_off_topic_questions_stay_declined(coach, question):
    assert coach.index.meaning is not None
    assert not coach.index.ask(question).found


def test_the_shipped_word_vectors_load_and_match_their_checksum():
    wv = semantic.load(semantic.DEFAULT_PATH)
    n, dims = wv.vectors.shape
    assert 20_000 <= n <= 40_000 and 32 <= dims <= 128
    assert wv.meta["words"] == n and wv.meta["dims"] == dims
    assert "all-MiniLM-L6-v2" in wv.meta["model"]
    assert semantic.DEFAULT_PATH.stat().st_size < 6_000_000  # a few MB in the repo
    # words the articles use and words users type instead are both there
    for word in ("infrastructure", "plumbing", "salary", "paycheck", "accuracy", "correctness"):
        assert word in wv.index
    near = lambda a, b: float(wv.vectors[wv.index[a]] @ wv.vectors[wv.index[b]]  # noqa: E731
                              / np.linalg.norm(wv.vectors[wv.index[a]]) / np.linalg.norm(wv.vectors[wv.index[b]]))
    assert near("salary", "paycheck") > near("salary", "faucet")


def _content_copy(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(content.DEFAULT_ROOT, root)
    return root


def test_content_check_accepts_the_shipped_file(tmp_path):
    root = _content_copy(tmp_path)
    assert semantic.check(root) == []
    library, problems = content.check(root)
    assert problems == [] and library is not None


def test_content_check_reports_damaged_word_vectors(tmp_path):
    root = _content_copy(tmp_path)
    path = root / semantic.FILE_NAME
    with np.load(path) as data:
        arrays = {k: data[k].copy() for k in data.files}
    arrays["vectors"][0, 0] += np.float16(1.0)  # one number changed: the checksum no longer matches
    np.savez(path, **arrays)
    _, problems = content.check(root)
    assert any(p.endswith("checksum mismatch: the arrays are not the ones the build script wrote")
               and semantic.FILE_NAME in p for p in problems)


def test_content_check_reports_a_shape_that_disagrees_with_the_description(tmp_path):
    root = _content_copy(tmp_path)
    path = root / semantic.FILE_NAME
    with np.load(path) as data:
        arrays = {k: data[k].copy() for k in data.files}
    meta = json.loads(arrays["meta"].tobytes())
    meta["dims"] += 1
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(path, **arrays)
    problems = semantic.check(root)
    assert len(problems) == 1 and "doesn't match its arrays" in problems[0]


def test_content_check_reports_a_file_that_is_not_word_vectors(tmp_path):
    root = _content_copy(tmp_path)
    (root / semantic.FILE_NAME).write_bytes(b"not a numpy file")
    problems = semantic.check(root)
    assert len(problems) == 1 and problems[0].startswith(f"{root / semantic.FILE_NAME}:1: not a word-vector file")


def test_section_vectors_are_kept_beside_the_index_and_read_back(coach, tmp_path):
    first = coach.index.ask(PARAPHRASE)
    cache = coach.index.meaning._cache_path()
    assert cache is not None and cache.exists()
    again = semantic.Meaning(coach.index)
    again._ready()
    assert again._vectors.keys == coach.index.meaning._vectors.keys
    assert np.allclose(again._vectors.atoms, coach.index.meaning._vectors.atoms)
    coach.index.meaning = again
    assert coach.index.ask(PARAPHRASE).answer == first.answer


def test_a_cache_made_for_other_word_vectors_is_not_used(coach):
    coach.index.ask(PARAPHRASE)
    cache = coach.index.meaning._cache_path()
    assert semantic.read_cache(cache, "another index:another file:1") is None
