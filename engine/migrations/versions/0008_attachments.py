"""Attachments that can be removed or replaced while their step is open: who removed one, when and why.
The row and the file stay for the audit record.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from engine.database import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("removed_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("removed_by", sa.String(80), nullable=True))
        batch.add_column(sa.Column("removal_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("removal_reason")
        batch.drop_column("removed_by")
        batch.drop_column("removed_at")
