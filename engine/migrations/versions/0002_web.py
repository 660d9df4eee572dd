"""Several roles per user, API tokens, attachments, comments; instances know their plan, title and OPD.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from engine.database import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("role", sa.String(80), primary_key=True, index=True),
    )
    op.execute("INSERT INTO user_roles (user_id, role) SELECT id, role FROM users")
    with op.batch_alter_table("users") as batch:
        batch.drop_index("ix_users_role")
        batch.drop_column("role")
    with op.batch_alter_table("instances") as batch:
        parent = sa.ForeignKey("instances.id", name="fk_instances_parent_id")
        batch.add_column(sa.Column("parent_id", sa.Integer(), parent, nullable=True))
        batch.add_column(sa.Column("title", sa.String(300), nullable=True))
        batch.add_column(sa.Column("opd", sa.String(200), nullable=True))
        batch.create_index("ix_instances_parent_id", ["parent_id"])
        batch.create_index("ix_instances_opd", ["opd"])
    with op.batch_alter_table("work_items") as batch:
        batch.add_column(sa.Column("dip_class", sa.String(40), nullable=True))
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("instances.id"), nullable=False, index=True),
        sa.Column("task_id", sa.String(36), nullable=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("stored_name", sa.String(64), nullable=False, unique=True),
        sa.Column("uploaded_by", sa.String(80), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("instances.id"), nullable=False, index=True),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("comments", "attachments", "api_tokens"):
        op.drop_table(table)
    with op.batch_alter_table("work_items") as batch:
        batch.drop_column("dip_class")
    with op.batch_alter_table("instances") as batch:
        batch.drop_index("ix_instances_opd")
        batch.drop_index("ix_instances_parent_id")
        for column in ("opd", "title", "parent_id"):
            batch.drop_column(column)
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("role", sa.String(80), nullable=False, server_default=""))
        batch.create_index("ix_users_role", ["role"])
    op.execute("UPDATE users SET role = (SELECT MIN(role) FROM user_roles WHERE user_roles.user_id = users.id)")
    op.drop_table("user_roles")
