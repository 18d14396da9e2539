"""blank decision numbers and subgroups are NULL: the web form once saved them as ''

Revision ID: f4b2c8d6e013
Revises: e3a1b7c5d902
Create Date: 2026-12-03 06:35:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f4b2c8d6e013'
down_revision = 'e3a1b7c5d902'
branch_labels = None
depends_on = None

# An import reads an empty cell as NULL; a '' stored by the web would show as a change.
COLUMNS = ('decision_no', 'subgroup')


def upgrade():
    products = sa.table('products', *(sa.column(name, sa.String) for name in COLUMNS))
    for name in COLUMNS:
        column = products.c[name]
        op.execute(products.update().where(sa.func.trim(column) == '').values({name: None}))


def downgrade():
    pass  # NULL and '' meant the same; nothing to restore
