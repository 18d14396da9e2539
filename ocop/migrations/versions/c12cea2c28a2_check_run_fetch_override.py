"""check run fetch override: an officer's "check again in the browser"

Revision ID: c12cea2c28a2
Revises: 424da6ad0ac4
Create Date: 2026-12-02 16:38:29.827303

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c12cea2c28a2'
down_revision = '424da6ad0ac4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('check_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fetch', sa.String(length=10), nullable=True))
        # "fetch" is a reserved word in PostgreSQL: quoted.
        batch_op.create_check_constraint(
            op.f('ck_check_runs_fetch'),
            '"fetch" IS NULL OR "fetch" IN (\'http\', \'browser\', \'auto\')')


def downgrade():
    with op.batch_alter_table('check_runs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_check_runs_fetch'), type_='check')
        batch_op.drop_column('fetch')
