"""Alembic environment: the URL comes from the caller (engine.schema) or from sopflow's settings."""

from alembic import context
from sqlalchemy import create_engine

import engine.store  # noqa: F401  (registers every table on the metadata)
from engine.database import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or ""
if not url:
    from engine.config import load_settings

    url = load_settings().database_url


def run_migrations() -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()


run_migrations()
