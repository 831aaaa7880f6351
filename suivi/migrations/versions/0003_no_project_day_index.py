"""Stored rows lose their (project, as_of) index, which no query reads.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

Every read of activity_snapshots and indicator_values names a run (the run_id, project index
serves it); the day index was only maintained, on every row of every save: a quarter of the
insert's work at 10 000 activities.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DAY_INDEXES = {
    "activity_snapshots": "ix_activity_snapshots_project_as_of",
    "indicator_values": "ix_indicator_values_project_as_of",
}


def upgrade() -> None:
    """Drop the two (project, as_of) indexes."""
    for table, index in DAY_INDEXES.items():
        op.drop_index(index, table_name=table)


def downgrade() -> None:
    """Create them again."""
    for table, index in DAY_INDEXES.items():
        op.create_index(index, table, ["project", "as_of"])
