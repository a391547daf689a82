"""visit evenings: a second visitor (colleague, interpreter), running late, siblings
visited together, postcodes, periods that cover some classes only

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.add_column(sa.Column('postcode', sa.String(length=8), nullable=True))

    op.create_table(
        'period_classes',
        sa.Column('period_id', sa.Integer(), nullable=False),
        sa.Column('class_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_period_classes_class_id_classes'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['period_id'], ['visit_periods.id'],
                                name=op.f('fk_period_classes_period_id_visit_periods'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('period_id', 'class_id', name=op.f('pk_period_classes')),
    )

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('interpreter_wanted', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('joint_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_invitations_joint_id'), ['joint_id'], unique=False)

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('colleague_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('interpreter_name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('interpreter_phone', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('late_minutes', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_appointments_colleague_id'), ['colleague_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_appointments_colleague_id_staff'), 'staff',
                                    ['colleague_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointments_colleague_id_staff'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_appointments_colleague_id'))
        batch_op.drop_column('late_minutes')
        batch_op.drop_column('interpreter_phone')
        batch_op.drop_column('interpreter_name')
        batch_op.drop_column('colleague_id')

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_joint_id'))
        batch_op.drop_column('joint_id')
        batch_op.drop_column('interpreter_wanted')

    op.drop_table('period_classes')

    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_column('postcode')
