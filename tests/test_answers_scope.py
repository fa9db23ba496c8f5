"""Honest declines: a term the articles only name, a role they don't cover."""
from __future__ import annotations

import pytest

from bot import scope


def assert_answered(coach, question: str, fact: str) -> None:
    answer = coach.index.ask(question)
    assert answer.found and fact in answer.answer, (question, answer.note)


def assert_declined(coach, question: str, why: str) -> None:
    """Declined, and the note says ``why``."""
    answer = coach.index.ask(question)
    assert not answer.found and why in answer.note, (question, answer.note)


@pytest.mark.parametrize("question, subject", [
    ("what is prompt engineering", "prompt engineering"), ("whats a feature store?", "feature store"),
    ("explain how a transformer model works", "transformer model"), ("what does MLOps mean", "mlops"),
    ("how does the career leverage matrix work", "career leverage matrix"),
    ("what is a traditional pm accountable for", None), ("how many rounds are ai pm interviews", None),
    ("what is LangSmith used for", "langsmith"), ("what does Figma do", "figma"),
    ("how do i do a power analysis", "power analysis"),
    ("what is a data flywheel and how do I build one", "data flywheel"),
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
                                      "how to become an engineering manager", "how do I become a solutions engineer",
                                      "what salary does a data product owner make"])  # a PM-ish role, no PM asked about
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
    assert not answer.found and "data product owner" in answer.note.lower()
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


def test_a_short_subject_the_articles_never_use_together_is_declined(coach):
    answer = coach.index.ask("what is the CCPA opt-out requirement")  # CCPA is named; opt-outs never are
    assert not answer.found and "the articles never mention ccpa opt-out requirement" in answer.note
    assert not coach.index.ask("what is product-led growth").found
    # a subject said in the vocabulary's words, or a comparison of two, is an ordinary question
    assert coach.index.ask("what is the ai pm salary premium").found
    assert coach.index.ask("whats the difference between precision and recall").found
    assert "only in passing" in coach.index.ask("what is a data flywheel and how do I build one").note


def test_a_role_is_named_only_by_words_side_by_side(coach):
    # "training data, is that on me as a PM" lost its stopwords and read as "Data PM" (Data Product Owner)
    answer = coach.index.ask("who labels the training data, is that on me as a pm")
    assert "Data Product Owner" not in answer.note
    assert answer.found and "annotation teams" in answer.answer
    answer = coach.index.ask("what does a data product owner do day to day")
    assert not answer.found  # the role itself is still recognised


def test_a_team_role_the_articles_explain_is_not_covered_as_a_career(coach):
    # "Data Engineers: Create systems that ingest…" explains the role on an AI team, not how to become one
    for question in ("how do I become a data engineer", "what's the interview loop for a data engineer"):
        answer = coach.index.ask(question)
        assert not answer.found and "data engineer" in answer.note, question
    answer = coach.index.ask("what does a data engineer do on an ai team")
    assert answer.found and "ingest, store, transform" in answer.answer


def test_resources_the_articles_never_recommend_are_declined(coach):
    for question in ("best books for product managers", "what is the best online course for ai pm"):
        answer = coach.index.ask(question)
        assert not answer.found and "recommend no books" in answer.note, question


def test_how_a_named_term_works_in_depth_is_a_definition_question():
    assert scope.definition_subject("how does homomorphic encryption work mathematically") == "homomorphic encryption"
    assert scope.definition_subject("how does a confusion matrix work under the hood") == "confusion matrix"


@pytest.mark.parametrize("question", ["how much do platform pms earn", "what is the interview process for an AI Strategy Lead",
                                      "how do I become a machine learning engineer"])
def test_an_alternative_role_asked_about_as_a_career_is_declined(coach, question):
    # the articles weigh Platform PM, AI Strategy Lead, ML Engineer against AI PM; they give no pay or hiring facts
    assert_declined(coach, question, "only as an alternative")


@pytest.mark.parametrize("question, fact", [
    ("is platform pm a good alternative to ai pm", "Platform PM"),
    ("which alternative role pays the most, ml engineer?", "ML Engineer scored highest on compensation"),
    ("who earns more, ML engineers or platform PMs", "ML Engineer scored highest on compensation"),
    ("should i become an ml engineer instead of an ai pm", "Machine Learning Engineer"),
])
def test_an_alternative_role_weighed_as_an_option_is_answered(coach, question, fact):
    assert_answered(coach, question, fact)


def test_a_long_question_is_judged_on_what_its_asking_clause_asks(coach):
    # a book in the context is no request for books; a role in the asking clause is asked about, whatever
    # the asker's background before it
    answer = coach.index.ask("An interviewer told me I sounded like a PM who had read one book about ML. "
                             "What level of technical depth were they actually looking for?")
    assert "recommend no books" not in answer.note
    answer = coach.index.ask("I'm a UX designer with 6 years in fintech. What does a design lead's career path look like?")
    assert not answer.found and "design lead" in answer.note


@pytest.mark.parametrize("question, subject", [("how do I detect concept drift in a live model", "concept drift"),
                                               ("how do I reduce model latency in production", "model latency")])
def test_how_to_handle_a_term_the_articles_only_name_is_declined(coach, question, subject):
    assert_declined(coach, question, f"mention {subject} only in passing")


def test_comparing_two_terms_the_articles_only_name_is_declined(coach):
    # LangSmith and Weights & Biases sit in one table cell; the row is no comparison of them
    answer = coach.index.ask("how does LangSmith compare to Weights & Biases")
    assert not answer.found and "mention langsmith and weights & biases only in passing" in answer.note, answer.note
    for question, fact in [("ai pm vs traditional pm", "AI PM"), ("mixpanel vs amplitude", "Mixpanel: Tracks")]:
        assert_answered(coach, question, fact)


@pytest.mark.parametrize("question, opening", [
    ("what is an AI PM", "An AI PM is primarily responsible"),
    ("what are AI PMs", "AI PMs sit at the intersection"),
    ("define AI product management", "AI product management focuses on solving customer problems"),
    ("what does a DS PM do", "A Data Scientist PM leverages advanced analytics"),
    ("what is a traditional PM", "Traditional PMs manage feature roadmaps"),
])
def test_the_librarys_own_roles_are_defined_by_the_sentence_that_opens_with_them(coach, question, opening):
    # "AI PM" is in every section, so ranking alone answered with the McKinsey survey sentence
    answer = coach.index.ask(question)
    assert answer.found and answer.answer.startswith(opening), answer.answer


def test_a_sentence_opening_with_a_term_defines_it_only_when_it_says_what_it_is():
    assert scope.opens_defining(["ai", "pm"], "An AI PM is primarily responsible for productizing models.")
    assert not scope.opens_defining(["ai", "pm"], "AI PMs require deep intuition for ML system design.")
    assert not scope.opens_defining(["ai", "pm"], "Most AI PMs are former traditional PMs.")


def test_telling_apart_two_terms_the_articles_only_name_side_by_side_is_declined(coach):
    # "regulations like GDPR and CCPA": always named together, never told apart
    for question in ("what's the difference between CCPA and GDPR?", "how is ccpa different from gdpr"):
        assert_declined(coach, question, "only in passing")
    # terms the articles explain each on their own are compared from them
    for question, fact in [("what's the difference between precision and recall", "Precision: Proportion"),
                           ("what is the difference between an AI PM and a DS PM", "The core difference")]:
        assert_answered(coach, question, fact)


def test_a_company_named_for_one_fact_is_no_answer_about_working_there(coach):
    for question in ("what's Amazon's interview process like for PMs", "tips to get a job at mckinsey as a pm"):
        assert_declined(coach, question, "don't cover hiring or working at any particular company")
    # the fact the company is named for still answers
    assert_answered(coach, "what did amazon's hiring algorithm do wrong", "Amazon’s recruitment algorithm")
    assert_answered(coach, "what was netflix paying its ai pm", "$900k")


def test_an_mba_program_is_a_resource_the_articles_never_recommend(coach):
    answer = coach.index.ask("which business school has the best program for future pms")
    assert not answer.found and "recommend no books" in answer.note, answer.note


@pytest.mark.parametrize("question, subject", [("whats the quickest way to learn SQL as a product manager", "sql"),
                                               ("how can I get better at sql", "sql")])
def test_how_to_learn_a_term_the_articles_only_name_is_declined(coach, question, subject):
    assert_declined(coach, question, f"mention {subject} only in passing")


def test_a_number_in_the_detail_after_a_named_term_does_not_hide_the_term(coach):
    # "with 80% power" made the subject too long to be a term: the articles only list sample size calculation
    assert scope.definition_subject("how do i calculate sample size for an a/b test with 80% power") \
        == "sample size for an a/b test"
    assert not coach.index.ask("how do i calculate sample size for an a/b test with 80% power").found
