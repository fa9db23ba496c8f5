"""The domain's vocabulary: different words people use for the same thing.

Applied to both the articles and the question, before stemming, so "comp", "salary"
and "pay" all become one term and a Data Scientist PM is a "ds pm" however it's spelled.
Phrases are matched longest first on raw lowercase words (see text.words).
"""
from __future__ import annotations

from .text import STOPWORDS, stem, words

# canonical term -> the phrasings that mean it (space-separated words, as text.words splits them)
GROUPS: dict[str, tuple[str, ...]] = {
    "pm": ("pm", "pms", "product manager", "product managers", "product management", "product managing",
           "product mgr", "product owner", "product owners", "product person"),
    "ai": ("ai", "artificial intelligence", "a i", "genai", "gen ai", "generative ai"),
    "ml": ("ml", "machine learning", "machine-learning", "ai ml"),
    "de": ("data engineer", "data engineers", "data engineering"),
    "swe": ("software engineer", "software engineers", "swe", "swes", "software developer", "software developers",
            "developer", "developers"),
    "ds": ("ds", "data science", "data sci"),
    # the job, as opposed to the Data Scientist PM (see "ds pm" below)
    "scientist": ("data scientist", "data scientists", "scientist", "scientists"),
    "tpm": ("tpm", "tpms", "technical program manager", "technical program managers", "program manager"),
    "mle": ("mle", "ml eng", "ml engs", "ml engineering", "machine learning engineering", "ml engineer", "ml engineers", "machine learning engineer", "machine learning engineers"),
    "compens": ("comp", "compensation", "salary", "salaries", "pay", "paid", "pays", "paying", "tc", "earn",
                "earns", "earning", "earnings", "wage", "wages", "income", "money", "remuneration",
                "paycheck", "package", "packages", "band", "base", "premium", "premiums", "ote"),
    "equiti": ("equity", "stock", "stocks", "rsu", "rsus", "shares", "vesting", "vest"),
    "interview": ("interview", "interviews", "interviewing", "interviewer", "interviewers", "interview loop",
                  "loop", "loops", "onsite", "onsites", "hiring process", "hiring loop", "hiring", "hire", "hired",
                  "recruiter", "recruiters", "recruiting", "recruitment", "hiring manager", "hiring managers",
                  "screening", "screenings", "resume screening", "phone screen", "phone screens"),
    "expect": ("expect", "expects", "expected", "expecting", "expectation", "expectations", "look for",
               "looks for", "looking for", "want to see", "wants to see"),
    "feedbackloop": ("feedback loop", "feedback loops"),
    "phd": ("phd", "ph d", "ph.d", "doctorate", "doctoral", "doctorates", "phds"),
    "faang": ("faang", "maang", "big tech", "bigtech", "top companies", "top tech"),
    "switch": ("switch", "switching", "switched", "transition", "transitioning", "transitions", "pivot",
               "pivoting", "move", "moving", "moves", "change careers", "career change", "jump", "shift", "move over",
               "move into"),
    # how people get in at all (the "Entry Path" row), not how a PM moves across
    "entri": ("entry", "entry path", "entry point", "entry points", "path into", "paths into", "way into",
              "route into", "routes into", "way in", "ways in", "get into", "getting into", "break into",
              "breaking into", "break in", "enter", "entering", "get started", "start out", "starting out"),
    "code": ("code", "coding", "programming", "program", "write code", "coder", "programmer", "software development skills"),
    "mistak": ("mistake", "mistakes", "pitfall", "pitfalls", "trap", "traps", "red flag", "red flags",
               "avoid", "errors to avoid", "gotchas", "bad answers"),
    "prepar": ("prep", "prepare", "preparing", "preparation", "practice", "practise", "study", "studying",
               "get ready", "checklist"),
    "choos": ("choose", "choosing", "chose", "pick", "picking", "decide", "deciding", "choice", "select",
              "target", "pursue", "go for", "go with", "worth it", "opt", "suit", "suits", "fit", "fits", "right for"),
    "differ": ("difference", "differences", "different", "differ", "differs", "distinguish", "distinction",
               "separate", "separates", "separating", "contrast", "gap"),
    "requir": ("require", "required", "requirement", "requirements", "mandatory", "necessary", "prerequisite",
               "prerequisites", "needed"),
    "import": ("important", "importance", "matter", "matters", "crucial", "vital", "critical", "essential",
               "paramount", "key to"),
    "eval": ("eval", "evals", "evaluate", "evaluating", "evaluation", "evaluations", "assess", "assessing"),
    "output": ("output", "outputs", "produce", "produces", "deliver", "delivers", "deliverable", "deliverables"),
    "daili": ("day to day", "day-to-day", "daily", "everyday", "typical day", "day in the life", "all day",
              "every day", "each day", "daily basis", "day job"),
    "abtest": ("abtest", "abtest test", "abtest tests", "abtest testing", "ab test", "ab tests", "ab testing", "split test", "split testing"),
    "mlop": ("mlops", "ml ops"),
    "llm": ("llm", "llms", "large language model", "large language models"),
    "metric": ("metric", "metrics", "kpi", "kpis"),
    "role": ("role", "roles", "job", "jobs", "position", "positions", "title", "titles", "gig", "gigs"),
    "career": ("career", "careers", "career path", "career paths", "path", "paths", "track", "tracks"),
    "senior": ("senior", "seniors", "sr", "staff", "principal"),
    "bias": ("bias", "biases", "biased", "unfair", "unfairly", "fairness", "discrimination", "discriminate",
             "discriminates", "discriminated", "discriminatory", "prejudice"),
    "tool": ("tool", "tools", "tooling", "software tools", "stack"),
    "timelin": ("timeline", "timelines", "how long", "duration", "hear back", "how soon", "turnaround"),
    "time": ("time", "week", "weeks", "hours", "hour"),
    "altern": ("alternative", "alternatives", "option", "options", "besides", "apart from", "other roles",
               "other jobs", "other careers", "other paths", "other career paths", "other positions"),
    "responsibleai": ("responsible ai",),
    "grow": ("grow", "grows", "grew", "growing", "growth", "grown"),
    "trust": ("trust", "trusts", "trusted", "distrust", "distrusts", "mistrust", "trustworthy", "skeptical",
              "sceptical", "wary"),
    "stabl": ("stable", "stability", "unstable", "instability", "job security", "secure", "long term",
              "long-term", "future proof", "future-proof"),
    "usa": ("usa", "us market", "united states", "in the us", "u s", "america", "american"),
    "probabilist": ("probabilistic", "stochastic", "uncertainty", "uncertain", "uncertainties", "randomness",
                    "nondeterministic", "non deterministic", "variability"),
    "influenc": ("influence", "influences", "influencing", "shape", "shaping", "steer", "steering", "sway"),
    "fast": ("fast", "faster", "quick", "quickly", "rapid", "rapidly", "speedy"),
    "collabor": ("collaborate", "collaborates", "collaborating", "collaboration", "team up", "teams up",
                 "teaming up", "work with", "works with", "working with", "partner with", "partners with",
                 "partner", "partners", "collaborator", "collaborators",
                 "partnering with", "work together"),
    "compar": ("vs", "versus", "compare", "compared", "compares", "comparing", "comparison", "comparisons", "comparable",
               "stack up", "stacks up"),
    "communic": ("communicate", "communicates", "communicating", "communication", "explain", "explaining",
                 "articulate", "articulating", "convey", "translate", "translating", "present to", "talk to"),
    "enjoy": ("love", "loves", "enjoy", "enjoys", "passion", "passionate", "like doing", "fun"),
    # Porter leaves these families split ("experiments" -> experi, "experimentation" -> experiment)
    "experi": ("experiment", "experiments", "experimentation", "experimental", "experimenting", "experimenter"),
    "analyt": ("analysis", "analyses", "analytics", "analytical", "analyze", "analyzes", "analyzing", "analyse",
               "analysing", "analyst", "analysts"),
    "tradit": ("traditional", "traditionally", "regular", "classic", "classical", "normal", "conventional",
               "non ai", "generalist", "plain", "ordinary", "old school", "trad", "vanilla", "standard",
               "typical pm", "general pm", "generic pm"),
    "commodit": ("commoditized", "commoditised", "commodity", "becoming obsolete", "become obsolete",
                 "becomes obsolete", "becoming irrelevant", "becoming redundant", "being replaced", "getting replaced",
                 "obsolete", "outdated", "redundant", "replaced",
                 "dying", "irrelevant"),
    "risk": ("risk", "risks", "risky", "riskier", "riskiest", "dangerous", "downside", "downsides"),
    "narrat": ("story", "stories", "storytelling", "narrative", "narratives"),
    "audienc": ("audience", "reader", "readers", "intended reader", "intended readers", "written for", "meant for", "aimed at", "intended for", "who is this for",
                "who this is for"),
    "statist": ("statistician", "statisticians", "stats", "statistics", "statistical"),
    "better": ("better", "best", "superior", "preferable", "prefer", "preferred"),
    "own": ("own", "owns", "owning", "owner", "ownership", "responsible", "responsibility", "responsibilities",
            "accountable", "in charge"),
    "challeng": ("challenge", "challenges", "challenging", "hard", "harder", "hardest", "difficult", "difficulty",
                 "difficulties", "tough", "toughest", "easy", "easier", "easiest", "simple", "obstacle", "obstacles", "hurdle", "hurdles", "steep", "steeper",
                 "barrier", "barriers", "blocker", "blockers", "roadblock", "roadblocks"),
    "exit": ("exit", "exits", "leave", "leaves", "leaving", "left early", "quit", "quits", "quitting", "bail",
             "bails", "bailing", "walk away", "walks away", "depart", "departure", "jump ship"),
    "rule": ("rule", "rules", "rule based", "rules based", "rule-based", "rules engine", "rules engines",
             "rule engine", "hard coded", "hardcoded", "hard-coded", "heuristic", "heuristics", "if then",
             "if else"),
    "beforehand": ("beforehand", "upfront", "up front", "in advance", "ahead of time", "a priori"),
    "passfail": ("pass fail", "pass or fail", "pass and fail", "passes or fails", "works or doesn t"),
    "test": ("test", "tests", "testing", "tested", "qa", "quality assurance"),
    "crossfunct": ("cross functional", "crossfunctional", "xfn", "cross team", "cross-team", "x functional"),
    "manag": ("manage", "manages", "managed", "managing", "management", "mgmt", "mgmnt"),
    # a role named by its specialism: one pair of terms, however it is spelled
    "ai pm": ("ml pm", "ml pms", "ml product manager", "ml product managers", "ml product management",
              "machine learning pm", "machine learning pms", "machine learning product manager",
              "machine learning product managers", "machine learning product management", "ai ml pm",
              "ai ml product manager", "ai ml product managers", "ai product manager", "ai product managers",
              "ai product management", "artificial intelligence product manager",
              "artificial intelligence product managers", "artificial intelligence product management",
              "ai pm", "ai pms", "genai pm", "llm pm"),
    "ds pm": ("ds pm", "ds pms", "data science pm", "data science pms", "data scientist pm", "data scientist pms",
              "data science product manager", "data science product managers", "data scientist product manager",
              "data scientist product managers", "analytics pm", "analytics pms", "product analytics pm",
              "analytics product manager", "analytics product managers", "data pm", "data pms"),
    "long": ("long", "longer", "longest", "lengthy", "slow", "slower", "slowest", "drawn out"),
    "accuraci": ("accuracy", "accurate", "accurately", "inaccurate", "inaccuracy"),
    "progress": ("progress", "progression", "moving up", "move up", "moves up", "promotion", "promotions",
                 "promoted", "get promoted", "advance", "advancement", "climb", "climbing", "level up",
                 "trajectory", "trajectories"),
    "summari": ("summary", "summaries", "tl dr", "tldr", "recap"),
    "organ": ("organization", "organizations", "organisation", "organisations", "organizational",
              "organisational", "company", "companies", "firm", "firms", "employer", "employers"),
    "ecosystem": ("ecosystem", "ecosystems", "landscape", "landscapes"),
    "complex": ("complex", "complicated", "intricate", "complexity", "messier", "messy"),
    "handl": ("handle", "handles", "handling", "deal with", "deals with", "dealing with", "cope with", "navigate"),
}

# Opening words that ask for an explanation ("explain recall"); later in a question, "explain"
# is the topic ("how to explain ML to stakeholders").
LEADING = frozenset({"explain", "describe", "define", "summarize", "summarise", "compare"})
_MAKE = frozenset({"make", "makes", "making", "made"})
_POLITE = frozenset({"please", "pls", "plz", "can", "could", "would", "you", "hey", "hi", "hello", "coach", "bot"})

# Words that frame a question but carry no topic ("explain", "what is the meaning of").
QUERY_STOPWORDS = frozenset(
    "define definition meaning mean means know tell question questions anything something "
    "someone somebody people person guy typical typically actually basically exactly generally usually kind sort "
    "context ones hi hello hey thanks thank pls plz say says saying said make makes making instead go goes going able ask asks asked asking real actual take takes taking part parts".split()) | frozenset(
    # everyday words that say how a question is put, not what it is about: a question full of them
    # is still on topic, so they must not count as words the library has never heard of
    "stuff bunch lot lots bit whole otherwise anyway anyways okay ok kinda sorta gonna wanna gotta maybe "
    "probably mostly pretty quite rather literally honestly seriously totally simply certain sure "
    "came come comes coming put puts together place places done doing ive im id youre theyre arent isnt "
    "dont doesnt didnt cant wont wouldnt shouldnt couldnt ppl folks guys gal everyone anyone "
    "happen happens happened happening look looks looked looking seem seems seemed appear appears "
    "throw throws thrown wrestle wrestles worse worst far away around across along "
    "w wo b4 u ur r ya yeah yep nope hmm um uh lol btw fyi imo tbh idk "
    "rely relies relied depend depends "
    "give gives gave given get gets got show shows shown find finds found see sees saw seen keep keeps "
    "try tries tried trying use used uses using want wanted wants think thinks thought wondering wonder "
    "nowadays today currently lately soon early later ago year years month months day days "
    "plain terms term short version words nutshell quick quickly overall general briefly".split())


# Only in questions: how people ask for a section the articles word differently
# ("what should I never do" is asking for the mistakes; the articles' own "don't" is not).
QUERY_GROUPS: dict[str, tuple[str, ...]] = {
    "mistak": ("never", "never do", "should not", "shouldn t", "don t do", "not to do", "what not",
               "go wrong", "goes wrong", "get wrong", "gets wrong", "screw up", "fail", "fails", "failing",
               "sank", "sink", "sinks", "sunk", "tank", "tanked", "tanks", "doomed", "blew", "blow", "bomb", "bombed"),
    "altern": ("similar to", "similar roles", "similar jobs", "similar careers", "adjacent roles", "adjacent jobs",
               "related roles", "related jobs", "neighbouring roles", "neighboring roles"),
    # only people ask for it this way; the articles' "in short supply" is no summary
    "summari": ("short answer", "in short", "in brief", "nutshell", "in a nutshell", "gist", "one line",
                "one liner", "bottom line", "quick version", "short version"),
    "stakehold": ("exec", "execs", "executive", "executives", "c suite", "leadership team", "higher ups",
                  "higher-ups", "bosses", "business side"),
    "10x": ("ten times", "10 times", "tenfold", "ten fold", "10 fold"),
    "import": ("care", "care about", "why care", "bother"),
    "not": ("avoid", "avoiding", "stay away from", "steer clear of"),
    # phrases that frame a question and say nothing of its topic: they become no term at all
    "": ("counts as", "count as", "considered", "regarded as", "in the first place", "at the end of the day",
         "for what it s worth", "in your opinion", "in general"),
    # shorthand only people write; the articles spell these out
    "develop": ("dev",),
    "organ": ("org", "orgs"),
}


def _build(groups):
    table: dict[tuple[str, ...], str] = {}
    for canon, phrases in groups.items():
        for phrase in phrases:
            key = tuple(words(phrase))
            if key:
                table[key] = canon
    return table


_PHRASES = _build(GROUPS)
_QUERY_PHRASES = {**_PHRASES, **_build(QUERY_GROUPS)}
_LONGEST = max(len(k) for k in _QUERY_PHRASES)


# Chat spellings, expanded before anything else so the rest of the pipeline sees real words.
_CHAT = {"kno": "know", "knw": "know", "wat": "what", "wut": "what", "abt": "about", "bout": "about",
         "bc": "because", "cuz": "because", "coz": "because", "tho": "though", "thru": "through",
         "exp": "experience", "yoe": "years experience", "reqs": "requirements", "req": "requirement",
         "mgr": "manager", "intvw": "interview", "convo": "conversation",
         "diff": "difference", "diffs": "differences", "nd": "and", "n": "and"}


def terms(text: str, query: bool = False) -> list[str]:
    """Canonical, stemmed terms in order: the unit of matching for the answer index."""
    ws = words(text)
    if query:
        ws = [x for w in ws for x in _CHAT.get(w, w).split()]
    if query and "much" in ws:  # "how much do AI PMs make": make is earn
        ws = ["earn" if w in _MAKE else w for w in ws]
    phrases = _QUERY_PHRASES if query else _PHRASES
    out: list[str] = []
    i = 0
    if query:
        while i < len(ws) and ws[i] in _POLITE:
            i += 1
        if i < len(ws) and ws[i] in LEADING:
            i += 1
        else:
            i = 0
    while i < len(ws):
        for n in range(min(_LONGEST, len(ws) - i), 0, -1):
            canon = phrases.get(tuple(ws[i:i + n]))
            if canon is not None:
                out.extend(canon.split())
                i += n
                break
        else:
            w = ws[i]
            i += 1
            if w in STOPWORDS or (query and w in QUERY_STOPWORDS):
                continue
            out.append(stem(w))
    return out


def vocabulary() -> set[str]:
    """Every raw word these tables know: a question's word outside it and outside the articles is unknown."""
    out = set(STOPWORDS) | QUERY_STOPWORDS | LEADING | _POLITE
    for table in (GROUPS, QUERY_GROUPS):
        for phrases in table.values():
            for phrase in phrases:
                out.update(words(phrase))
    return out
