"""a project's public-holiday calendar

The checks read public holidays from the project's calendar ("US", "US-MA");
NULL means the bot's DEFAULT_CALENDAR.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("calendar", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.drop_column("calendar")
