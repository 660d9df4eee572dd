"""Incidents: errors in steps the engine runs by itself, listed and retried.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("instances.id"), nullable=True),
        sa.Column("process_id", sa.String(200), nullable=False),
        sa.Column("element_id", sa.String(200), nullable=False),
        sa.Column("element_name", sa.String(300), nullable=False),
        sa.Column("task_id", sa.String(36), nullable=True),
        sa.Column("timer_id", sa.Integer(), sa.ForeignKey("timers.id"), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=True),
    )
    op.create_index("ix_incidents_instance_id", "incidents", ["instance_id"])
    op.create_index("ix_incidents_status_opened", "incidents", ["status", "opened_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_status_opened", table_name="incidents")
    op.drop_index("ix_incidents_instance_id", table_name="incidents")
    op.drop_table("incidents")
