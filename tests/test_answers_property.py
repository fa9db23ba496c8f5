"""Any text gets an answer or a decline, never an exception: through AnswerIndex.ask and Coach.handle."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.coach import open_coach
from bot.config import Config
from bot.messages import Request

FTS_SYNTAX = ['"', "'", "AND", "OR", "NOT", "NEAR", "NEAR(", ")", "(", "*", "^", "-", ":", "+", "{", "}",
              "head:", "body:", "answer_fts", "'); DROP TABLE answer_units; --", "%", "_", "\\", "\x00", "\x1b",
              "\u200b", "\ufeff", "🤖", "👍🏽", "ﬁ", "İ", "ß", "中文", "ai", "pm", "salary", "ds pm", "a/b"]

pieces = st.one_of(st.sampled_from(FTS_SYNTAX), st.text(max_size=12))
questions = st.one_of(
    st.text(),
    st.lists(pieces, max_size=25).map(" ".join),
    st.lists(pieces, max_size=8).map("".join),
    st.builds(lambda s, n: (s or "x") * n, st.text(max_size=5), st.integers(1, 10_000)).map(lambda s: s[:10_000]),
)


@pytest.fixture(scope="module")
def shared_coach(tmp_path_factory):
    path = tmp_path_factory.mktemp("prop") / "coach.db"
    coach = open_coach(path, config=Config(db=str(path)))
    yield coach
    coach.db.conn.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=questions)
def test_index_answers_or_declines_any_text(shared_coach, q):
    answer = shared_coach.index.ask(q)
    assert answer.found in (True, False)
    if answer.found:
        assert answer.answer and answer.citation
    else:
        assert answer.answer is None
    assert set(answer.to_json()) == {"question", "found", "answer", "sources", "score"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=questions, command=st.sampled_from(["", "ask ", "/coach ask ", "more ", "topics "]))
def test_coach_replies_to_any_text(shared_coach, q, command):
    replies = shared_coach.handle(Request("console", "T1", "dm-alice", "alice", text=command + q, is_dm=True))
    assert replies
    # the one deliberate refusal: a lone choice letter ("A") with no drill open says so (practice)
    assert all(r.kind != "error" or "no drill open" in r.text for r in replies), [r.text for r in replies]


@pytest.mark.parametrize("q", ["", '"', "NEAR(", "*", "^ai", "-pm", "body:salary", 'a" OR "b', "x" * 10_000,
                               "salary " * 2000, "\x00\x01", "🤖🤖", "AND OR NOT", "y" * 5000, "yay" * 3000])
def test_known_awkward_inputs(shared_coach, q):
    assert shared_coach.index.ask(q).found in (True, False)
    assert shared_coach.handle(Request("console", "T1", "dm-alice", "alice", text=q, is_dm=True))
