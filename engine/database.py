"""The database connection, its transactions and the column type every moment is stored in. One transaction per
state change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any, ClassVar, Protocol, TypeVar, cast

from sqlalchemy import DateTime, Table, Update, bindparam, create_engine, event, update
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.types import TypeDecorator


class Base(DeclarativeBase):
    """The metadata every table belongs to (engine/store.py, engine/people/records.py)."""


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no offset, and comparisons must not mix kinds."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None



def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


T = TypeVar("T", bound=Base)


def held_as_loaded(session: Session, written: T) -> T:
    """An object whose row a Core statement has just written, held by the session as if loaded from that row:
    what the transaction changes on it afterwards is tracked and written like any other change."""
    make_transient_to_detached(written)
    session.add(written)
    return written


@cache
def _checked_update(table: Table, columns: tuple[str, ...]) -> Update:
    """Built once per table and set of columns: a column written unchanged would still rewrite its index's page."""
    return (
        update(table)
        .where(table.c.id == bindparam("the_id"), table.c.revision == bindparam("old_revision"))
        .values({column: bindparam(f"new_{column}") for column in (*columns, "revision")})
    )


class Revised(Protocol):
    """A mapped object whose row carries a revision, moved by every change of it."""

    __table__: ClassVar[Any]
    id: Any
    revision: int


def write_checked(session: Session, row: Revised, values: dict[str, Any]) -> None:
    """`values` written to the row of `row` at once by one Core statement that checks and moves its revision, so
    that of two racing changes exactly one writes; the object then holds them (and its revision) as committed."""
    table = cast(Table, row.__table__)
    old = row.revision
    written = session.connection().execute(_checked_update(table, tuple(values)), {
        **{f"new_{column}": value for column, value in values.items()},
        "new_revision": old + 1, "the_id": row.id, "old_revision": old})
    if written.rowcount != 1:
        raise StaleDataError(f"{table.name} row {row.id} was changed by another transaction")
    for column, value in {**values, "revision": old + 1}.items():
        set_committed_value(row, column, value)


class Database:
    """The engine and its session factory for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        session = self.session_factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
