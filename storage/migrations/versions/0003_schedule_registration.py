"""the project's schedule sheet, its closing report, and cancellation

Three nullable columns on `project`, added in place (ALTER TABLE ADD COLUMN,
no table copy), so the lock triggers of 0001 stay as they are: a completed or
cancelled project still refuses every change, its report included.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("project", sa.Column("schedule_sheet_id", sa.BigInteger(), nullable=True))
    op.add_column("project", sa.Column("closing_report", sa.JSON(), nullable=True))
    op.add_column("project", sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=2000),
                                       nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("project", recreate="never") as b:
        b.drop_column("cancel_reason")
        b.drop_column("closing_report")
        b.drop_column("schedule_sheet_id")
