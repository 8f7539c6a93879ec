"""a project's own closed dates

Dates the biller's channel is closed besides public holidays, as the checks
read them: comma-separated "MM-DD" (every year) or "YYYY-MM-DD" (once);
NULL means none.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("closed_dates", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.drop_column("closed_dates")
