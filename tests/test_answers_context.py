"""Long questions: the asker's context before what they ask, and "should I…" advice."""
from __future__ import annotations

from bot import context
from bot.synonyms import asks_advice, terms


def test_the_asking_clause_is_the_last_one_that_asks():
    q = "I've been a PM at a fintech for about 5 years, mostly payments. is now the right time to switch to AI PM?"
    assert context.asking_clause(q) == "is now the right time to switch to AI PM?"
    assert context.asking_clause("is now the right time to switch to AI PM?") == ""  # short: no context


def test_context_words_the_library_never_uses_are_dropped_and_known_ones_count_less():
    weights = {"payment": 5.0, "fintech": 5.0, "senior": 2.5, "switch": 1.1, "ai": 0.0, "pm": 0.0}
    factors = context.factors(weights, ["switch", "ai", "pm"], unknown={"payment", "fintech"})
    assert factors == {"payment": 0.0, "fintech": 0.0, "senior": context.CONTEXT_WEIGHT}
    # an asking clause with no subject of its own ("should we?") leaves the context's known words whole
    assert context.factors(weights, [], unknown={"payment", "fintech"}) == {"payment": 0.0, "fintech": 0.0}
    assert context.factors(weights, None, unknown={"payment"}) == {}


def test_a_number_of_years_is_the_askers_context():
    assert "6" not in terms("I've been a PM for 6 years, 4 yrs at a startup", query=True)
    assert "6" in terms("is the ai pm process really 4-6 weeks", query=True)


def test_a_should_we_question_after_its_situation_is_answered(coach):
    answer = coach.index.ask("my boss wants to use machine learning for our discount eligibility check but we "
                             "already know exactly what the rules are. should we?")
    assert answer.found and answer.citation.section == "When Not to Use AI: Business Rules vs ML Models"
    assert "Teams know exact logic beforehand" in answer.answer


def test_the_subject_may_sit_in_the_context_before_a_plain_asking_clause(coach):
    answer = coach.index.ask("no phd here but I've been an ML engineer for 4 years, can I still land an AI PM job?")
    assert answer.found and "A PhD is not a strict requirement" in answer.answer


def test_personal_advice_phrasings_ask_for_a_recommendation():
    for q in ("would AI PM make sense for someone like me?", "is going for AI PM a bad idea for me?",
              "I'm an ML engineer wanting product - AI PM or DS PM?"):
        assert asks_advice(q), q
    assert not asks_advice("what does a data engineer do on an ai team")


def test_a_dash_sets_the_question_apart_from_its_context(coach):
    q = "been a regular pm for 4 yrs and thinking about jumping to ai pm — how do i know im actually ready?"
    assert context.asking_clause(q) == "how do i know im actually ready?"
    answer = coach.index.ask(q)
    assert answer.found and "three conditions" in answer.answer


def test_a_question_that_asks_from_its_first_clause_has_no_context():
    q = "How deep does an ML PM's technical knowledge have to go — is a conceptual grasp of algorithms enough?"
    assert context.asking_clause(q) == ""


def test_chat_slips_and_comparisons_read_as_words(coach):
    assert "should" not in terms("what shoud I expect", query=True) and "shoud" not in terms("what shoud I expect", query=True)
    answer = coach.index.ask("when does ML beat hardcoded logic")
    assert answer.found and answer.citation.section == "When Not to Use AI: Business Rules vs ML Models"
