"""the outbox's sender lease: one worker at a time sends for a bot

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:30:00
"""
import sqlalchemy as sa
from alembic import op

import db.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'outbox_leases',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('holder', sa.String(length=64), nullable=False),
        sa.Column('expires_at', db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_outbox_leases')),
    )


def downgrade() -> None:
    op.drop_table('outbox_leases')
