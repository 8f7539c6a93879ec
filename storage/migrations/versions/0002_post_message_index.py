"""index the outbox by the Slack message it became

Reactions on an alert arrive with the message's channel and ts; this finds
the post (and so the alert) without scanning the outbox.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_post_channel_ts", "post", ["channel_id", "ts"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_post_channel_ts", table_name="post")
