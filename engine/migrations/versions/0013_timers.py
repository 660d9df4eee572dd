"""Timers wake other processes: on PostgreSQL, a trigger sends NOTIFY sopflow_timers (the timer's id) when a
row becomes pending or a pending row's due time moves, in the writing transaction (delivered at its commit).
SQLite has no such channel: its schedulers find other processes' timers at their resync.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION sopflow_timer_pending() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.status = 'pending' THEN
                PERFORM pg_notify('sopflow_timers', NEW.id::text);
            END IF;
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER timers_notify AFTER INSERT OR UPDATE OF due_at, status ON timers
        FOR EACH ROW EXECUTE FUNCTION sopflow_timer_pending()
    """)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER timers_notify ON timers")
    op.execute("DROP FUNCTION sopflow_timer_pending()")
