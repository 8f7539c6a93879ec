"""hardening: replay protection, and the lock in depth

- `seen_request`: signatures of Slack requests already accepted (replays refused).
- SQLite: `INSERT OR REPLACE` / `REPLACE` deletes the conflicting row without
  firing delete triggers (https://sqlite.org/lang_conflict.html), so every
  table that belongs to a project also refuses an insert that would replace a
  row of a locked project; `project` refuses an insert over a locked row.
- The outbox (`post`): rows of a locked project are neither added, deleted,
  nor changed in content; a pending one may still be delivered.
- The audit trail: append-only for every project (a REPLACE over an audit row is
  refused too), and no row is added for a locked project.
- The audit trail is hash-chained per project (`audit.hash`), and a completed
  project keeps the chain's last hash (`project.audit_head`).
- PostgreSQL: TRUNCATE fires no row triggers; statement-level BEFORE TRUNCATE
  triggers refuse it on the audit trail always, and on the project tables while
  any project is locked.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

LOCKED_MSG = "project is complete and locked"
APPEND_ONLY = "the audit trail is append-only"
CHILD_TABLES = ("step_state", "item", "cs_case", "handoff", "daily_summary", "alert")
# Unique columns other than the project by which a REPLACE could hit another project's row.
_REPLACE_KEYS = {"item": ("id",), "cs_case": ("id", "idempotency_key"), "handoff": ("id",),
                 "daily_summary": ("id",), "alert": ("id",), "post": ("id", "idempotency_key")}
_TRUNCATE_GUARDED = ("project", "post") + CHILD_TABLES


def upgrade() -> None:
    op.create_table(
        "seen_request",
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("signature"),
    )
    with op.batch_alter_table("seen_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seen_request_seen_at"), ["seen_at"], unique=False)
    # The tamper-evident trail (storage/audit_chain.py). Plain ADD COLUMN: the triggers stay.
    op.add_column("audit", sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.add_column("project", sa.Column("audit_head", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        _postgres_up()
    else:
        _sqlite_up()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgres_down()
    else:
        for n in _sqlite_names():
            op.execute(f"DROP TRIGGER IF EXISTS {n}")
    for table, column in (("project", "audit_head"), ("audit", "hash")):
        op.drop_column(table, column)
    with op.batch_alter_table("seen_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seen_request_seen_at"))
    op.drop_table("seen_request")


# ---- SQLite --------------------------------------------------------------------
def _locked(ref: str) -> str:
    return f"(SELECT locked FROM project WHERE id = {ref}.project_id) = 1"


def _post_content_changed() -> str:
    return ("NEW.idempotency_key IS NOT OLD.idempotency_key OR NEW.kind IS NOT OLD.kind "
            "OR NEW.project_id IS NOT OLD.project_id OR NEW.thread_key IS NOT OLD.thread_key "
            "OR json_extract(NEW.payload, '$.text') IS NOT json_extract(OLD.payload, '$.text') "
            "OR json_extract(NEW.payload, '$.blocks') IS NOT json_extract(OLD.payload, '$.blocks')")


def _sqlite_up() -> None:
    refuse = f"SELECT RAISE(ABORT, '{LOCKED_MSG}');"
    op.execute(f"""CREATE TRIGGER project_lock_insert BEFORE INSERT ON project
                   WHEN EXISTS (SELECT 1 FROM project WHERE id = NEW.id AND locked = 1)
                   BEGIN {refuse} END""")
    for t, keys in _REPLACE_KEYS.items():
        hit = " OR ".join(f"c.{k} = NEW.{k}" for k in keys)
        op.execute(f"""CREATE TRIGGER {t}_lock_replace BEFORE INSERT ON {t}
                       WHEN EXISTS (SELECT 1 FROM {t} c JOIN project p ON p.id = c.project_id
                                    WHERE p.locked = 1 AND ({hit}))
                       BEGIN {refuse} END""")
    op.execute(f"""CREATE TRIGGER post_lock_insert BEFORE INSERT ON post
                   WHEN {_locked("NEW")} BEGIN {refuse} END""")
    op.execute(f"""CREATE TRIGGER post_lock_update BEFORE UPDATE ON post
                   WHEN ({_locked("OLD")} AND (OLD.state = 'sent' OR {_post_content_changed()}))
                     OR ({_locked("NEW")} AND NEW.project_id IS NOT OLD.project_id)
                   BEGIN {refuse} END""")
    op.execute(f"""CREATE TRIGGER post_lock_delete BEFORE DELETE ON post
                   WHEN {_locked("OLD")} BEGIN {refuse} END""")
    op.execute(f"""CREATE TRIGGER audit_lock_insert BEFORE INSERT ON audit
                   WHEN {_locked("NEW")} BEGIN {refuse} END""")
    op.execute(f"""CREATE TRIGGER audit_append_only_replace BEFORE INSERT ON audit
                   WHEN EXISTS (SELECT 1 FROM audit WHERE id = NEW.id)
                   BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""")


def _sqlite_names() -> list[str]:
    return (["project_lock_insert", "post_lock_insert", "post_lock_update", "post_lock_delete",
             "audit_lock_insert", "audit_append_only_replace"]
            + [f"{t}_lock_replace" for t in _REPLACE_KEYS])


# ---- PostgreSQL ----------------------------------------------------------------
def _postgres_up() -> None:
    op.execute(f"""
        CREATE FUNCTION addon_refuse_locked_post() RETURNS trigger AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            IF EXISTS (SELECT 1 FROM project WHERE id = OLD.project_id AND locked) THEN
              RAISE EXCEPTION '{LOCKED_MSG} (project %)', OLD.project_id USING ERRCODE = 'P0001';
            END IF;
            RETURN OLD;
          END IF;
          IF TG_OP = 'UPDATE'
             AND EXISTS (SELECT 1 FROM project WHERE id = OLD.project_id AND locked) THEN
            IF OLD.state = 'sent'
               OR NEW.idempotency_key IS DISTINCT FROM OLD.idempotency_key
               OR NEW.kind IS DISTINCT FROM OLD.kind
               OR NEW.project_id IS DISTINCT FROM OLD.project_id
               OR NEW.thread_key IS DISTINCT FROM OLD.thread_key
               OR (NEW.payload->>'text') IS DISTINCT FROM (OLD.payload->>'text')
               OR (NEW.payload->'blocks')::text IS DISTINCT FROM (OLD.payload->'blocks')::text THEN
              RAISE EXCEPTION '{LOCKED_MSG} (project %)', OLD.project_id USING ERRCODE = 'P0001';
            END IF;
          END IF;
          IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.project_id IS DISTINCT FROM OLD.project_id) THEN
            IF EXISTS (SELECT 1 FROM project WHERE id = NEW.project_id AND locked) THEN
              RAISE EXCEPTION '{LOCKED_MSG} (project %)', NEW.project_id USING ERRCODE = 'P0001';
            END IF;
          END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql""")
    op.execute("""CREATE TRIGGER post_lock BEFORE INSERT OR UPDATE OR DELETE ON post
                  FOR EACH ROW EXECUTE FUNCTION addon_refuse_locked_post()""")
    op.execute(f"""
        CREATE FUNCTION addon_refuse_audit_of_locked() RETURNS trigger AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM project WHERE id = NEW.project_id AND locked) THEN
            RAISE EXCEPTION '{LOCKED_MSG} (project %)', NEW.project_id USING ERRCODE = 'P0001';
          END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql""")
    op.execute("""CREATE TRIGGER audit_lock_insert BEFORE INSERT ON audit
                  FOR EACH ROW EXECUTE FUNCTION addon_refuse_audit_of_locked()""")
    op.execute(f"""
        CREATE FUNCTION addon_refuse_truncate() RETURNS trigger AS $$
        BEGIN
          IF TG_TABLE_NAME = 'audit' THEN
            RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'P0001';
          END IF;
          IF EXISTS (SELECT 1 FROM project WHERE locked) THEN
            RAISE EXCEPTION '{LOCKED_MSG} (TRUNCATE %)', TG_TABLE_NAME USING ERRCODE = 'P0001';
          END IF;
          RETURN NULL;
        END $$ LANGUAGE plpgsql""")
    for t in _TRUNCATE_GUARDED + ("audit",):
        op.execute(f"""CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t}
                       FOR EACH STATEMENT EXECUTE FUNCTION addon_refuse_truncate()""")


def _postgres_down() -> None:
    for t in _TRUNCATE_GUARDED + ("audit",):
        op.execute(f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}")
    op.execute("DROP TRIGGER IF EXISTS audit_lock_insert ON audit")
    op.execute("DROP TRIGGER IF EXISTS post_lock ON post")
    for f in ("addon_refuse_truncate", "addon_refuse_audit_of_locked", "addon_refuse_locked_post"):
        op.execute(f"DROP FUNCTION IF EXISTS {f}()")
