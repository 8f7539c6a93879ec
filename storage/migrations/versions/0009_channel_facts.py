"""channel facts (Slack Connect state without a conversations.info per post); the checklist's hash

- `channel_fact`: whether a channel is shared with another organisation (or
  pending), as Slack last said, and when; kept true by channel events, re-checked
  when old (bot.channels).
- `project.checklist_hash`: what the live checklist message shows, so it is
  edited only when that changes. Plain ADD COLUMN: the lock triggers stay.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_fact",
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("ext_shared", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("checked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel_id"),
    )
    op.create_index("ix_channel_fact_checked_at", "channel_fact", ["checked_at"], unique=False)
    op.add_column("project", sa.Column("checklist_hash", sqlmodel.sql.sqltypes.AutoString(length=64),
                                       nullable=True))


def downgrade() -> None:
    op.drop_column("project", "checklist_hash")  # plain DROP COLUMN (SQLite >= 3.35): the triggers stay
    op.drop_index("ix_channel_fact_checked_at", table_name="channel_fact")
    op.drop_table("channel_fact")
