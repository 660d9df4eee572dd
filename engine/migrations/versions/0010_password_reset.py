"""Password reset links sent by e-mail: single use, expiring.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from engine.database import UTCDateTime

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("used_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_password_resets_address", "password_resets", ["address", "requested_at"])
    op.create_index("ix_password_resets_user", "password_resets", ["user_id", "requested_at"])


def downgrade() -> None:
    op.drop_index("ix_password_resets_user", "password_resets")
    op.drop_index("ix_password_resets_address", "password_resets")
    op.drop_table("password_resets")
