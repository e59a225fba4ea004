"""The Alembic migrations build exactly the schema the models declare; the row count of a claim."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, delete, update
from sqlalchemy.engine import IteratorResult
from sqlalchemy.engine.result import SimpleResultMetaData
from sqlalchemy.orm import Session

from openkyc.db import make_engine, rows_matched, upgrade_schema
from openkyc.models import Base


def test_migrations_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    upgrade_schema(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_upgrading_twice_is_harmless(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    upgrade_schema(engine)
    upgrade_schema(engine)


def test_rows_matched_counts_what_an_update_or_delete_matched(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'count.db'}")
    table = Table("t", MetaData(), Column("n", Integer))
    table.create(engine)
    with Session(engine) as session:
        session.execute(table.insert(), [{"n": 1}, {"n": 2}, {"n": 2}])
        assert rows_matched(session.execute(update(table).where(table.c.n == 2).values(n=3))) == 2
        assert rows_matched(session.execute(update(table).where(table.c.n == 9).values(n=3))) == 0
        assert rows_matched(session.execute(delete(table))) == 3
        with pytest.raises(TypeError, match="not an UPDATE or DELETE"):
            rows_matched(IteratorResult(SimpleResultMetaData(["n"]), iter([(1,)])))  # rows, not a count
    engine.dispose()
