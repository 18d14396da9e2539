"""Every edit form carries the version it was loaded at; an edit without one is refused."""

import pytest

from ocop.extensions import db
from ocop.models import Marketplace, Producer, Product, Target, User

from .helpers import soup

OUTDATED = "Biểu mẫu này đã cũ"


def form_fields(response, form_id: str) -> dict[str, str]:
    """What a browser would send from the form `form_id` as loaded, left as it is."""
    form = soup(response).find(id=form_id)
    data = {}
    for field in form.select("input[name]"):
        if field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data[field["name"]] = field.get("value", "y")
        else:
            data[field["name"]] = field.get("value", "")
    for field in form.select("select[name]"):
        chosen = field.find("option", selected=True) or field.find("option")
        data[field["name"]] = chosen.get("value", chosen.text) if chosen else ""
    for field in form.select("textarea[name]"):
        data[field["name"]] = field.text.strip()
    return data


def the_product(app):
    return db.session.scalar(db.select(Product).filter_by(code="LC-002"))


def the_producer(app):
    return db.session.scalar(db.select(Producer).filter_by(tax_code="5300654321"))


def the_marketplace(app):
    return db.session.scalar(db.select(Marketplace).filter_by(slug="tiki"))


def the_user(app):
    return db.session.scalar(db.select(User).filter_by(email="officer@example.vn"))


def the_target(app):
    return db.session.get(Target, 1)


# (who edits, the record, its edit page, the form's id, a field to change and its new value)
EDITS = [
    ("officer", the_product, lambda r: f"/products/{r.code}/edit", "product-form", "name",
     "Nước mắm cốt"),
    ("officer", the_producer, lambda r: f"/producers/{r.id}/edit", "producer-form", "phone",
     "0977 000 222"),
    ("admin", the_marketplace, lambda r: f"/marketplaces/{r.id}/edit", "marketplace-form",
     "name", "Tiki mới"),
    ("admin", the_user, lambda r: f"/users/{r.id}/edit", "user-form", "name", "Tên mới"),
    ("admin", the_target, lambda r: "/dashboard/target", "target-form", "note", "Ghi chú mới"),
]


@pytest.mark.parametrize("sent", [None, ""], ids=["left-out", "blank"])
@pytest.mark.parametrize(("who", "record", "path", "form_id", "field", "value"), EDITS,
                         ids=["product", "producer", "marketplace", "user", "target"])
def test_an_edit_without_its_version_changes_nothing(request, app, catalogue, admin, who, record,
                                                     path, form_id, field, value, sent):
    if record is the_target:
        assert admin.post("/dashboard/target", data={"share": "90"}).status_code == 303
    client = request.getfixturevalue(who)
    with app.app_context():
        loaded = record(app)
        url, before, version = path(loaded), getattr(loaded, field), loaded.version
    data = dict(form_fields(client.get(url), form_id), **{field: value})
    assert data.pop("version") == str(version)
    if sent is not None:
        data["version"] = sent

    response = client.post(url, data=data)
    assert response.status_code == 200
    refusal = soup(response).find(id=form_id).find(class_="error", string=lambda s: OUTDATED in s)
    assert refusal is not None and "tải lại trang" in refusal.text
    with app.app_context():
        kept = record(app)
        assert (getattr(kept, field), kept.version) == (before, version)

    # The same edit from the form as loaded, version and all, is saved.
    assert client.post(url, data=dict(data, version=str(version))).status_code == 303
    with app.app_context():
        assert getattr(record(app), field) == value


def test_a_new_record_has_no_version_to_send(app, officer):
    data = {"name": "HTX Mới", "kind": "htx", "province": "Lào Cai"}
    assert officer.post("/producers/new", data=data).status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(Producer).filter_by(name="HTX Mới")).version == 1
