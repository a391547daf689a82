"""web pages: households' personal web links, the coordinator's dashboard sessions

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import db.types


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'web_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
        sa.Column('revoked_at', db.types.UTCDateTime(), nullable=True),
        sa.Column('last_used_at', db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['household_id'], ['households.id'],
                                name=op.f('fk_web_links_household_id_households'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_web_links_school_id_schools')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_web_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_web_links_token_hash')),
    )
    with op.batch_alter_table('web_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_links_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_links_school_id'), ['school_id'], unique=False)
    op.create_table(
        'staff_web_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
        sa.Column('expires_at', db.types.UTCDateTime(), nullable=False),
        sa.Column('used_at', db.types.UTCDateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('login', 'session')", name=op.f('ck_staff_web_sessions_kind')),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_staff_web_sessions_school_id_schools')),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_web_sessions_staff_id_staff'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_web_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_staff_web_sessions_token_hash')),
    )
    with op.batch_alter_table('staff_web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_web_sessions_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_web_sessions_staff_id'), ['staff_id'], unique=False)


def downgrade() -> None:
    op.drop_table('staff_web_sessions')
    op.drop_table('web_links')
