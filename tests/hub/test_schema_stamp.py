"""The hub skips alembic at start when its own scripts already migrated the database.

Importing alembic was ~100 ms of a ~1.1 s start (issue 19 asks for ≤ 0.5 s). The stamp in
`PRAGMA user_version` must never let a database that needs a migration through.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hub.store import engine
from hub.store.engine import migrate, schema_stamp

PROBE = """
import sys
from pathlib import Path
from hub.store.engine import migrate
migrate(Path(sys.argv[1]))
print("alembic" in sys.modules)
"""


# start_migration forks only from a single-threaded process: a fresh interpreter. Prints
# whether a child migrated (False: nothing to do, or it could not) and whether the parent
# imported alembic.
CHILD_PROBE = """
import sys
from pathlib import Path
from hub.store.engine import start_migration
child = start_migration(Path(sys.argv[1]))
print(child.wait() if child is not None else False, "alembic" in sys.modules)
"""


def migrate_in_child_probe(db: Path) -> tuple[str, str]:
    done = subprocess.run([sys.executable, "-c", CHILD_PROBE, str(db)], capture_output=True,
                          text=True, check=True, timeout=60)
    migrated, alembic = done.stdout.split()
    return migrated, alembic


def user_version(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def alembic_imported_by_migrate(db: Path) -> bool:
    done = subprocess.run([sys.executable, "-c", PROBE, str(db)], capture_output=True,
                          text=True, check=True, timeout=60)
    return done.stdout.strip() == "True"


def test_a_database_these_scripts_migrated_starts_without_alembic(tmp_path: Path) -> None:
    db = tmp_path / "hub.sqlite3"
    assert alembic_imported_by_migrate(db), "a new database goes through alembic"
    assert user_version(db) == schema_stamp()
    assert not alembic_imported_by_migrate(db), "the second start has nothing to migrate"


def test_a_database_without_this_stamp_is_migrated_to_head(tmp_path: Path) -> None:
    """An older release's database (stamp 0, schema 0655): upgraded, table added, stamped."""
    db = tmp_path / "hub.sqlite3"
    migrate(db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0655'")
        conn.execute("DROP TABLE sold_out")
        conn.execute("PRAGMA user_version = 0")
    assert alembic_imported_by_migrate(db)
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        head = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert "sold_out" in tables and head == "0910"
    assert user_version(db) == schema_stamp()


def test_any_change_to_the_scripts_changes_the_stamp(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(engine.MIGRATIONS, copy)
    monkeypatch.setattr(engine, "MIGRATIONS", copy)
    before = schema_stamp()
    script = next(iter(sorted((copy / "versions").glob("*.py"))))
    script.write_text(script.read_text() + "\n# edited\n")
    edited = schema_stamp()
    (copy / "versions" / "9999_new.py").write_text("revision = '9999'\n")
    assert len({before, edited, schema_stamp()}) == 3


def test_a_new_database_is_migrated_in_a_child_and_the_parent_never_imports_alembic(
        tmp_path: Path) -> None:
    db = tmp_path / "hub.sqlite3"
    assert migrate_in_child_probe(db) == ("True", "False")
    assert user_version(db) == schema_stamp()
    with sqlite3.connect(db) as conn:
        head = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert head == "0910"
    assert migrate_in_child_probe(db) == ("False", "False"), "nothing left to migrate"


def test_a_migration_the_child_cannot_do_is_left_to_the_caller_unchanged(tmp_path: Path) -> None:
    """The child fails (a revision these scripts do not know): False, and the database is
    as it was, so the in-process migrate raises alembic's own error, as before."""
    db = tmp_path / "hub.sqlite3"
    migrate(db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
        conn.execute("PRAGMA user_version = 0")
    assert migrate_in_child_probe(db) == ("False", "False")
    assert user_version(db) == 0
    from alembic.util.exc import CommandError

    with pytest.raises(CommandError, match="9999"):
        migrate(db)
