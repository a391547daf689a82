"""several schools in one deployment: accounts and handled updates per school (per bot),
a school's key in the schools file, a bot's sending paused after a 429

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:00:00
"""
import sqlalchemy as sa
from alembic import op

import db.types

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# The school of an account that existed before: the one of its staff or guardian row,
# else the deployment's (first) school.
_BACKFILL_ACCOUNTS = """
UPDATE accounts SET school_id = COALESCE(
    (SELECT staff.school_id FROM staff WHERE staff.account_id = accounts.id),
    (SELECT MIN(guardians.school_id) FROM guardians WHERE guardians.account_id = accounts.id),
    (SELECT MIN(schools.id) FROM schools))
"""


def upgrade() -> None:
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_schools_key'), ['key'])

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('school_id', sa.Integer(), nullable=True))
    op.execute(_BACKFILL_ACCOUNTS)
    # Accounts of a deployment without a school (never used) cannot be kept.
    op.execute("DELETE FROM accounts WHERE school_id IS NULL")
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.alter_column('school_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('uq_accounts_telegram_user_id', type_='unique')
        batch_op.create_unique_constraint('uq_accounts_school_user', ['school_id', 'telegram_user_id'])
        batch_op.create_index(batch_op.f('ix_accounts_school_id'), ['school_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_accounts_school_id_schools'), 'schools', ['school_id'], ['id'])

    # Update ids are counted per bot: the handled ones are kept per school.
    bind = op.get_bind()
    old = sa.table('processed_updates', sa.column('update_id', sa.BigInteger()),
                   sa.column('processed_at', db.types.UTCDateTime()))
    handled = bind.execute(sa.select(old.c.update_id, old.c.processed_at)).all()
    first_school = bind.execute(sa.text("SELECT MIN(id) FROM schools")).scalar()
    op.drop_table('processed_updates')
    table = op.create_table(
        'processed_updates',
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('processed_at', db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name='fk_processed_updates_school_id_schools'),
        sa.PrimaryKeyConstraint('school_id', 'update_id', name='pk_processed_updates'),
    )
    with op.batch_alter_table('processed_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_updates_processed_at'), ['processed_at'], unique=False)
    if handled and first_school is not None:
        op.bulk_insert(table, [{"school_id": first_school, "update_id": row.update_id,
                                "processed_at": row.processed_at} for row in handled])

    with op.batch_alter_table('outbox_leases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_until', db.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_leases', schema=None) as batch_op:
        batch_op.drop_column('paused_until')
    op.drop_table('processed_updates')
    op.create_table(
        'processed_updates',
        sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('processed_at', db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('update_id', name='pk_processed_updates'),
    )
    with op.batch_alter_table('processed_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_updates_processed_at'), ['processed_at'], unique=False)
    # An account per school cannot become one per person without losing some: keep the oldest.
    op.execute("DELETE FROM accounts WHERE id NOT IN "
               "(SELECT MIN(id) FROM accounts GROUP BY telegram_user_id)")
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint('fk_accounts_school_id_schools', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_accounts_school_id'))
        batch_op.drop_constraint('uq_accounts_school_user', type_='unique')
        batch_op.create_unique_constraint('uq_accounts_telegram_user_id', ['telegram_user_id'])
        batch_op.drop_column('school_id')
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_schools_key'), type_='unique')
        batch_op.drop_column('key')
