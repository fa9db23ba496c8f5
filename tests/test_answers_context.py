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
    # "what should I prep" asks what to do, not whether to: no recommending section is pushed forward
    assert not asks_advice("what should I actually spend my prep time on?")
    assert not asks_advice("how should I talk about AI projects in an interview?")
    assert asks_advice("what should i do") and asks_advice("which should i pick") and asks_advice("should i switch")
    # "or am I stuck" is a filler phrase: its "am I" asks for no recommendation
    assert not asks_advice("want to try AI PM next. is that even possible or am I stuck?")
    assert asks_advice("am i ready for ai pm")


def test_a_can_i_switch_question_gets_the_section_on_switching_not_the_recommendation(coach):
    answer = coach.index.ask("I've been doing DS PM work for three years and want to try AI PM next. "
                             "is that even possible or am I stuck?")
    assert answer.found and "A DS PM moving to AI PM would need" in answer.answer


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


def test_an_asking_clause_pointing_back_leaves_the_context_whole():
    assert context.refers_back("is that the right approach?") and not context.refers_back("what is recall?")
    weights = {"passfail": 2.9, "test": 1.7, "approach": 2.7}
    assert context.factors(weights, ["approach"], set(), points_back=True) == {}


def test_framing_words_of_chat_questions_are_not_their_subject(coach):
    answer = coach.index.ask("quick one - how much more do ai pms make vs regular pms, percentage wise")
    assert answer.found and "12‑18 % premium" in answer.answer
    answer = coach.index.ask("is gdpr something an ai pm has to worry about")
    assert answer.found and "GDPR and CCPA" in answer.answer
    answer = coach.index.ask("I'm a data analyst at a bank, mostly SQL and dashboards, and I want to move into "
                             "product. would DS PM be realistic, what do they actually need to know?")
    assert answer.found and answer.citation.section == "What technical skills are mandatory for a Data Scientist PM role?"


def test_an_indirect_question_after_its_context_is_what_is_asked(coach):
    # "I'm wondering if I should…", "my director asked me who…": the question sits inside a statement
    q = ("I'm a PM at a bank, been here 5 yrs working on mobile banking features. We've started adding a chatbot "
         "and I got pulled in a bit. I'm wondering if I should go all in on AI PM now or if it's too early?")
    assert context.asking_clause(q) == "I should go all in on AI PM now or if it's too early?"
    assert asks_advice(q)
    q = ("we're planning an ML feature and my director asked me who else besides eng and design I need to bring "
         "in early. any idea?")
    assert context.asking_clause(q).startswith("who else besides eng and design")  # "any idea?" asks nothing itself
    assert context.asking_clause("I have read the whole comparison twice and I am still wondering about it all") == ""


def test_slang_and_chat_spellings_do_not_outweigh_the_question(coach):
    # unknown chat words ("nah", "techy") used to weigh as the rarest terms of all and sink the answer
    answer = coach.index.ask("is ds pm less techy than ai pm")
    assert answer.found and "Both roles are highly technical" in answer.answer
    answer = coach.index.ask("phd needed 4 ai pm or nah")
    assert answer.found and "not a strict requirement" in answer.answer


def test_the_askers_past_role_is_background_not_the_subject(coach):
    # "as a data analyst", "I was a marketing manager before product": not a question about those roles
    answer = coach.index.ask("I spent the last four years as a data analyst doing experiments and funnel analysis "
                             "for a subscription app. I don't really care about building models. Which product "
                             "role should I aim for?")
    assert answer.note == "" or "not data analyst roles" not in answer.note
    assert answer.found and "Data Scientist PM" in answer.answer


def test_a_should_i_question_is_matched_by_the_advising_section_as_a_whole(coach):
    # the asker's background is spread over the question: no one item of "Choose AI Product Manager if…"
    # says much of it, but the section as a whole covers it
    q = ("Background: 7 years as a backend engineer at a logistics company, built a few recommendation services "
         "with our data science team. I want to move to product but don't want to lose the technical side. "
         "Is AI PM the right call for me?")
    answer = coach.index.ask(q)
    assert answer.found and "Engineers or data scientists who want to transition into product" in answer.answer


def test_a_clause_that_only_points_back_is_not_answered_alone(coach):
    # "how do I explain it?" alone matched "communicate model risk" in the interview section: a guess
    assert context.asks_nothing_alone("how do I explain it?", 1)
    assert context.asks_nothing_alone("is that a good idea?", 1)
    assert not context.asks_nothing_alone("is it fine to just say I led an AI project in interviews?", 5)
    answer = coach.index.ask("my CEO keeps asking why our ML project is taking way longer than our normal feature "
                             "releases. how do I explain it?")
    assert not answer.found or answer.citation.section == "Longer Iteration Cycles in AI Product Development"


def test_an_adverb_the_library_never_uses_is_how_it_is_asked_not_what():
    assert context.ADVERB.fullmatch("roughly") and context.ADVERB.fullmatch("concretely")
    for noun in ("italy", "family", "supply", "early", "daily"):
        assert not context.ADVERB.fullmatch(noun), noun


def test_unused_adverbs_and_ratings_words_reach_the_answer(coach):
    answer = coach.index.ask("What errors commonly sink candidates interviewing for data scientist product manager positions?")
    assert answer.found and answer.citation.section == "Mistakes to Avoid"
    answer = coach.index.ask("On what dimensions are the alternative career options to AI PM rated against each other?")
    assert answer.found and "impact, compensation, and skill transferability" in answer.answer


def test_a_long_question_spreads_its_words_over_the_section_that_answers_it(coach):
    q = ("I run product for a hospital scheduling tool and I'm worried our model might treat some patients "
         "unfairly. are there real cases where that happened?")
    answer = coach.index.ask(q)
    assert answer.found and "Healthcare algorithms unfairly favored white patients" in answer.answer


def test_an_adverb_before_the_question_word_still_asks():
    q = "I'm 3 years into traditional PM at a SaaS company. If I got into AI PM, roughly how much more would I make?"
    assert context.asking_clause(q) == "roughly how much more would I make?"


def test_the_askers_own_figures_in_the_context_are_no_terms_when_the_clause_has_a_subject():
    weights = {"160k": 4.5, "saa": 3.0, "compens": 1.4}
    assert context.factors(weights, ["compens"], unknown=set()) == {"160k": 0.0, "saa": context.CONTEXT_WEIGHT}
    # pointing back ("someone said AI PMs get 20-40% more. is that true?"), the figure is the subject
    assert context.factors(weights, [], unknown=set()) == {}


def test_a_clause_pointing_back_points_past_the_askers_own_clauses():
    q = ("I'm a PM with no engineering degree, I came over from sales. People keep telling me I'll need to learn "
         "Python to work on AI products. Is that really true?")
    about, rest = context.background(q)
    assert about == "I'm a PM with no engineering degree I came over from sales"
    assert rest.startswith("People keep telling me")
    # with nothing in the context but the asker's own clause, that clause is what the question is about
    assert context.background("I've been doing DS PM work for three years and want to try AI PM next. "
                              "is that even possible?") == ("", "")
    weights = {"degre": 4.5, "sale": 3.0, "code": 1.6}
    assert context.factors(weights, [], set(), points_back=True, about_me={"degre", "sale"}) == \
        {"degre": context.CONTEXT_WEIGHT, "sale": context.CONTEXT_WEIGHT}


def test_a_python_question_after_the_askers_background_is_about_coding(coach):
    answer = coach.index.ask("I'm a PM with no engineering degree, I came over from sales. People keep telling me "
                             "I'll need to learn Python to work on AI products. Is that really true?")
    assert answer.found and ("don’t necessarily need to code" in answer.answer
                             or "don’t need coding skills" in answer.answer), answer.answer


def test_an_advice_question_about_the_askers_background_gets_the_recommendation(coach):
    # the core-difference section shares more of the asker's words (deploying, building, owning); the
    # section that recommends a role by background answers "which PM flavor makes sense for me"
    answer = coach.index.ask("I'm an ML engineer with 4 years deploying recommendation models. I'm tired of just "
                             "building and want to own the product side. Which PM flavor makes the most sense for me?")
    assert answer.found and answer.citation.section in ("When should I target an AI PM role versus a Data Scientist PM role?",
                                                        "Choose AI Product Manager if…"), answer.citation


def test_an_it_said_after_it_points_nowhere_back():
    # "is it worth making the move": "it" is the move; "is it a good idea?" points at the context
    assert not context.refers_back("is it worth making that move or should I stay put?")
    assert not context.refers_back("is it too early to switch?")
    assert context.refers_back("is it a good idea?") and context.refers_back("is that worth it?")


def test_is_it_worth_frames_an_advice_question_without_being_its_subject():
    assert asks_advice("is it worth moving to ai pm just for the money")
    assert "worth" not in terms("is it worth moving to ai pm just for the money", query=True)
    assert not asks_advice("what should I prep for an ai pm loop")  # "should I" inside "what should I"


def test_pushing_for_model_targets_is_negotiating_milestone_equity(coach):
    answer = coach.index.ask("the offer has stock tied to hitting model targets, what should i push for")
    assert answer.found and "performance‑based vesting rather than flat grants" in answer.answer, answer.answer


def test_a_range_of_months_or_years_is_the_askers_context_too():
    assert "12" not in terms("is there a catch if I end up leaving after 12 to 18 months", query=True)
    assert "4" in terms("is the ai pm process 4 to 6 weeks", query=True)  # weeks: what is asked about


def test_someone_with_my_background_asks_for_a_recommendation(coach):
    assert asks_advice("where would someone with my background land best?")
    answer = coach.index.ask("Quick context: I'm a data scientist, 3 years doing churn models and A/B tests at a "
                             "streaming company. I want to move into product. Between AI PM and DS PM, where would "
                             "someone with my background land best?")
    assert answer.found and answer.citation.section.startswith("When should I target an AI PM role"), answer.citation


def test_what_should_i_do_to_x_asks_how_not_whether():
    assert not asks_advice("what should I do to prep when switching to ai pm")
    assert asks_advice("I'm torn between AI PM and DS PM, what should I do?")


def test_words_the_library_never_uses_count_little_in_a_long_message():
    weights = {"bore": 5.6, "layer": 5.6, "interview": 0.9, "mistak": 2.0, "model": 0.7, "team": 1.1}
    factors = context.factors(weights, None, unknown={"bore", "layer"}, long=True)
    assert factors == {"bore": context.UNKNOWN_IN_LONG, "layer": context.UNKNOWN_IN_LONG}
    # in its context they are dropped, as before; in an asking clause that points back they count little,
    # in one asking about something of its own they are what it asks about ("what does HIPAA require?")
    factors = context.factors(weights, ["interview", "layer"], unknown={"bore", "layer"}, points_back=True, long=True)
    assert factors["bore"] == 0.0 and factors["layer"] == context.UNKNOWN_IN_LONG
    factors = context.factors(weights, ["interview", "layer"], unknown={"bore", "layer"}, long=True)
    assert factors["bore"] == 0.0 and "layer" not in factors
    # ...but when the words the library never uses are a good share of a message pointing back, they are its
    # topic: they count fully
    factors = context.factors({**weights, "landlord": 5.6}, ["interview", "layer"],
                              unknown={"bore", "layer", "landlord"}, points_back=True, long=True)
    assert "bore" not in factors and "landlord" not in factors


def test_a_long_chatty_message_is_not_declined_for_its_chat_words(coach):
    answer = coach.index.ask("why do so many product folks feel weird identity-wise after moving into ai")
    assert answer.found and "role identity continuity" in answer.answer


def test_a_remark_after_the_question_mark_is_context_not_the_question():
    q = "my VP keeps saying we need someone who owns the model. like what does an AI PM own? trying to write a JD lol"
    assert context.asking_clause(q) == "like what does an AI PM own"
    # a second question after the first still belongs to it
    q = "I've been a PM at a bank for ages and ages. is it time to switch? or should I stay where I am?"
    assert context.asking_clause(q) == "is it time to switch or should I stay where I am?"


def test_a_long_message_whose_best_place_stands_out_is_answered_though_its_context_spreads(coach):
    answer = coach.index.ask("we're building a feature where an LLM drafts replies to customer emails, and QA files a "
                             "bug every time the draft changes between runs. how should we test it?")
    assert answer.found and "assess output distributions" in answer.answer
    # ...but not when what it asks is a word the library never uses
    assert not coach.index.ask("I'm an AI PM at a healthtech and we just shipped a model on patient data. "
                               "what does HIPAA require from us?").found
    assert not coach.index.ask("I lead a team of 4 PMs working on AI features and two of them don't get along. "
                               "how do I handle conflict between my reports?").found


def test_an_unknown_word_in_a_clause_pointing_back_is_chat_not_what_is_asked(coach):
    # "is that a bug…?" asks about the context before it: "bug" doesn't make it a question about bugs
    answer = coach.index.ask("so we shipped an LLM summarizer and management is freaking out because the exact same "
                             "input gives different text on different days. is that a bug or just how these things work?")
    assert answer.found and "probabilistic" in answer.answer


def test_a_relative_which_clause_is_context_not_the_question():
    q = "my new ML team pulls legal and privacy people into every review, which never happened on my old team. is that normal?"
    assert context.asking_clause(q) == "is that normal?"
    # "which" asking about something still asks
    assert context.asking_clause("I've been a PM for five years at a big bank, which track fits me better?") == \
        "which track fits me better?"


def test_an_advice_question_an_faq_item_asks_itself_gets_that_item(coach):
    # "is it worth…" asks advice, but the FAQ "Do I need a PhD in AI/ML to become an AI PM?" asks this
    # question; the switching conditions (which mention a PhD in passing) don't go first
    answer = coach.index.ask("is it worth getting a phd before going for ai pm")
    assert answer.found and "A PhD is not a strict requirement" in answer.answer, answer.answer


def test_a_question_long_in_words_but_saying_few_things_keeps_its_unknown_word(coach):
    # twelve words, but four terms: India is what it asks about, not chat (the articles give no country's pay)
    assert not coach.index.ask("what's the ai pm salary at 3 years of experience in india").found


def test_a_clause_ending_here_asks_about_its_context(coach):
    assert context.refers_back("what are my options here?") and context.refers_back("what would you do in my case?")
    assert not context.refers_back("what are the alternatives to AI PM?")
    # a context mostly in words the library never uses is another topic: "options" is no career question here
    assert not coach.index.ask("so my landlord won't return my deposit and it's been 2 months, I've emailed him "
                               "3 times. what are my options here?").found


def test_a_clause_asking_for_a_number_on_that_points_back():
    assert context.refers_back("is there any actual number on that?")
    assert not context.refers_back("is there a number for AI PM pay?")
