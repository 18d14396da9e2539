"""notifications: events recorded once, users' preferences and language, webhooks, the outbox

Revision ID: c3e7a9d1f502
Revises: b5d1f3a8c260
Create Date: 2026-12-03 15:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3e7a9d1f502'
down_revision = 'b5d1f3a8c260'
branch_labels = None
depends_on = None

KINDS = ("('listing_removed', 'listing_out_of_stock', 'listing_unseen', 'listing_back', "
         "'certificate_90', 'certificate_30', 'expired_on_sale', 'proposal_approved', "
         "'proposal_refused', 'month_closed', 'run_failed', 'marketplace_degraded')")


def upgrade():
    op.create_table(
        'events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('producer_id', sa.Integer(), nullable=True),
        sa.Column('product_id', sa.Integer(), nullable=True),
        sa.Column('listing_id', sa.Integer(), nullable=True),
        sa.Column('run_id', sa.Integer(), nullable=True),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.CheckConstraint(f'kind IN {KINDS}', name=op.f('ck_events_kind')),
        sa.ForeignKeyConstraint(['producer_id'], ['producers.id'],
                                name=op.f('fk_events_producer_id_producers'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                                name=op.f('fk_events_product_id_products'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['listing_id'], ['listings.id'],
                                name=op.f('fk_events_listing_id_listings'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['run_id'], ['check_runs.id'],
                                name=op.f('fk_events_run_id_check_runs'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
        sa.UniqueConstraint('key', name=op.f('uq_events_key')),
    )
    op.create_index(op.f('ix_events_at'), 'events', ['at'])
    op.create_index('ix_events_producer_at', 'events', ['producer_id', 'at'])
    op.create_table(
        'notification_preferences',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('frequency', sa.String(length=10), nullable=False),
        sa.CheckConstraint(f'kind IN {KINDS}', name=op.f('ck_notification_preferences_kind')),
        sa.CheckConstraint("frequency IN ('instant', 'daily', 'monthly', 'never')",
                           name=op.f('ck_notification_preferences_frequency')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_notification_preferences_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_notification_preferences')),
    )
    op.create_table(
        'webhooks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=10), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('secret_sealed', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("(scope = 'province' AND user_id IS NULL) OR "
                           "(scope = 'user' AND user_id IS NOT NULL)",
                           name=op.f('ck_webhooks_scope')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_webhooks_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhooks')),
        sa.UniqueConstraint('user_id', name=op.f('uq_webhooks_user_id')),
    )
    op.create_index('uq_webhooks_province', 'webhooks', ['scope'], unique=True,
                    sqlite_where=sa.text("scope = 'province'"),
                    postgresql_where=sa.text("scope = 'province'"))
    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('message_id', sa.String(length=200), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('address', sa.String(length=2000), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('event_ids', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('tries', sa.Integer(), nullable=False),
        sa.Column('next_at', sa.DateTime(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("channel IN ('email', 'webhook')", name=op.f('ck_outbox_channel')),
        sa.CheckConstraint("state IN ('queued', 'sending', 'sent', 'failed')",
                           name=op.f('ck_outbox_state')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outbox_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
        sa.UniqueConstraint('key', name=op.f('uq_outbox_key')),
        sa.UniqueConstraint('message_id', name=op.f('uq_outbox_message_id')),
    )
    op.create_index(op.f('ix_outbox_user_id'), 'outbox', ['user_id'])
    op.create_index('ix_outbox_due', 'outbox', ['state', 'next_at'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('notify_email', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('notify_email')
        batch_op.drop_column('language')
    op.drop_table('outbox')
    op.drop_table('webhooks')
    op.drop_table('notification_preferences')
    op.drop_table('events')
