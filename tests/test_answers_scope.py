"""Honest declines: a term the articles only name, a role they don't cover."""
from __future__ import annotations

import pytest

from bot import scope


@pytest.mark.parametrize("question, subject", [
    ("what is prompt engineering", "prompt engineering"), ("whats a feature store?", "feature store"),
    ("explain how a transformer model works", "transformer model"), ("what does MLOps mean", "mlops"),
    ("how does the career leverage matrix work", "career leverage matrix"),
    ("what is a traditional pm accountable for", None), ("how many rounds are ai pm interviews", None),
    ("what is LangSmith used for", "langsmith"), ("what does Figma do", "figma"),
    ("how do i do a power analysis", "power analysis"),
])
def test_definition_questions_name_their_subject(question, subject):
    assert scope.definition_subject(question) == subject


@pytest.mark.parametrize("question, where", [
    ("what is prompt engineering", "Head-to-head comparison"),  # a table cell lists it
    ("what is a feature store", "How do interview processes differ"),  # an anecdote names it
    ("explain how a transformer model works", "Mistakes to Avoid"),
    ("what is data leakage in machine learning", "What technical skills are mandatory for an AI PM"),  # the field
    ("what is an roc curve", "What technical skills are mandatory for an AI PM"),  # "knowing what X is;" isn't a definition
    ("what is sequential a/b testing", "What technical skills are mandatory for a Data Scientist PM"),  # "a/b" is a word
    ("how do i do a power analysis", "What technical skills are mandatory for a Data Scientist PM"),
])
def test_a_term_the_articles_only_name_is_declined_saying_where(coach, question, where):
    answer = coach.index.ask(question)
    assert not answer.found
    assert answer.note.startswith("The articles mention ") and "only in passing" in answer.note
    assert where in answer.note and "they don't explain it" in answer.note


@pytest.mark.parametrize("question", ["whats recall", "what is an F1 score", "what is the career leverage matrix",
                                      "what does a data engineer do on an ai team", "what is mixpanel good for",
                                      "what does a ds pm do"])
def test_a_term_the_articles_explain_is_answered(coach, question):
    assert coach.index.ask(question).found


@pytest.mark.parametrize("question", ["technical program manager interview questions",
                                      "product marketing manager vs product manager",
                                      "how to become an engineering manager", "how do I become a solutions engineer"])
def test_a_role_the_articles_do_not_cover_is_declined_even_when_its_words_appear(coach, question):
    answer = coach.index.ask(question)
    assert not answer.found


def test_a_role_as_the_askers_background_is_context_not_the_subject(coach):
    answer = coach.index.ask("should i become an ai pm if im a software engineer")
    assert answer.found and "Engineers or data scientists" in answer.answer
    # and a role the articles explain (an item label) is answered
    assert coach.index.ask("what do ML engineers do on an ai product team").found


def test_the_decline_reply_carries_the_reason(say):
    reply = say("what is prompt engineering")[0]
    assert reply.kind == "decline" and "only in passing" in reply.text


def test_a_question_about_one_role_is_not_answered_from_a_place_about_others(coach):
    answer = coach.index.ask("ds pm equity percentage")  # equity figures exist for AI PM and traditional PM only
    assert not answer.found and "Data Scientist PM" in answer.note
    assert coach.index.ask("ai pm equity %").found
    assert coach.index.ask("do ai pms or ds pms get paid more").found  # a place naming both answers
    # an alternative role the articles only list is not answered with the AI PM's day
    answer = coach.index.ask("what does a Data Product Owner do day to day")
    assert not answer.found and "Data Product Owner" in answer.note
    assert coach.index.ask("is platform pm or ai strategy lead a good alternative to ai pm").found


def test_a_how_many_question_needs_a_number_in_its_answer(coach):
    assert not coach.index.ask("how many interview rounds does a ds pm loop have").found
    assert not coach.index.ask("how long is the ds pm interview process").found
    assert "4‑6 week" in coach.index.ask("how long does the ai pm hiring process take").answer
    answer = coach.index.ask("how many interview rounds for ai pm")
    assert answer.found and "five" in answer.answer


def test_early_career_is_what_the_question_is_about(coach):
    answer = coach.index.ask("I'm early career, should I start as traditional PM?")
    assert answer.found and "PMs early in their career" in answer.answer
