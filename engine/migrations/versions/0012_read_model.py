"""Pages flat at 100,000 items (issue 14 §2): an index in the inbox's order over open work items, carrying what
its counts read; finished items keep their history, not a live workflow state (replay rebuilds it from the log).

The dropped states cannot come back on downgrade: `sopflow audit replay` rebuilds any of them from the event log.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('ready', 'claimed')")
COLUMNS = ["role", "due_at", "ready_at", "instance_id", "id", "claimed_by", "opd", "lane"]


def upgrade() -> None:
    op.create_index("ix_work_items_open_role_due", "work_items", COLUMNS, sqlite_where=OPEN, postgresql_where=OPEN)
    op.execute("UPDATE instances SET state = '' WHERE status = 'completed'")


def downgrade() -> None:
    op.drop_index("ix_work_items_open_role_due", table_name="work_items")
