"""History and outbox: runs, snapshots, activity and indicator values, problems, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-29

Tables are written out here, not imported from the store: a revision is history and must
keep creating exactly this schema whatever the store module becomes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the tables and their indexes."""
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("flow", sa.Text, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("summary", sa.JSON),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_table(
        "snapshots",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("project", sa.Text, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "project", name="pk_snapshots"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_snapshots_run_id_runs", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_snapshots_project_run_id", "snapshots", ["project", "run_id"])

    op.create_table(
        "activity_snapshots",
        sa.Column("pk", sa.Integer, autoincrement=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("project", sa.Text, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("item_id", sa.Text),
        sa.Column("name", sa.Text),
        sa.Column("owner", sa.Text),
        sa.Column("status", sa.Text),
        sa.Column("progress", sa.Float),
        sa.Column("deadline", sa.Date),
        sa.Column("days_late", sa.Integer),
        sa.Column("projected_finish", sa.Date),
        sa.Column("state", sa.Text),
        sa.Column("flags", sa.Text, nullable=False, server_default=""),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_activity_snapshots"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_activity_snapshots_run_id_runs", ondelete="CASCADE"
        ),
    )
    op.create_index(
        "ix_activity_snapshots_project_as_of", "activity_snapshots", ["project", "as_of"]
    )
    op.create_index(
        "ix_activity_snapshots_run_id_project", "activity_snapshots", ["run_id", "project"]
    )

    op.create_table(
        "indicator_values",
        sa.Column("pk", sa.Integer, autoincrement=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("project", sa.Text, nullable=False),
        sa.Column("code", sa.Text),
        sa.Column("current", sa.Float),
        sa.Column("achievement", sa.Float),
        sa.Column("status", sa.Text),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_indicator_values"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_indicator_values_run_id_runs", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_indicator_values_project_as_of", "indicator_values", ["project", "as_of"])
    op.create_index("ix_indicator_values_run_id_project", "indicator_values", ["run_id", "project"])

    op.create_table(
        "problems",
        sa.Column("pk", sa.Integer, autoincrement=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("project", sa.Text, nullable=False),
        sa.Column("tab", sa.Text, nullable=False),
        sa.Column("cell", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("blocking", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_problems"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_problems_run_id_runs", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_problems_run_id_project", "problems", ["run_id", "project"])

    op.create_table(
        "outbox",
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("project", sa.Text, nullable=False),
        sa.Column("recipients", sa.JSON, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("lease_owner", sa.Text),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("key", name="pk_outbox"),
    )
    op.create_index("ix_outbox_state", "outbox", ["state"])


def downgrade() -> None:
    """Drop everything revision 0001 created, children first."""
    op.drop_index("ix_outbox_state", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_problems_run_id_project", table_name="problems")
    op.drop_table("problems")
    op.drop_index("ix_indicator_values_run_id_project", table_name="indicator_values")
    op.drop_index("ix_indicator_values_project_as_of", table_name="indicator_values")
    op.drop_table("indicator_values")
    op.drop_index("ix_activity_snapshots_run_id_project", table_name="activity_snapshots")
    op.drop_index("ix_activity_snapshots_project_as_of", table_name="activity_snapshots")
    op.drop_table("activity_snapshots")
    op.drop_index("ix_snapshots_project_run_id", table_name="snapshots")
    op.drop_table("snapshots")
    op.drop_table("runs")
