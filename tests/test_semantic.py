"""The semantic step (bot/semantic.py): questions in words the articles don't use, the shipped
encoder file and its checks, the cache beside the index."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from bot import content, encoder, semantic

# Lexical retrieval declines it: "regulations", "personal data", "stockpile" are not how the section says it
RESCUED = "which regulations limit what personal data an ml app may stockpile"
RESCUING_SECTION = "Privacy and Data Regulations in AI Product Management"
# Lexical retrieval answers from the wrong section ("weeks", "process" match elsewhere); meaning puts the
# timeline first
RERANKED = "how many weeks does a normal pm interview process last"
RERANKED_SECTION = "What is the typical interview timeline for an AI PM role?"
PARAPHRASE = RESCUED


@pytest.fixture
def coach(coach):
    """The shared coach with the semantic step on, whatever COACH_SEMANTIC's default."""
    if coach.index.meaning is None:
        coach.index.meaning = semantic.Meaning(coach.index)
    return coach


def test_a_paraphrase_lexical_retrieval_declines_is_answered_from_the_nearest_section(coach):
    answer = coach.index.ask(RESCUED)
    assert answer.found
    assert answer.sources[0]["section"] == RESCUING_SECTION
    assert "GDPR and CCPA" in answer.answer


def test_without_the_step_the_same_paraphrase_is_declined(coach):
    coach.index.meaning = None  # what COACH_SEMANTIC=0 does
    assert not coach.index.ask(RESCUED).found


def test_meaning_reranks_the_lexical_candidates(coach):
    on = coach.index.ask(RERANKED)
    assert on.found and on.sources[0]["section"] == RERANKED_SECTION
    assert "4‑6 week process" in on.answer
    coach.index.meaning = None
    off = coach.index.ask(RERANKED)
    assert off.sources[0]["section"] != RERANKED_SECTION  # what the term changes


def test_a_near_section_without_a_clear_lead_is_no_rescue(coach, monkeypatch):
    """The rescue needs the nearest section RESCUE_MARGIN ahead of the next: with a margin no section
    clears, the question is declined as before."""
    monkeypatch.setattr(semantic, "RESCUE_MARGIN", 1.0)
    assert not coach.index.ask(RESCUED).found


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
    # near-misses: a term the articles only name, a place or a role they don't cover, in their words
    "how is a roc curve plotted",  # one section far nearer than any other: a mention, not an explanation
    "what does an ai pm earn in berlin",
    "how much do platform pms make",
    "which online course is best for becoming an ai pm",
])
def test_off_topic_questions_stay_declined(coach, question):
    assert coach.index.meaning is not None
    assert not coach.index.ask(question).found


def _content_copy(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(content.DEFAULT_ROOT, root)
    return root


def test_content_check_accepts_the_shipped_file(tmp_path):
    root = _content_copy(tmp_path)
    assert semantic.check(root) == []
    library, problems = content.check(root)
    assert problems == [] and library is not None


def test_content_check_reports_a_damaged_encoder(tmp_path):
    root = _content_copy(tmp_path)
    path = root / encoder.FILE_NAME
    with np.load(path) as data:
        arrays = {k: data[k].copy() for k in data.files}
    arrays["packed_float32"][0] *= 2  # one scale changed: the checksum no longer matches
    np.savez(path, **arrays)
    _, problems = content.check(root)
    assert any(p.endswith("checksum mismatch: the arrays are not the ones tools/build_encoder.py wrote")
               and encoder.FILE_NAME in p for p in problems)


def test_content_check_reports_a_file_that_is_not_an_encoder(tmp_path):
    root = _content_copy(tmp_path)
    (root / encoder.FILE_NAME).write_bytes(b"not a numpy file")
    problems = semantic.check(root)
    assert len(problems) == 1 and problems[0].startswith(f"{root / encoder.FILE_NAME}:1: not an encoder file")


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


def test_a_cache_made_for_another_index_or_encoder_is_not_used(coach):
    coach.index.ask(PARAPHRASE)
    cache = coach.index.meaning._cache_path()
    assert semantic.read_cache(cache, "another index:another file:1") is None


def test_threads_asking_at_once_build_the_librarys_vectors_once(coach, monkeypatch):
    import threading

    made = []
    real = semantic.library_vectors

    def counted(*args, **kw):
        made.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(semantic, "library_vectors", counted)
    monkeypatch.setattr(semantic.Meaning, "_cache_path", lambda self: None)  # nothing to read back
    coach.index.meaning = semantic.Meaning(coach.index)
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(coach.index.ask(RERANKED).answer)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1
    assert len(answers) == 4 and len(set(answers)) == 1


def test_an_encoder_file_gone_bad_after_the_check_leaves_answers_lexical(coach, monkeypatch, tmp_path, caplog):
    bad = tmp_path / "encoder.npz"
    bad.write_bytes(b"truncated")
    monkeypatch.setattr(semantic.encoder, "path_for", lambda root: bad)
    monkeypatch.setattr(semantic.Meaning, "_cache_path", lambda self: None)
    coach.index.meaning = semantic.Meaning(coach.index)
    with caplog.at_level("WARNING", logger="bot.semantic"):
        on = coach.index.ask(RERANKED)
        again = coach.index.ask(RERANKED)
    coach.index.meaning = None
    off = coach.index.ask(RERANKED)
    assert on.answer == again.answer == off.answer  # no traceback: the answer lexical retrieval gives
    assert sum("semantic step off: not an encoder file" in r.getMessage() for r in caplog.records) == 1  # once


def test_content_check_reports_a_missing_encoder_while_the_step_is_on(tmp_path, monkeypatch):
    root = _content_copy(tmp_path)
    (root / encoder.FILE_NAME).unlink()
    monkeypatch.setattr(encoder, "DEFAULT_PATH", tmp_path / "gone.npz")
    monkeypatch.setenv("COACH_SEMANTIC", "1")
    [problem] = semantic.check(root)
    assert "encoder is missing" in problem and "COACH_SEMANTIC=0" in problem
    monkeypatch.setenv("COACH_SEMANTIC", "0")
    assert semantic.check(root) == []


def test_a_fresh_machine_reads_the_shipped_library_vectors_instead_of_embedding_them(coach, tmp_path, monkeypatch):
    """content/sentence_vectors.npz (tools/build_sentence_vectors.py) spares a fresh machine's first ask
    the ~15 s of embedding the library; only a text edited since is embedded. Fails when the content
    changed much without the file being rebuilt: run the tool."""
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "fresh-machine"))
    monkeypatch.setattr(semantic, "_remembered", {})
    monkeypatch.setattr(semantic, "_remembered_for", [""])
    monkeypatch.setattr(semantic.Meaning, "_cache_path", lambda self: None)  # no index cache either
    model = encoder.load(encoder.path_for(coach.index.library.root))
    embedded: list[str] = []
    real = type(model).embed
    monkeypatch.setattr(type(model), "embed", lambda self, texts: embedded.extend(texts) or real(self, texts))
    meaning = semantic.Meaning(coach.index)
    assert meaning._ready()
    texts = set(meaning.texts())
    assert len(embedded) <= 0.02 * len(texts), f"{len(embedded)} of {len(texts)} library texts embedded: " \
        "rebuild content/sentence_vectors.npz with tools/build_sentence_vectors.py"
    coach.index.meaning = meaning
    assert coach.index.ask(RESCUED).found

    # a text the shipped file doesn't have (an edit) is embedded, alone, and agrees with the shipped ones
    embedded.clear()
    seed = semantic.seed_path(encoder.path_for(coach.index.library.root))
    known = next(iter(texts))
    vectors = semantic._embed_remembered(model, [known, "A sentence no article has."], seed)
    assert embedded == ["A sentence no article has."]
    assert float(vectors[0] @ real(model, [known])[0]) > 0.999
