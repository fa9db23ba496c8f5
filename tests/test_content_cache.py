"""The parsed library cached beside the database: reused while the content is unchanged, never stale."""
from __future__ import annotations

import shutil

import pytest

from bot import content


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(content.DEFAULT_ROOT, root)
    return root


def test_a_second_load_reads_the_cache_and_gives_the_same_library(root, tmp_path, monkeypatch):
    cache = tmp_path / "coach.db.content.pickle"
    first = content.load(root, cache=cache)
    assert cache.is_file()
    monkeypatch.setattr(content, "check", lambda *a, **k: pytest.fail("content parsed again"))
    second = content.load(root, cache=cache)
    assert second == first and second.digest == first.digest


def test_changing_any_content_file_misses_the_cache(root, tmp_path):
    cache = tmp_path / "coach.db.content.pickle"
    before = content.load(root, cache=cache)
    drill_file = sorted((root / "drills").glob("*.yaml"))[0]
    drill_file.write_text(drill_file.read_text(encoding="utf-8").replace("prompt:", "prompt: Now", 1), encoding="utf-8")
    after = content.load(root, cache=cache)
    assert after.digest != before.digest
    assert any(d.prompt.startswith("Now") for d in after.drills.values())


def test_broken_content_is_reported_even_with_a_cache(root, tmp_path):
    cache = tmp_path / "coach.db.content.pickle"
    content.load(root, cache=cache)
    (root / "vocabulary.yaml").write_text("- not a mapping\n", encoding="utf-8")
    with pytest.raises(content.ContentError):
        content.load(root, cache=cache)


def test_an_unusable_cache_file_or_folder_only_costs_speed(root, tmp_path):
    damaged = tmp_path / "coach.db.content.pickle"
    damaged.write_bytes(b"not a pickle")
    assert content.load(root, cache=damaged).drills
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert content.load(root, cache=blocker / "coach.db.content.pickle").drills


def test_the_vocabulary_comes_from_the_cache_too_until_its_file_changes(root, tmp_path, monkeypatch):
    from bot import synonyms

    cache = tmp_path / "coach.db.content.pickle"
    content.load(root, cache=cache)
    vocab_path = synonyms.path_for(root)
    expected = synonyms.parse(vocab_path)[0]
    monkeypatch.setattr(synonyms, "_parsed", {})  # as in a fresh process
    real_parse = synonyms._parse
    monkeypatch.setattr(synonyms, "_parse", lambda path: pytest.fail("vocabulary parsed again"))
    content.load(root, cache=cache)
    assert synonyms.parse(vocab_path)[0] == expected
    monkeypatch.setattr(synonyms, "_parse", real_parse)
    vocab_path.write_text(vocab_path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    monkeypatch.setattr(synonyms, "_parsed", {})
    content.load(root, cache=cache)
    assert synonyms.parse(vocab_path)[0].digest != expected.digest
