"""The content gaps report: unanswered and down-voted questions, similar ones grouped, per workspace.

Grouping looks only at the groups sharing a term with a question (an index from term to groups),
so a log of thousands of distinct questions is grouped in about linear time.
"""
from __future__ import annotations

SIMILAR = 0.5  # Jaccard overlap of two questions' terms that makes them one gap
SHOWN_PHRASINGS = 5  # per group in the report


def similar(a: set[str], b: set[str]) -> bool:
    if not a or not b:
        return a == b
    return len(a & b) / len(a | b) >= SIMILAR


def gaps(db) -> list[dict]:
    """Unanswered and down-voted questions, per (platform, workspace), similar ones grouped.
    A question joins the earliest group it is similar to, as when every group is compared."""
    rows = db.execute("""
        SELECT l.platform, l.workspace, l.question, l.terms, l.created_at, 'unanswered' AS why
          FROM answer_log l WHERE l.found = 0
        UNION ALL
        SELECT l.platform, l.workspace, l.question, l.terms, f.updated_at, 'down-voted' AS why
          FROM answer_feedback f JOIN answer_log l ON l.id = f.log_id
         WHERE f.vote < 0 AND f.platform = l.platform AND f.workspace = l.workspace
        ORDER BY 5""").fetchall()
    groups: list[dict] = []
    by_term: dict[tuple[str, str, str], list[int]] = {}  # (platform, workspace, term) -> group numbers
    for platform, workspace, question, qterms, at, why in rows:
        tset = set(qterms.split())
        scope = (platform, workspace)
        # only groups sharing a term can be similar (an empty set matches only another empty one)
        nearby = sorted({n for t in (tset or {""}) for n in by_term.get((*scope, t), ())})
        g = next((groups[n] for n in nearby if similar(groups[n]["terms"], tset)), None)
        if g is None:
            g = {"platform": platform, "workspace": workspace, "terms": tset, "count": 0, "questions": {},
                 "why": set(), "last_seen": at}
            for t in tset or {""}:
                by_term.setdefault((*scope, t), []).append(len(groups))
            groups.append(g)
        g["count"] += 1
        g["questions"][question] = g["questions"].get(question, 0) + 1
        g["why"].add(why)
        g["last_seen"] = max(g["last_seen"], at)
    groups.sort(key=lambda g: (g["platform"], g["workspace"], -g["count"], g["last_seen"]))
    return groups


def gaps_report(coach) -> str:
    from .study import reports_lines  # learners' reports on drills, beside the questions

    groups = gaps(coach.db)
    reported = reports_lines(coach)
    if not groups:
        return "\n".join(["No unanswered or down-voted questions logged.", *reported])
    lines, scope = [], None
    for g in groups:
        if (g["platform"], g["workspace"]) != scope:
            scope = (g["platform"], g["workspace"])
            lines.append(f"{'' if not lines else chr(10)}== {g['platform']} / {g['workspace']} ==")
        phrasings = sorted(g["questions"].items(), key=lambda kv: -kv[1])
        lines.append(f"{g['count']}× ({', '.join(sorted(g['why']))}; last seen {g['last_seen']}) "
                     f"{phrasings[0][0]!r}")
        lines.extend(f"    also: {q!r}" + (f" ×{n}" if n > 1 else "") for q, n in phrasings[1:SHOWN_PHRASINGS])
    return "\n".join(lines + reported)
