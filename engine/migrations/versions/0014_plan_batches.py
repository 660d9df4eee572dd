"""Plans start their items in batches: the queue of a plan's items and how far it has come.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from engine.store import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_runs",
        sa.Column("plan_id", sa.Integer(), sa.ForeignKey("instances.id"), primary_key=True),
        sa.Column("definition_id", sa.Integer(), sa.ForeignKey("definitions.id"), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("shared", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("started", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_plan_runs_finished_at", "plan_runs", ["finished_at"])
    op.create_table(
        "plan_items",
        sa.Column("plan_id", sa.Integer(), sa.ForeignKey("plan_runs.plan_id"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("item", sa.JSON(), nullable=False),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("instances.id"), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("plan_items")
    op.drop_index("ix_plan_runs_finished_at", "plan_runs")
    op.drop_table("plan_runs")
