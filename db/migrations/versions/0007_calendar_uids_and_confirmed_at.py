"""calendar: a random UID per invitation, and when each appointment was confirmed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:30:00
"""
import uuid

import sqlalchemy as sa
from alembic import op

import db.types

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_uid', sa.String(length=64), nullable=True))
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', db.types.UTCDateTime(), nullable=True))
    connection = op.get_bind()
    invitations = sa.table('invitations', sa.column('id', sa.Integer), sa.column('calendar_uid', sa.String))
    for (invitation_id,) in connection.execute(sa.select(invitations.c.id)).all():
        connection.execute(invitations.update().where(invitations.c.id == invitation_id)
                           .values(calendar_uid=f"{uuid.uuid4()}@homevisit"))
    appointments = sa.table('appointments', sa.column('status', sa.String), sa.column('updated_at', sa.DateTime),
                            sa.column('confirmed_at', sa.DateTime))
    connection.execute(appointments.update().where(appointments.c.status == 'confirmed')
                       .values(confirmed_at=appointments.c.updated_at))
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.alter_column('calendar_uid', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_invitations_calendar_uid'), ['calendar_uid'])


def downgrade() -> None:
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('confirmed_at')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_invitations_calendar_uid'), type_='unique')
        batch_op.drop_column('calendar_uid')
