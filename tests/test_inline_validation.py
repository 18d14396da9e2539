"""Inline validation runs while a form is still mostly empty: it must answer, not fail."""

import pytest

from .helpers import HTMX, assert_fragment


@pytest.mark.parametrize(("url", "data", "message"), [
    ("/marketplaces/new?validate=name", {"name": "Chợ mới"}, ""),
    ("/marketplaces/new?validate=hosts", {"hosts": "shopee.vn"}, "đã thuộc sàn Shopee"),
    ("/users/new?validate=email", {"email": "Officer@example.vn"}, "Đã có tài khoản"),
    ("/producers/new?validate=tax_code", {"tax_code": "5300123456"}, "đã thuộc về"),
    ("/products/new?validate=code", {"code": "LC-001"}, "đã dùng cho sản phẩm"),
    ("/products/new?validate=name", {"name": "Mật ong"}, ""),
])
def test_one_field_of_an_almost_empty_form(admin, catalogue, url, data, message):
    field = url.rsplit("=", 1)[1]
    html = assert_fragment(admin.post(url, data=data, headers=HTMX), f"error-{field}")
    assert html.find(id=f"error-{field}").text.strip() == message or message in html.text
    if not message:
        assert html.find(id=f"error-{field}").text.strip() == ""
