"""Drills: serve, grade, review (FSRS), stats, leaderboards. PLACEHOLDER (issue 4)."""
from .storage import Migrations

MIGRATIONS = Migrations("practice")
COMMANDS: list = []
ACTIONS: dict = {}
