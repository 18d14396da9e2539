"""methods in the figures: how each closed month's online listing was known
(listing_months.method), its online products per method (share_cells.seller_api … person), and
a covering index of the listings known by each method

Months closed before: a listing online then gets the method of the check that decided its
status (the check at its verified_at), which the checks still hold unless the listing was
deleted since (then NULL: unknown). No attestation existed before, so none counts in them. A
product counts under the strongest method of its online listings; one with an online listing
of unknown method counts under none (the figures show it as unknown). The cells are recounted
under the product's group, stars, commune and producer kind of today: a cell whose recount
comes to more than its frozen online count (a product moved since) keeps all of them unknown.

Revision ID: b5d1f3a8c260
Revises: b5d1e8c2f7a3
Create Date: 2026-12-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d1f3a8c260'
down_revision = 'b5d1e8c2f7a3'
branch_labels = None
depends_on = None

METHODS = ('seller_api', 'browser', 'page', 'person')  # strongest first
RANK = " ".join(f"WHEN '{m}' THEN {n}" for n, m in enumerate(METHODS))
KEYS = "p.category, p.stars, COALESCE(pr.commune, ''), pr.kind"
CELL = ("month", "category", "stars", "commune", "producer_kind", "marketplace_id")


def recount(per_marketplace: bool) -> str:
    """Per closed month and cell (on any marketplace, or on each): online products by the
    strongest method of their online listings, none when one of those is unknown."""
    place = "lm.marketplace_id" if per_marketplace else "0"
    by_place = ", lm.marketplace_id" if per_marketplace else ""
    counts = ", ".join(f"COUNT(CASE WHEN b.r = {n} THEN 1 END)" for n in range(len(METHODS)))
    return (f"SELECT b.month, {KEYS}, b.marketplace_id, {counts}"
            f" FROM (SELECT lm.month, lm.product_id, {place} AS marketplace_id,"
            " CASE WHEN COUNT(*) = COUNT(lm.method)"
            f" THEN MIN(CASE lm.method {RANK} END) END AS r"
            " FROM listing_months lm WHERE lm.online AND lm.approved"
            f" GROUP BY lm.month, lm.product_id{by_place}) b"
            " JOIN products p ON p.id = b.product_id JOIN producers pr ON pr.id = p.producer_id"
            f" GROUP BY b.month, {KEYS}, b.marketplace_id")


def upgrade():
    with op.batch_alter_table('listing_months', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=12), nullable=True))
    with op.batch_alter_table('share_cells', schema=None) as batch_op:
        for method in METHODS:
            batch_op.add_column(sa.Column(method, sa.Integer(), server_default='0',
                                          nullable=False))
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.create_index('ix_listings_method', ['method', 'status', 'verified_at',
                                                     'approved', 'product_id',
                                                     'marketplace_id'], unique=False)
    op.execute("UPDATE listing_months SET method = (SELECT c.method FROM checks c"
               " WHERE c.listing_id = listing_months.listing_id"
               " AND c.at = listing_months.verified_at ORDER BY c.id DESC LIMIT 1)"
               " WHERE online")
    columns = ", ".join((*CELL, *METHODS))
    types = ("DATE", "INTEGER", "INTEGER", "VARCHAR(100)", "VARCHAR(20)", "INTEGER",
             *("INTEGER" for _ in METHODS))
    op.execute("CREATE TEMPORARY TABLE method_recount ("
               + ", ".join(f"{c} {t}" for c, t in zip((*CELL, *METHODS), types)) + ")")
    for per_marketplace in (False, True):
        op.execute(f"INSERT INTO method_recount ({columns}) {recount(per_marketplace)}")
    op.execute(f"CREATE INDEX ix_method_recount ON method_recount ({', '.join(CELL)})")
    match = " AND ".join(f"f.{c} = share_cells.{c}" for c in CELL)
    op.execute("UPDATE share_cells SET " + ", ".join(
        f"{m} = COALESCE((SELECT f.{m} FROM method_recount f WHERE {match}), 0)"
        for m in METHODS))
    op.execute("DROP TABLE method_recount")
    # A product that moved to another cell since: its old cell cannot say how its were known.
    op.execute(f"UPDATE share_cells SET {', '.join(f'{m} = 0' for m in METHODS)}"
               f" WHERE {' + '.join(METHODS)} > online")


def downgrade():
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_index('ix_listings_method')
    with op.batch_alter_table('share_cells', schema=None) as batch_op:
        for method in METHODS:
            batch_op.drop_column(method)
    with op.batch_alter_table('listing_months', schema=None) as batch_op:
        batch_op.drop_column('method')
