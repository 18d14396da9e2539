"""listing refusals: an officer's reason for turning down a producer's proposal

Revision ID: e3a1b7c5d902
Revises: 5522407649c3
Create Date: 2026-12-03 06:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3a1b7c5d902'
down_revision = '5522407649c3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refusal', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('refused_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_column('refused_at')
        batch_op.drop_column('refusal')
