"""initial schema and the completion lock

The lock: once a project is complete (locked), the database itself refuses
any change to it and to the rows that belong to it, whatever SQL is sent.
The audit trail is append-only.

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 22:42:57.133745
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('surface', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_project_id'), ['project_id'], unique=False)

    op.create_table('post',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('thread_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_project_id'), ['project_id'], unique=False)

    op.create_table('project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('biller_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('addon', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('pay_channel', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('golive', sa.Date(), nullable=False),
    sa.Column('projected_per_day', sa.Float(), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('shared_channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('manager_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('specialist_ids', sa.JSON(), nullable=False),
    sa.Column('tz', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('checklist_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('completed_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('completed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('schedule_confirmed', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.create_index('ix_project_biller', ['biller_id'], unique=False)
        batch_op.create_index('ix_project_channel', ['channel_id'], unique=False)
        batch_op.create_index('uq_project_open_channel', ['channel_id'], unique=True, sqlite_where=sa.text('locked = 0'), postgresql_where=sa.text('NOT locked'))

    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('check_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('severity', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('acted_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('acted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'check_id', 'local_date', name='uq_alert_day')
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_project_id'), ['project_id'], unique=False)

    op.create_table('daily_summary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('source_ok', sa.Boolean(), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('posted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'local_date', name='uq_summary_day')
    )
    with op.batch_alter_table('daily_summary', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_daily_summary_project_id'), ['project_id'], unique=False)

    op.create_table('handoff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('sent_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('acknowledged_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('acknowledged_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handoff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_project_id'), ['project_id'], unique=False)

    op.create_table('item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('source_alert_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('resolved_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('resolved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'number', name='uq_item_number')
    )
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_project_id'), ['project_id'], unique=False)

    op.create_table('step_state',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('project_id', 'step')
    )
    op.create_table('cs_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('slack_permalink', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('cs_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cs_case_project_id'), ['project_id'], unique=False)

    create_lock_triggers()


def downgrade() -> None:
    drop_lock_triggers()
    with op.batch_alter_table('cs_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cs_case_project_id'))

    op.drop_table('cs_case')
    op.drop_table('step_state')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_project_id'))

    op.drop_table('item')
    with op.batch_alter_table('handoff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_project_id'))

    op.drop_table('handoff')
    with op.batch_alter_table('daily_summary', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_daily_summary_project_id'))

    op.drop_table('daily_summary')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_project_id'))

    op.drop_table('alert')
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index('uq_project_open_channel', sqlite_where=sa.text('locked = 0'), postgresql_where=sa.text('NOT locked'))
        batch_op.drop_index('ix_project_biller')
        batch_op.drop_index('ix_project_channel')

    op.drop_table('project')
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_project_id'))

    op.drop_table('post')
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_project_id'))

    op.drop_table('audit')


# ---- the completion lock, in the database ---------------------------------
LOCKED_MSG = "project is complete and locked"
CHILD_TABLES = ("step_state", "item", "cs_case", "handoff", "daily_summary", "alert")


def create_lock_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION addon_refuse_locked_project() RETURNS trigger AS $$
            BEGIN
              IF OLD.locked THEN
                RAISE EXCEPTION '{LOCKED_MSG} (project %)', OLD.id USING ERRCODE = 'P0001';
              END IF;
              IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql""")
        op.execute("""CREATE TRIGGER project_lock BEFORE UPDATE OR DELETE ON project
                      FOR EACH ROW EXECUTE FUNCTION addon_refuse_locked_project()""")
        op.execute(f"""
            CREATE FUNCTION addon_refuse_locked_child() RETURNS trigger AS $$
            BEGIN
              IF TG_OP IN ('UPDATE', 'DELETE')
                 AND EXISTS (SELECT 1 FROM project WHERE id = OLD.project_id AND locked) THEN
                RAISE EXCEPTION '{LOCKED_MSG} (project %)', OLD.project_id USING ERRCODE = 'P0001';
              END IF;
              IF TG_OP IN ('INSERT', 'UPDATE')
                 AND EXISTS (SELECT 1 FROM project WHERE id = NEW.project_id AND locked) THEN
                RAISE EXCEPTION '{LOCKED_MSG} (project %)', NEW.project_id USING ERRCODE = 'P0001';
              END IF;
              IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql""")
        for t in CHILD_TABLES:
            op.execute(f"""CREATE TRIGGER {t}_lock BEFORE INSERT OR UPDATE OR DELETE ON {t}
                           FOR EACH ROW EXECUTE FUNCTION addon_refuse_locked_child()""")
        op.execute("""
            CREATE FUNCTION addon_audit_append_only() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'P0001';
            END $$ LANGUAGE plpgsql""")
        op.execute("""CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
                      FOR EACH ROW EXECUTE FUNCTION addon_audit_append_only()""")
        return

    raise_locked = f"SELECT RAISE(ABORT, '{LOCKED_MSG}');"
    locked = "(SELECT locked FROM project WHERE id = {}.project_id) = 1"
    op.execute(f"""CREATE TRIGGER project_lock_update BEFORE UPDATE ON project
                   WHEN OLD.locked = 1 BEGIN {raise_locked} END""")
    op.execute(f"""CREATE TRIGGER project_lock_delete BEFORE DELETE ON project
                   WHEN OLD.locked = 1 BEGIN {raise_locked} END""")
    for t in CHILD_TABLES:
        op.execute(f"""CREATE TRIGGER {t}_lock_insert BEFORE INSERT ON {t}
                       WHEN {locked.format("NEW")} BEGIN {raise_locked} END""")
        op.execute(f"""CREATE TRIGGER {t}_lock_update BEFORE UPDATE ON {t}
                       WHEN {locked.format("OLD")} OR {locked.format("NEW")} BEGIN {raise_locked} END""")
        op.execute(f"""CREATE TRIGGER {t}_lock_delete BEFORE DELETE ON {t}
                       WHEN {locked.format("OLD")} BEGIN {raise_locked} END""")
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"""CREATE TRIGGER audit_append_only_{verb.lower()} BEFORE {verb} ON audit
                       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""")


def drop_lock_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for t in CHILD_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {t}_lock ON {t}")
        op.execute("DROP TRIGGER IF EXISTS project_lock ON project")
        op.execute("DROP TRIGGER IF EXISTS audit_append_only ON audit")
        for f in ("addon_refuse_locked_project", "addon_refuse_locked_child", "addon_audit_append_only"):
            op.execute(f"DROP FUNCTION IF EXISTS {f}()")
        return
    names = ["project_lock_update", "project_lock_delete", "audit_append_only_update", "audit_append_only_delete"]
    names += [f"{t}_lock_{v}" for t in CHILD_TABLES for v in ("insert", "update", "delete")]
    for n in names:
        op.execute(f"DROP TRIGGER IF EXISTS {n}")
