"""families reached outside the bot: how each answer came, and calls nobody answered

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa
import db.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

CHANNELS = "('bot', 'phone', 'door', 'letter', 'web')"


def upgrade() -> None:
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=8), server_default='bot', nullable=False))
        batch_op.create_check_constraint('channel', f"channel IN {CHANNELS}")
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reached_by', sa.String(length=8), nullable=True))
        batch_op.create_check_constraint('reached_by', f"reached_by IN {CHANNELS}")
    # Whoever answered so far did it in the bot.
    op.execute("UPDATE invitations SET reached_by = 'bot' WHERE answered_at IS NOT NULL")
    op.create_table(
        'call_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('invitation_id', sa.Integer(), nullable=False),
        sa.Column('teacher_id', sa.Integer(), nullable=False),
        sa.Column('at', db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'],
                                name=op.f('fk_call_attempts_invitation_id_invitations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_call_attempts_school_id_schools')),
        sa.ForeignKeyConstraint(['teacher_id'], ['staff.id'], name=op.f('fk_call_attempts_teacher_id_staff')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_call_attempts')),
    )
    with op.batch_alter_table('call_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_attempts_invitation_id'), ['invitation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_attempts_school_id'), ['school_id'], unique=False)


def downgrade() -> None:
    op.drop_table('call_attempts')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_constraint('reached_by', type_='check')
        batch_op.drop_column('reached_by')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint('channel', type_='check')
        batch_op.drop_column('channel')
