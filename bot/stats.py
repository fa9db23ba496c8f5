"""A person's practice at a glance — one content for `stats`, the Slack Home tab and Discord's
`/stats` embed: streak (with freezes), today's goal, reviews due, accuracy per track, weak areas
and a 4-week calendar."""
from __future__ import annotations

from dataclasses import dataclass

from . import habit, progress, review, study
from .messages import Reply


@dataclass(frozen=True)
class Overview:
    tz: str
    stats: progress.Stats
    goal: int
    due: int
    weak: str  # weak areas as text lines
    remind: str  # the reminder, in words

    @property
    def streak_line(self) -> str:
        s = self.stats
        if s.current:
            line = f"🔥 {s.current}-day streak (longest {s.longest})"
            if not s.today_done:
                line += " — practise today to keep it going"
        elif s.longest:
            line = f"No streak yet (longest {s.longest}). One drill today starts one."
        else:
            line = "No streak yet. One drill today starts one."
        return line

    @property
    def freeze_line(self) -> str:
        s = self.stats
        parts = []
        if s.frozen:
            last = max(s.frozen)
            parts.append(f"🧊 A streak freeze covered {last:%a %d %b}" +
                         (f" ({len(s.frozen)} days in all)" if len(s.frozen) > 1 else "") + ".")
        parts.append(f"Freezes banked: {s.banked}/{progress.MAX_FREEZES} "
                     f"(one for every {progress.FREEZE_EVERY} days in a row; a missed day uses one).")
        return " ".join(parts)

    @property
    def goal_line(self) -> str:
        n, goal = self.stats.today_count, self.goal
        mark = "✅" if n >= goal else "🎯"
        return f"{mark} {min(n, goal)}/{goal} drill{'s' if goal != 1 else ''} today" + \
            (f" ({n} done)" if n > goal else "")

    @property
    def accuracy(self) -> str:
        return "\n".join(
            f"{progress.track_label(t)}: {passed}/{n} correct ({round(100 * passed / n)}%), average score {avg}"
            for t, (n, passed, avg) in sorted(self.stats.by_track.items())) or "No answers yet."

    @property
    def due_text(self) -> str:
        return f"{self.due} due today" + (" — type `review`" if self.due else "")


def overview(coach, platform: str, workspace: str, user: str, tz: str) -> Overview:
    now = coach.clock()
    s = progress.user_stats(coach.db, platform, workspace, user, now, tz)
    due = [d for d in review.due_ids(coach.db, platform, workspace, user, progress.end_of_local_day(now, tz))
           if d in coach.library.drills]
    settings = habit.settings(coach.db, platform, workspace, user)
    weak = study.weak_text(coach, study.weak_areas(coach, platform, workspace, user))
    remind = f"on at {settings.remind_text}" if settings.remind else "off (`remind on`)"
    return Overview(tz, s, settings.goal, len(due), weak, remind)


def stats_reply(coach, platform: str, workspace: str, user: str, tz: str, *, ephemeral: bool) -> Reply:
    o = overview(coach, platform, workspace, user, tz)
    return Reply(title="Your practice", text=f"{o.streak_line}\n{o.freeze_line}\n_Days are counted in {tz}._",
                 fields=(("Today's goal", o.goal_line), ("Drills done", str(o.stats.done)),
                         ("Reviews", o.due_text), ("Accuracy", o.accuracy), ("Weak areas", o.weak),
                         ("Last 4 weeks", o.stats.calendar)),
                 ephemeral=ephemeral, kind="stats")
