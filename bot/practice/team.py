"""Team drills: the interface the scheduler calls (daily_drill, reveal_post, weekly_digest)
and the channel leaderboard."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from .. import drills, progress, review, users
from ..drills import TRACK_NAMES
from ..messages import Reply, error
from ..review import stamp
from ..storage import transaction
from ..text import tokens
from . import choosing, render, store
from .choosing import tz_of
from .render import STALE


@dataclass(frozen=True)
class Wanted:
    """A scheduled post to compose: a DM subscription's (``user`` set) or a team channel's (``user`` None)."""
    platform: str
    workspace: str
    channel: str
    post_key: str
    user: str | None = None
    track: str | None = None


def daily_drill(coach, platform: str, workspace: str, channel: str, *, user: str | None = None,
                track: str | None = None, post_key: str) -> tuple[int, list[Reply]]:
    """Choose and register the drill for a scheduled post. user given -> a DM subscription: that user's next drill
    (due reviews first). user None -> a team-channel drill, the same for everyone, registered as the channel's current
    post so members' answers (buttons, `answer ...` in that channel, or modal) count toward that channel's leaderboard.
    Idempotent on post_key: calling again with the same key returns the same post id and drill (no second registration)."""
    [got] = daily_drills(coach, [Wanted(platform, workspace, channel, post_key, user, track)])
    if isinstance(got, Exception):
        raise got
    return got


def daily_drills(coach, wanted: list[Wanted]) -> list[tuple[int, list[Reply]] | Exception]:
    """``daily_drill`` for a batch (a scheduled burst composes thousands): what a post needs is read for the
    whole batch at once — a few statements per workspace, not several per post — and the new posts are
    registered in one statement. Returns, in order, (post id, replies) or the exception for that post (a
    library without drills); a failing statement raises for the whole batch."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, want in enumerate(wanted):
        groups.setdefault((want.platform, want.workspace), []).append(i)
    # Chosen before looking for posts already made: a post exists beforehand only after a crash or a
    # race, and then create_posts keeps it (its drill is among the person's recent ones, so the
    # choices after it are those one post after the other would make). One read fewer per batch.
    # Reads and rendering happen outside the write transaction: on SQLite it holds the one write lock,
    # which the scheduler's claims and send results (another thread or process) are waiting for.
    chosen = {key: _choose(coach, *key, [wanted[i] for i in indexes]) for key, indexes in groups.items()}
    posts: dict[tuple[str, str], dict] = {}
    with transaction(coach.db, serialized=False):
        for (platform, workspace), picks in chosen.items():
            new = [(w.channel, w.user or "", drill.id, w.post_key) for w, drill in picks.items()
                   if not isinstance(drill, Exception)]
            made = posts[platform, workspace] = store.create_posts(coach.db, coach.clock(), platform, workspace, new)
            failed = [w.post_key for w, drill in picks.items() if isinstance(drill, Exception)]
            made.update(store.posts_by_keys(coach.db, platform, workspace, failed))  # made before: not failed
    out: list = []
    for want in wanted:
        made = posts[want.platform, want.workspace]
        out.append(_card(coach, made[want.post_key]) if want.post_key in made
                   else chosen[want.platform, want.workspace][want])
    return out


def _choose(coach, platform: str, workspace: str, wanted: list[Wanted]) -> dict:
    """The drill for each post to be made (or LookupError): a person's next drill, a channel's next team drill.
    Each choice is noted before the next, so a person or channel twice in a batch gets two different drills,
    as one post after the other would."""
    people = list(dict.fromkeys(w.user for w in wanted if w.user))
    channels = list(dict.fromkeys(w.channel for w in wanted if not w.user))
    cards = choosing.cards_of(coach.db, platform, workspace, people)
    recent = store.recent_for_users(coach.db, coach.clock(), platform, workspace, people)
    zones = users.user_tzs(coach, platform, workspace, people)
    default_tz = users.workspace_tz(coach, platform, workspace) if people else ""
    posted = store.team_drill_ids_of(coach.db, platform, workspace, channels)
    out: dict = {}
    for want in wanted:
        track = drills.resolve_track(want.track) if want.track else None
        if want.user:
            cutoff = review.stamp(progress.end_of_local_day(coach.clock(), zones[want.user] or default_tz))

            def pick(t, user=want.user, cutoff=cutoff):
                return choosing.choose_for_user(coach, platform, workspace, user, t, cards[user], recent[user],
                                                cutoff)[0]
        else:
            def pick(t, channel=want.channel):
                return choosing.choose_for_channel(coach, platform, workspace, channel, t, posted[channel])
        drill = pick(track)
        if drill is None and track:  # a track with no drills: any drill beats an empty post
            drill = pick(None)
        if drill is None:
            out[want] = LookupError("the library has no drills")
            continue
        out[want] = drill
        if want.user:
            recent[want.user].insert(0, drill.id)
        else:
            posted[want.channel].insert(0, drill.id)
    return out


def _card(coach, post) -> tuple[int, list[Reply]]:
    drill = coach.library.drills.get(post.drill_id)
    if drill is None:
        return post.id, [error(STALE, ephemeral=False)]
    if not post.is_team:
        return post.id, [render.drill_card(coach, drill, post, heading="Your daily drill")]
    note = ("Answer with the buttons or `answer …` in this channel. Results are private to you; "
            "the answer and the leaderboard come later.")
    return post.id, [render.drill_card(coach, drill, post, heading="Team drill", note=note)]


def reveal_post(coach, post_id: int) -> list[Reply]:
    """Team drill reveal: the model answer / correct choice, who answered (names via users.display_name), and the
    channel leaderboard. Idempotent (safe to call twice)."""
    post = store.get_post(coach.db, post_id)
    if post is None:
        return [error("That drill post no longer exists.", ephemeral=False)]
    store.reveal(coach.db, post, coach.clock())
    drill = coach.library.drills.get(post.drill_id)
    if drill is None:
        return [error(STALE, ephemeral=False)]
    who = []
    for user, score, correct, choice in store.answers_to(coach.db, post_id):
        name = users.display_name(coach, post.platform, post.workspace, user)
        who.append(f"{'✅' if correct else '❌'} {name}" + ("" if choice else f" ({score}/100)"))
    fields = render.answer_fields(coach, drill, None, post)
    fields.append(("Answered", ", ".join(who) if who else "Nobody this time."))
    text = f"{drill.prompt}\n\n{drill.explanation}" if drill.explanation else drill.prompt
    replies = [Reply(title=f"Answer · {TRACK_NAMES.get(drill.track, drill.track)}", text=text,
                     fields=tuple(fields), citation=render.citation(coach, drill), kind="result")]
    if post.is_team:
        replies.append(leaderboard(coach, post.platform, post.workspace, post.channel))
    return replies


THREAD_DAYS = 7  # a team drill's thread answers for it this long (the reveal comes the same day)


def thread_post(coach, req):
    """The team drill whose thread this message is in, if it is in one (a Post, or None)."""
    if req.is_dm or not req.thread:
        return None
    since = (coach.clock() - timedelta(days=THREAD_DAYS)).date().isoformat()
    return store.team_post_in_thread(coach.db, req.platform, req.workspace, req.channel, req.thread, since)


SPOILER_NOTE = "_Only you can see this: it answers the team drill that is open in this channel._"


def screen_replies(coach, req, replies: list[Reply]) -> list[Reply]:
    """While a team drill is open in this channel, a reply quoting the section the drill comes
    from (an `ask`, `more`, a related-question button) goes only to the person who asked."""
    if req.is_dm or not any(r.citation and not r.ephemeral for r in replies):
        return replies
    # in a team drill's thread (on Discord a channel of its own), that drill; else the channel's latest
    post = thread_post(coach, req) or store.latest_team_post(coach.db, req.platform, req.workspace, req.channel)
    drill = coach.library.drills.get(post.drill_id) if post and not post.revealed_at else None
    if drill is None:
        return replies
    if not any(r.citation and _gives_away(drill, r) for r in replies):
        return replies
    return [replace(r, ephemeral=True, text=f"{r.text}\n\n{SPOILER_NOTE}" if r.citation and not r.ephemeral
                    else r.text) for r in replies]


def _gives_away(drill, reply: Reply) -> bool:
    """From the drill's own section, or saying most of its answer (the correct choice, or the words of
    most key points) from another place: a summary section can restate it."""
    if reply.citation.article != drill.article:
        return False
    if reply.citation.section == drill.section:
        return True
    said = set(tokens(f"{reply.title} {reply.text}"))
    if drill.type == "mcq":
        needed = [set(tokens(drill.answer))]
    else:
        needed = [set(tokens(p.point)) for p in drill.key_points]
    found = sum(1 for words in needed if words and len(words & said) >= 0.6 * len(words))
    return found * 2 > len(needed) if needed else False


def _board_lines(coach, platform: str, workspace: str, rows, limit: int = 10) -> str:
    medals = ["🥇", "🥈", "🥉"]
    lines = []
    for i, (user, pts, n) in enumerate(rows[:limit]):
        mark = medals[i] if i < 3 else f"{i + 1}."
        name = users.display_name(coach, platform, workspace, user)
        lines.append(f"{mark} {name} — {pts} pts ({n} drill{'s' if n != 1 else ''})")
    return "\n".join(lines) or "No answers yet."


def leaderboard(coach, platform: str, workspace: str, channel: str) -> Reply:
    tz = progress.channel_tz(coach, platform, workspace, channel)
    since = progress.week_start(coach.clock(), tz)
    week = progress.board(coach.db, platform, workspace, channel, since=since)
    ever = progress.board(coach.db, platform, workspace, channel)
    return Reply(title="Leaderboard",
                 text=f"This channel's team drills, counted once revealed and once per person per drill (your own "
                      f"drills score nothing here). A correct choice is 10 pts; an open answer scores its grade ÷ 10. "
                      f"The week starts Monday 00:00 ({tz}).",
                 fields=(("This week", _board_lines(coach, platform, workspace, week)),
                         ("All time", _board_lines(coach, platform, workspace, ever))),
                 kind="leaderboard")


def weekly_digest(coach, platform: str, workspace: str, channel: str) -> list[Reply]:
    """Monday digest for a channel: last week's drills, participation, top 3, streak highlights;
    [] when the channel had no team drills last week (the scheduler then records the digest as skipped)."""
    tz = progress.channel_tz(coach, platform, workspace, channel)
    until = progress.week_start(coach.clock(), tz)
    since = until - timedelta(days=7)
    posts = coach.db.execute(
        "SELECT p.id, p.drill_id, p.created_at, COUNT(a.id) FROM practice_posts p LEFT JOIN practice_attempts a "
        "ON a.post_id = p.id AND a.kind = 'answer' WHERE p.platform = ? AND p.workspace = ? AND p.channel = ? "
        "AND p.user = '' AND p.created_at >= ? AND p.created_at < ? GROUP BY p.id ORDER BY p.id",
        [platform, workspace, channel, stamp(since), stamp(until)]).fetchall()
    if not posts:
        return []  # nothing to say (a new subscription's first Monday): no "0 team drills" post
    zone = ZoneInfo(tz)
    lines = []
    for _, drill_id, created, n in posts:
        drill = coach.library.drills.get(drill_id)
        day = review.parse_stamp(created).astimezone(zone).strftime("%a")
        prompt = drill.prompt if drill else drill_id
        prompt = prompt if len(prompt) <= 70 else prompt[:69].rsplit(" ", 1)[0] + "…"
        lines.append(f"- {day}: {prompt} — {n} answered")
    top = progress.board(coach.db, platform, workspace, channel, since=since, until=until)
    people = {u for u, _, _ in top}
    streaks = sorted(((progress.current_streak(coach.db, platform, workspace, u, coach.clock(),
                                               tz_of(coach, platform, workspace, u)), u) for u in people),
                     key=lambda s: (-s[0], s[1]))
    hot = [f"🔥 {users.display_name(coach, platform, workspace, u)}: {n} days" for n, u in streaks if n >= 3]
    answers = sum(n for *_, n in posts)
    # the people behind those answers, not everyone on the board (which counts own drills too)
    answerers = coach.db.execute(
        "SELECT COUNT(DISTINCT user) FROM practice_attempts WHERE kind = 'answer' AND post_id IN "
        f"({','.join('?' * len(posts))})", [p[0] for p in posts]).fetchone()[0]
    summary = (f"{len(posts)} team drill{'s' if len(posts) != 1 else ''}, {answers} answer{'s' if answers != 1 else ''} "
               f"from {answerers} {'person' if answerers == 1 else 'people'}.")
    return [Reply(title=f"Last week in practice ({since.strftime('%d %b')} – "
                        f"{(until - timedelta(days=1)).strftime('%d %b')})",
                  text=summary,
                  fields=(("Drills", "\n".join(lines)),
                          ("Top 3", _board_lines(coach, platform, workspace, top, limit=3)),
                          ("Streaks", "\n".join(hot) or "No streaks of 3+ days yet — a drill a day starts one.")),
                  kind="leaderboard")]
