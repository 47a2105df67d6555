"""Where the repository is, from this file's own location (works from any current folder)."""

from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent.parent
REPO_ROOT = SCRIPTS.parent
MIGRATIONS = REPO_ROOT / "sql" / "migrations"
