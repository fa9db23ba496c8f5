"""Daily drill subscriptions. PLACEHOLDER (issue 5)."""
from .storage import Migrations

MIGRATIONS = Migrations("subscriptions")
COMMANDS: list = []
ACTIONS: dict = {}
