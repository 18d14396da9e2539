"""attestations: why one was withdrawn or refused, and at most one live per listing and month

Revision ID: b8d4f0a2c315
Revises: a7c3e9f1b204
Create Date: 2026-12-03 10:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d4f0a2c315'
down_revision = 'a7c3e9f1b204'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attestations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawal', sa.Text(), nullable=True))
    # counts_until names the month an attestation was made in: one live one a listing a month.
    op.create_index('uq_attestations_live', 'attestations', ['listing_id', 'counts_until'],
                    unique=True, sqlite_where=sa.text('withdrawn_at IS NULL'),
                    postgresql_where=sa.text('withdrawn_at IS NULL'))


def downgrade():
    op.drop_index('uq_attestations_live', table_name='attestations')
    with op.batch_alter_table('attestations', schema=None) as batch_op:
        batch_op.drop_column('withdrawal')
