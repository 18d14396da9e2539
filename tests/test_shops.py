"""Connecting a shop through the web, as a producer and as an officer: the connect page, the
way out to the imitation Shopee and back, refusals of forged, expired and replayed nonces and
of another producer's shop, disconnecting; tokens sealed and never in the audit."""

import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from ocop.extensions import db
from ocop.models import AuditEntry, ShopConnection, ShopNonce, utcnow
from ocop.sample_platforms.imitation import item
from ocop.shops import nonces, vault
from tests.shopee import ShopeeServer, back, connection, producer_id, settings, start

from .conftest import sign_in


@pytest.fixture
def shopee():
    with ShopeeServer() as server:
        server.add_shop("5001", "Chè Hướng Tâm Official", {"101": item("NORMAL", 12)})
        server.add_shop("6001", "Khẩu nhục Sơn Hòa", {"201": item("NORMAL")})
        yield server


@pytest.fixture
def app_overrides(shopee):
    return settings(shopee)


def test_the_connect_page_says_what_is_read_and_what_is_not(app, producer_client, shopee):
    own = producer_id(app)
    page = producer_client.get(f"/shops/producers/{own}/connect/shopee")
    assert page.status_code == 200
    assert "Số hàng còn và giá bán" in page.text
    assert "Không đọc đơn hàng, không xem người mua" in page.text
    assert 'id="connect-form"' in page.text and 'hx-boost="false"' in page.text
    # Its form is answered by a redirect to Shopee, which the page's policy must allow.
    policy = page.headers["Content-Security-Policy"]
    assert f"form-action 'self' {shopee.base};" in policy and "script-src 'self';" in policy
    assert producer_client.get(f"/shops/producers/{own}/connect/tiki").status_code == 404


def test_a_producer_connects_their_shop(app, producer_client, shopee):
    own = producer_id(app)
    answer, _path = back(producer_client, shopee, own, "5001")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/shops/producers/{own}"
    page = producer_client.get(answer.headers["Location"])
    assert "Đã kết nối gian hàng Chè Hướng Tâm Official trên Shopee" in page.text
    assert "Đã kết nối" in page.text and "5001" in page.text
    row = connection(app, "5001")
    assert row.producer_id == own and row.state == "connected"
    assert row.created_by == "producer@example.vn"
    assert timedelta(days=29) < row.refresh_expires - utcnow() <= timedelta(days=30)
    # The tokens are sealed: not in the row, not on the page, not in the audit.
    (access,) = shopee.access
    (refresh,) = shopee.refreshes
    with app.app_context():
        assert vault.unseal(row.access_token_sealed) == access
        assert vault.unseal(row.refresh_token_sealed) == refresh
        audit = db.session.scalars(db.select(AuditEntry).filter_by(entity="shop_connection"))
        entries = [str(entry.changes) for entry in audit]
    assert access not in row.access_token_sealed and refresh not in row.refresh_token_sealed
    assert access not in page.text and refresh not in page.text
    assert entries and not any(access in e or refresh in e or "token" in e for e in entries)


def test_a_replayed_way_back_is_refused_and_changes_nothing(app, producer_client, shopee):
    own = producer_id(app)
    _answer, path = back(producer_client, shopee, own, "5001")
    before = connection(app, "5001")
    again = producer_client.get(path)
    assert again.status_code == 400
    assert "đã được dùng một lần" in again.text
    after = connection(app, "5001")
    assert after.access_token_sealed == before.access_token_sealed


def test_a_forged_nonce_is_refused(app, producer_client, shopee):
    own = producer_id(app)
    link = start(producer_client, own)
    with app.app_context():
        (nonce,) = db.session.scalars(db.select(ShopNonce.id))
    forged = URLSafeTimedSerializer("not the app's secret", salt=nonces.SALT).dumps(nonce)
    answer = producer_client.get(f"/shops/callback/shopee?nonce={forged}&code=abc&shop_id=5001")
    assert answer.status_code == 400
    assert "không phải do trang này tạo cho bạn" in answer.text
    assert connection(app, "5001") is None
    bare = producer_client.get("/shops/callback/shopee?code=abc&shop_id=5001")  # no nonce at all
    assert bare.status_code == 400 and "không phải do trang này tạo cho bạn" in bare.text
    assert link  # the real link was never followed


def test_a_nonce_started_by_someone_else_is_refused(app, producer_client, shopee):
    """The officer's way back, opened in the producer's browser, is not theirs."""
    officer = sign_in(app, "officer@example.vn")
    own = producer_id(app)
    returned = shopee.consent(start(officer, own), "5001")
    answer = producer_client.get(returned.removeprefix("http://ocop.test"))
    assert answer.status_code == 400
    assert "không phải do trang này tạo cho bạn" in answer.text
    assert connection(app, "5001") is None


class HourAgo(TimestampSigner):
    """Signs as the app does, but as if an hour ago."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 3600


def test_an_expired_nonce_is_refused(app, producer_client, shopee):
    own = producer_id(app)
    start(producer_client, own)
    with app.app_context():
        (nonce,) = db.session.scalars(db.select(ShopNonce.id))
    old = URLSafeTimedSerializer("test", salt=nonces.SALT,  # the tests' SECRET_KEY
                                 signer=HourAgo).dumps(nonce)
    answer = producer_client.get(f"/shops/callback/shopee?nonce={old}&code=abc&shop_id=5001")
    assert answer.status_code == 400
    assert "đã quá 15 phút" in answer.text
    assert connection(app, "5001") is None


def test_a_shop_connected_to_another_producer_is_refused(app, producer_client, shopee):
    back(producer_client, shopee, producer_id(app), "5001")
    other = sign_in(app, "other@example.vn")
    answer, _path = back(other, shopee, producer_id(app, "HTX Sơn Hòa"), "5001")
    assert answer.status_code == 400
    assert "đã được kết nối với chủ thể khác (HTX Chè Hướng Tâm)" in answer.text
    assert connection(app, "5001").producer_id == producer_id(app)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ShopConnection.id))) == 1


def test_a_seller_who_refuses_connects_nothing(app, producer_client, shopee):
    answer, _path = back(producer_client, shopee, producer_id(app), "5001", answer="no")
    assert answer.status_code == 400
    assert "Shopee không cho kết nối (access_denied)" in answer.text
    assert connection(app, "5001") is None


def test_a_producer_manages_only_their_own_shops(app, producer_client, shopee):
    other = producer_id(app, "HTX Sơn Hòa")
    assert producer_client.get(f"/shops/producers/{other}").status_code == 404
    assert producer_client.get(f"/shops/producers/{other}/connect/shopee").status_code == 404
    assert producer_client.post(f"/shops/producers/{other}/connect/shopee").status_code == 404
    officer = sign_in(app, "officer@example.vn")
    back(officer, shopee, other, "6001")  # an officer, on the producer's behalf
    row = connection(app, "6001")
    assert row.producer_id == other and row.created_by == "officer@example.vn"
    assert producer_client.post(f"/shops/{row.id}/disconnect").status_code == 404
    assert connection(app, "6001").state == "connected"


def test_disconnect_forgets_the_tokens_and_is_audited(app, producer_client, shopee):
    own = producer_id(app)
    back(producer_client, shopee, own, "5001")
    row = connection(app, "5001")
    answer = producer_client.post(f"/shops/{row.id}/disconnect")
    assert answer.status_code == 303
    assert "Đã ngắt kết nối gian hàng" in producer_client.get(answer.headers["Location"]).text
    row = connection(app, "5001")
    assert row.state == "disconnected" and row.access_token_sealed is None
    assert row.refresh_token_sealed is None
    with app.app_context():
        entry = db.session.scalars(db.select(AuditEntry).filter_by(
            entity="shop_connection", action="update")).one()
        assert entry.changes == {"state": ["connected", "disconnected"]}
        assert entry.actor == "producer@example.vn"
    # Connected again later, by the same producer: the same row, live again.
    back(producer_client, shopee, own, "5001")
    assert connection(app, "5001").state == "connected"


def test_the_officers_list_and_the_producers_page_flag_a_lapsing_shop(app, producer_client,
                                                                      shopee):
    back(producer_client, shopee, producer_id(app), "5001")
    with app.app_context():
        row = db.session.scalar(db.select(ShopConnection))
        row.refresh_expires = utcnow() + timedelta(days=3)
        db.session.commit()
    officer = sign_in(app, "officer@example.vn")
    listed = officer.get("/shops/")
    assert "Sắp hết hạn" in listed.text and "5001" in listed.text
    shown = officer.get(f"/producers/{producer_id(app)}")
    assert "Sắp hết hạn" in shown.text and 'id="manage-shops"' in shown.text
    assert "Ủy quyền sắp hết hạn" in producer_client.get("/shops/", follow_redirects=True).text


def test_without_a_public_address_the_connect_page_says_so(app, producer_client):
    app.config["PUBLIC_URL"] = ""
    own = producer_id(app)
    page = producer_client.get(f"/shops/producers/{own}/connect/shopee")
    assert "OCOP_PUBLIC_URL" in page.text and 'id="connect-form"' not in page.text
    answer = producer_client.post(f"/shops/producers/{own}/connect/shopee",
                                  follow_redirects=True)
    assert "OCOP_PUBLIC_URL" in answer.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ShopNonce.id))) == 0


def test_only_marketplaces_set_up_are_offered(app, producer_client):
    own = producer_id(app)
    page = producer_client.get(f"/shops/producers/{own}")
    assert 'id="connect-shopee"' in page.text and 'id="connect-tiktok"' not in page.text
    app.config["SHOPEE_PARTNER_KEY"] = ""
    assert "Tỉnh chưa thiết lập kết nối với sàn nào." in producer_client.get(
        f"/shops/producers/{own}").text
    page = producer_client.get(f"/shops/producers/{own}/connect/shopee")
    assert "Tỉnh chưa thiết lập kết nối với Shopee" in page.text


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_connecting_needs_the_csrf_token(app, shopee):
    app.config.update(settings(shopee))
    client = sign_in_with_csrf(app)
    own = producer_id(app)
    refused = client.post(f"/shops/producers/{own}/connect/shopee")
    assert refused.status_code == 400 and "mã bảo vệ" in refused.text
    page = client.get(f"/shops/producers/{own}/connect/shopee")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    sent = client.post(f"/shops/producers/{own}/connect/shopee", data={"csrf_token": token})
    assert sent.status_code == 303 and sent.headers["Location"].startswith(shopee.base)


def sign_in_with_csrf(app):
    """The producer signed in through the form, its token included."""
    import re

    from .conftest import PASSWORD

    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/login").text)[1]
    client.post("/login", data={"email": "producer@example.vn", "password": PASSWORD,
                                "csrf_token": token})
    return client


def test_the_instance_key_is_made_once_and_kept_private(tmp_path):
    key = vault.instance_key(tmp_path)
    assert vault.instance_key(tmp_path) == key
    assert (tmp_path / "token_key").stat().st_mode & 0o777 == 0o600
