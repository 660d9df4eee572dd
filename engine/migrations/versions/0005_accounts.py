"""Offices as master data, API token life cycle, login attempts, sessions that can be ended.

Every office name already stored (users, instances, work items) enters the master list, so existing rows stay
valid. Existing tokens keep no expiry; new ones get one.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from engine.clock import SystemClock
from engine.database import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SHORT_NAME_LENGTH = 40


def _backfill_offices(connection: sa.Connection) -> None:
    offices = sa.table("offices", sa.column("name", sa.String), sa.column("short_name", sa.String),
                       sa.column("active", sa.Boolean), sa.column("created_at", UTCDateTime()))
    names: set[str] = set()
    for table in ("users", "instances", "work_items"):
        column = sa.column("opd", sa.String)
        rows = connection.execute(sa.select(column).select_from(sa.table(table, column)).distinct())
        names.update(str(name) for (name,) in rows if name)
    now = SystemClock().now()
    for name in sorted(names):
        connection.execute(offices.insert().values(name=name, short_name=name[:SHORT_NAME_LENGTH], active=True,
                                                   created_at=now))


def upgrade() -> None:
    op.create_table(
        "offices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("short_name", sa.String(SHORT_NAME_LENGTH), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    _backfill_offices(op.get_bind())
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("attempted_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_login_attempts_account", "login_attempts", ["username", "attempted_at"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("last_used_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("last_used_at")
        batch.drop_column("expires_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_epoch")
    op.drop_index("ix_login_attempts_account", "login_attempts")
    op.drop_table("login_attempts")
    op.drop_table("offices")
