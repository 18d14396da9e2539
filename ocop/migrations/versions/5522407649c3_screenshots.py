"""screenshots: what the browser route saw, kept beside the check it belongs to

Revision ID: 5522407649c3
Revises: c12cea2c28a2
Create Date: 2026-12-02 18:51:17.921417

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5522407649c3'
down_revision = 'c12cea2c28a2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('screenshots',
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('changed', sa.Boolean(), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['check_id'], ['checks.id'], name=op.f('fk_screenshots_check_id_checks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_screenshots_listing_id_listings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('check_id', name=op.f('pk_screenshots'))
    )
    with op.batch_alter_table('screenshots', schema=None) as batch_op:
        batch_op.create_index('ix_screenshots_listing_at', ['listing_id', 'at'], unique=False)



def downgrade():
    with op.batch_alter_table('screenshots', schema=None) as batch_op:
        batch_op.drop_index('ix_screenshots_listing_at')

    op.drop_table('screenshots')
