"""online listings index: the dashboard's covering index

Revision ID: 7c1e2d9a4b5f
Revises: d835a7879dfe
Create Date: 2026-11-22 08:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c1e2d9a4b5f'
down_revision = 'd835a7879dfe'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.create_index('ix_listings_online', ['status', 'verified_at', 'approved',
                                                     'product_id', 'marketplace_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_index('ix_listings_online')
