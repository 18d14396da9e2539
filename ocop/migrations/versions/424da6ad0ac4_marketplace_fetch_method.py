"""marketplace fetch method: http, browser, or auto (HTTP first, the browser when needed)

Revision ID: 424da6ad0ac4
Revises: 439d9fafd690
Create Date: 2026-12-02 16:19:56.878054

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '424da6ad0ac4'
down_revision = '439d9fafd690'
branch_labels = None
depends_on = None

# The seeded marketplaces whose pages a plain HTTP client cannot read (an app shell, or a
# captcha for bots): an existing registry gets the default a new one is seeded with.
BROWSER_FIRST = ('shopee', 'tiktok', 'lazada')


def upgrade():
    # FETCH is a reserved word in PostgreSQL, so the CHECK quotes the column.
    with op.batch_alter_table('marketplaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fetch', sa.String(length=10), server_default='http',
                                      nullable=False))
        batch_op.create_check_constraint(op.f('ck_marketplaces_fetch'),
                                         """"fetch" IN ('http', 'browser', 'auto')""")
    marketplaces = sa.table('marketplaces', sa.column('slug', sa.String),
                            sa.column('fetch', sa.String))
    op.execute(marketplaces.update().where(marketplaces.c.slug.in_(BROWSER_FIRST))
               .values(fetch='auto'))


def downgrade():
    with op.batch_alter_table('marketplaces', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_marketplaces_fetch'), type_='check')
        batch_op.drop_column('fetch')
