import sqlite3

import pytest

from clickclack.store import migrate
from clickclack.store.connection import open_read, open_write


def test_migrations_apply_once_and_are_recorded(tmp_path):
    conn = open_write(tmp_path / "db.sqlite")
    names = [m.name for m in migrate.available()]
    assert names and names == sorted(names)
    assert migrate.apply(conn) == names
    assert migrate.applied(conn) == names
    assert migrate.apply(conn) == []  # idempotent
    assert migrate.pending(conn) == []


def test_a_failing_migration_leaves_nothing_behind(tmp_path):
    d = tmp_path / "schema"
    d.mkdir()
    (d / "0001_ok.sql").write_text("CREATE TABLE a (x INTEGER);\n")
    (d / "0002_bad.sql").write_text("CREATE TABLE b (x INTEGER);\nINSERT INTO nope VALUES (1);\n")
    conn = open_write(tmp_path / "db.sqlite")
    with pytest.raises(sqlite3.OperationalError):
        migrate.apply(conn, d)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "a" in tables and "b" not in tables  # 0002's CREATE was rolled back with it
    assert migrate.applied(conn) == ["0001_ok"]


def test_pending_does_not_write(tmp_path):
    path = tmp_path / "db.sqlite"
    open_write(path).close()
    ro = open_read(path)
    assert [m.name for m in migrate.pending(ro)] == [m.name for m in migrate.available()]


def test_read_connections_refuse_writes(tmp_path):
    path = tmp_path / "db.sqlite"
    migrate.apply(open_write(path))
    ro = open_read(path)
    with pytest.raises(sqlite3.OperationalError):
        ro.execute("INSERT INTO users (id, display_name, created_at) VALUES ('u', 'x', 'y')")


def test_write_connection_pragmas(tmp_path):
    conn = open_write(tmp_path / "db.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL by default (D10)
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    normal = open_write(tmp_path / "n.sqlite", synchronous="NORMAL")
    assert normal.execute("PRAGMA synchronous").fetchone()[0] == 1
