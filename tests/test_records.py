"""Saving records when someone else writes at the same moment."""

import pytest
from sqlalchemy import text

from ocop.errors import Invalid, StaleEdit
from ocop.extensions import db
from ocop.models import Product
from ocop.records import save


def test_a_save_racing_another_is_refused_by_the_version_check(app, catalogue):
    with app.app_context():
        product = db.session.get(Product, catalogue["ham"])
        loaded = product.version
        with db.engine.begin() as other:  # another request saves between our read and write
            other.execute(text("UPDATE products SET name = 'Khác', version = version + 1 "
                               "WHERE id = :id"), {"id": product.id})
        with pytest.raises(StaleEdit):
            save(product, {"name": "Của tôi"}, loaded)
        assert db.session.get(Product, catalogue["ham"]).name == "Khác"


def test_a_duplicate_that_slips_past_validation_is_refused_cleanly(app, catalogue):
    with app.app_context():
        tea = db.session.get(Product, catalogue["tea"])
        twin = Product(code="LC-001", name="Trùng", producer_id=tea.producer_id, category=1,
                       stars=3, certified_on=tea.certified_on, expires_on=tea.expires_on)
        conflict = Invalid.one("code", "taken")
        with pytest.raises(Invalid) as info:
            save(twin, {}, None, conflict)
        assert info.value is conflict
        assert db.session.scalar(db.select(db.func.count(Product.id))) == 3
