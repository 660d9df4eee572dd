"""An open work item carries its task's data, so that the task's page needs no workflow.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows of open tasks written before keep NULL: their page reads the workflow, as before.
    op.add_column("work_items", sa.Column("data", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("work_items", "data")
