"""shops connected through the marketplaces' open platforms, and the nonces of their callbacks

Revision ID: b5d1e8c2f7a3
Revises: b8d4f0a2c315
Create Date: 2026-12-03 10:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d1e8c2f7a3'
down_revision = 'b8d4f0a2c315'
branch_labels = None
depends_on = None

STATES = "('connected', 'lapsing', 'expired', 'revoked', 'disconnected')"


def upgrade():
    op.create_table(
        'shop_connections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('producer_id', sa.Integer(), nullable=False),
        sa.Column('marketplace_id', sa.Integer(), nullable=False),
        sa.Column('shop_id', sa.String(length=64), nullable=False),
        sa.Column('shop_name', sa.String(length=255), nullable=False),
        sa.Column('access_token_sealed', sa.Text(), nullable=True),
        sa.Column('refresh_token_sealed', sa.Text(), nullable=True),
        sa.Column('extra', sa.JSON(), nullable=False),
        sa.Column('access_expires', sa.DateTime(), nullable=True),
        sa.Column('refresh_expires', sa.DateTime(), nullable=True),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('last_error_at', sa.DateTime(), nullable=True),
        sa.Column('refreshed_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.String(length=255), nullable=False),
        sa.CheckConstraint(f"state IN {STATES}", name=op.f('ck_shop_connections_state')),
        sa.ForeignKeyConstraint(['producer_id'], ['producers.id'],
                                name=op.f('fk_shop_connections_producer_id_producers')),
        sa.ForeignKeyConstraint(['marketplace_id'], ['marketplaces.id'],
                                name=op.f('fk_shop_connections_marketplace_id_marketplaces')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_shop_connections_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_connections')),
        sa.UniqueConstraint('marketplace_id', 'shop_id',
                            name=op.f('uq_shop_connections_marketplace_id_shop_id')),
    )
    op.create_index(op.f('ix_shop_connections_producer_id'), 'shop_connections',
                    ['producer_id'])
    op.create_table(
        'shop_nonces',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('producer_id', sa.Integer(), nullable=False),
        sa.Column('marketplace_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_shop_nonces_user_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['producer_id'], ['producers.id'],
                                name=op.f('fk_shop_nonces_producer_id_producers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['marketplace_id'], ['marketplaces.id'],
                                name=op.f('fk_shop_nonces_marketplace_id_marketplaces'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_nonces')),
    )
    op.create_index(op.f('ix_shop_nonces_created_at'), 'shop_nonces', ['created_at'])


def downgrade():
    op.drop_index(op.f('ix_shop_nonces_created_at'), table_name='shop_nonces')
    op.drop_table('shop_nonces')
    op.drop_index(op.f('ix_shop_connections_producer_id'), table_name='shop_connections')
    op.drop_table('shop_connections')
