"""how each state is known (checks.method, listings.method), the `unlisted` status, and
people's attestations

Revision ID: a7c3e9f1b204
Revises: f4b2c8d6e013
Create Date: 2026-12-03 09:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9f1b204'
down_revision = 'f4b2c8d6e013'
branch_labels = None
depends_on = None

OLD = "('active', 'out_of_stock', 'removed', 'blocked', 'unreachable', 'unknown')"
NEW = "('active', 'out_of_stock', 'removed', 'unlisted', 'blocked', 'unreachable', 'unknown')"
METHODS = "('seller_api', 'browser', 'page', 'person')"


def statuses(allowed):
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_listings_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_listings_status'), f"status IN {allowed}")
    with op.batch_alter_table('checks', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_checks_verdict'), type_='check')
        batch_op.create_check_constraint(op.f('ck_checks_verdict'), f"verdict IN {allowed}")


def upgrade():
    statuses(NEW)
    with op.batch_alter_table('checks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=12), server_default='page',
                                      nullable=False))
        batch_op.create_check_constraint(op.f('ck_checks_method'), f"method IN {METHODS}")
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=12), nullable=True))
        batch_op.create_check_constraint(op.f('ck_listings_method'), f"method IN {METHODS}")
    # The browser route says so in its evidence; everything before was read as a page.
    route = ("evidence ->> 'route'" if op.get_bind().dialect.name == 'postgresql'
             else "json_extract(evidence, '$.route')")
    op.execute(f"UPDATE checks SET method = 'browser' WHERE {route} = 'browser'")
    # A listing's status was known the way its last decisive check was.
    op.execute("UPDATE listings SET method = (SELECT c.method FROM checks c"
               " WHERE c.listing_id = listings.id AND c.at = listings.verified_at"
               " ORDER BY c.id DESC LIMIT 1) WHERE verified_at IS NOT NULL")
    op.execute("UPDATE listings SET method = 'page'"
               " WHERE verified_at IS NOT NULL AND method IS NULL")
    op.create_table(
        'attestations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.Column('seen_on', sa.Date(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('media_type', sa.String(length=40), nullable=False),
        sa.Column('image', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.String(length=255), nullable=False),
        sa.Column('counts_until', sa.DateTime(), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
        sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
        sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('counts_until > created_at',
                           name=op.f('ck_attestations_counts_until')),
        sa.ForeignKeyConstraint(['listing_id'], ['listings.id'],
                                name=op.f('fk_attestations_listing_id_listings'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_attestations_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'],
                                name=op.f('fk_attestations_confirmed_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'],
                                name=op.f('fk_attestations_withdrawn_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attestations')),
    )
    op.create_index(op.f('ix_attestations_listing_id'), 'attestations', ['listing_id'])
    op.create_index('ix_attestations_counting', 'attestations',
                    ['confirmed_at', 'counts_until', 'listing_id'])


def downgrade():
    op.drop_index('ix_attestations_counting', table_name='attestations')
    op.drop_index(op.f('ix_attestations_listing_id'), table_name='attestations')
    op.drop_table('attestations')
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_listings_method'), type_='check')
        batch_op.drop_column('method')
    with op.batch_alter_table('checks', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_checks_method'), type_='check')
        batch_op.drop_column('method')
    op.execute("UPDATE listings SET status = NULL WHERE status = 'unlisted'")
    op.execute("DELETE FROM checks WHERE verdict = 'unlisted'")
    statuses(OLD)
