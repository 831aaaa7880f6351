"""Problems keep their message's parameters, the column's header and the row's ID.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

A problem's message is an English msgid translated when shown: its parameters are kept
beside it (JSON), so that a stored problem reads the same in French, Arabic or English.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add `params`, `header` and `row_id` to `problems`; rows already there get empty ones."""
    with op.batch_alter_table("problems") as problems:
        problems.add_column(sa.Column("params", sa.Text, nullable=False, server_default="{}"))
        problems.add_column(sa.Column("header", sa.Text, nullable=False, server_default=""))
        problems.add_column(sa.Column("row_id", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    """Drop the three columns."""
    with op.batch_alter_table("problems") as problems:
        problems.drop_column("row_id")
        problems.drop_column("header")
        problems.drop_column("params")
