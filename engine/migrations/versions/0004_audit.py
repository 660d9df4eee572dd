"""Auditors' global event chain: every event also links to the event before it in id order, and one row
holds the chain's head.

Existing events are linked in order of id. Events are append-only (triggers), so the triggers are dropped
for the backfill and created again in the same migration.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

GENESIS = "0" * 64

DROP_APPEND_ONLY = {
    "sqlite": ["DROP TRIGGER events_no_update", "DROP TRIGGER events_no_delete"],
    "postgresql": ["DROP TRIGGER events_no_change ON events"],
}
CREATE_APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
        "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
        "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
        "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
    ],
    "postgresql": [
        "CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events "
        "FOR EACH ROW EXECUTE FUNCTION events_append_only()",
    ],
}


def global_digest(prev: str, event_hash: str) -> str:
    """Must equal engine.audit.events.global_digest (kept here so the migration never changes with the code)."""
    return hashlib.sha256(f"{prev}:{event_hash}".encode("ascii")).hexdigest()


def _link_existing_events(connection: sa.Connection) -> tuple[str, int | None]:
    events = sa.table("events", sa.column("id", sa.Integer), sa.column("hash", sa.String),
                      sa.column("global_prev_hash", sa.String), sa.column("global_hash", sa.String))
    head, last_id = GENESIS, None
    rows = connection.execute(sa.select(events.c.id, events.c.hash).order_by(events.c.id)).all()
    for event_id, event_hash in rows:
        linked = global_digest(head, event_hash)
        connection.execute(
            events.update().where(events.c.id == event_id).values(global_prev_hash=head, global_hash=linked)
        )
        head, last_id = linked, event_id
    return head, last_id


def upgrade() -> None:
    connection = op.get_bind()
    dialect = connection.dialect.name
    for statement in DROP_APPEND_ONLY[dialect]:
        op.execute(statement)
    # SQLite adds NOT NULL columns only with a default; PostgreSQL drops it again below.
    op.add_column("events", sa.Column("global_prev_hash", sa.String(64), nullable=False, server_default=""))
    op.add_column("events", sa.Column("global_hash", sa.String(64), nullable=False, server_default=""))
    head, last_id = _link_existing_events(connection)
    if dialect == "postgresql":
        op.alter_column("events", "global_prev_hash", server_default=None)
        op.alter_column("events", "global_hash", server_default=None)
    for statement in CREATE_APPEND_ONLY[dialect]:
        op.execute(statement)
    chain_head = op.create_table(
        "event_chain_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=True),
    )
    op.bulk_insert(chain_head, [{"id": 1, "hash": head, "last_event_id": last_id}])


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_table("event_chain_head")
    for statement in DROP_APPEND_ONLY[dialect]:
        op.execute(statement)
    with op.batch_alter_table("events") as batch:
        batch.drop_column("global_hash")
        batch.drop_column("global_prev_hash")
    for statement in CREATE_APPEND_ONLY[dialect]:
        op.execute(statement)
