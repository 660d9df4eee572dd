"""Notices per task and lane, reminders, the mail outbox, supervision.

Reminders are rows of `timers` of kind "reminder" (no schema change); this adds the e-mail preference per
person, the outbox of mail with its delivery attempts, and the one start per month of a periodic process.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from engine.database import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_preferences",
        sa.Column("username", sa.String(80), primary_key=True),
        sa.Column("by_mail", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_mail_outbox_sent_next", "mail_outbox", ["sent_at", "next_attempt_at"])
    op.create_table(
        "period_starts",
        sa.Column("process_id", sa.String(200), primary_key=True),
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("instances.id"), nullable=False),
        sa.Column("started_by", sa.String(80), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("period_starts")
    op.drop_index("ix_mail_outbox_sent_next", table_name="mail_outbox")
    op.drop_table("mail_outbox")
    op.drop_table("notice_preferences")
