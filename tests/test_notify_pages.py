"""Each user's own notification settings, the province's webhook, and unsubscribe links."""

import ipaddress
import socket
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from ocop.extensions import db
from ocop.models import AuditEntry, NotificationPreference, User, Webhook
from ocop.notify import preferences, tokens
from ocop.shops import vault

from .conftest import build_app, sign_in
from .helpers import soup

# What the test resolver answers: a public address, a private one, and no answer at all.
ADDRESSES = {"hooks.example.vn": "93.184.216.34", "intranet.example.vn": "10.1.2.3",
             "localhost": "127.0.0.1"}


def resolver(host, port, *_args):
    """getaddrinfo over ADDRESSES, for the SSRF guard (no DNS in tests)."""
    if host in ADDRESSES:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ADDRESSES[host], port))]
    try:
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:
        raise socket.gaierror(f"{host}: no such name") from None
    return [(family, socket.SOCK_STREAM, 6, "", (host, port))]


@pytest.fixture
def app_overrides():
    return {"SCRAPER_RESOLVER": resolver}


def user(email: str) -> User:
    return db.session.scalar(db.select(User).filter_by(email=email))


def frequency_fields(response) -> dict[str, str]:
    """Kind -> the frequency selected on the page."""
    html = soup(response)
    return {select["name"].removeprefix("kind_"): select.find("option", selected=True)["value"]
            for select in html.select("#notifications select")}


def stored(app, email: str) -> tuple[dict[str, str], bool]:
    """What `email` chose, and whether they hear by email."""
    with app.app_context():
        account = user(email)
        return preferences.chosen(account), account.notify_email


@pytest.mark.parametrize("email", ["producer@example.vn", "officer@example.vn",
                                   "admin@example.vn"])
def test_each_role_sees_its_kinds_and_saves_them(app, email):
    client = sign_in(app, email)
    with app.app_context():
        role = user(email).role
    shown = frequency_fields(client.get("/account/"))
    assert list(shown) == list(preferences.KINDS[role])
    assert shown == preferences.DEFAULTS[role]
    chosen = dict.fromkeys(shown, "daily") | {preferences.KINDS[role][0]: "never"}
    response = client.post("/account/notifications",
                           data={f"kind_{k}": v for k, v in chosen.items()})
    assert response.status_code == 303
    assert stored(app, email) == (chosen, False)  # the unticked box: no email
    response = client.post("/account/notifications", data={
        "notify_email": "y", **{f"kind_{k}": "monthly" for k in chosen}}, follow_redirects=True)
    assert "Đã lưu cách nhận thông báo." in response.text
    assert frequency_fields(response) == dict.fromkeys(chosen, "monthly")
    assert stored(app, email) == (dict.fromkeys(chosen, "monthly"), True)


def test_a_frequency_not_offered_changes_nothing(app, producer_client):
    before = stored(app, "producer@example.vn")
    data = {f"kind_{k}": "never" for k in preferences.KINDS["producer"]}
    response = producer_client.post("/account/notifications",
                                    data={**data, "kind_listing_removed": "hourly"})
    assert response.status_code == 200
    assert "Lựa chọn không hợp lệ." in soup(response).find(id="error-kind_listing_removed").text
    assert stored(app, "producer@example.vn") == before


def test_a_kind_the_role_does_not_hear_changes_nothing(app, producer_client):
    before = stored(app, "producer@example.vn")
    data = {f"kind_{k}": "never" for k in preferences.KINDS["producer"]}
    response = producer_client.post("/account/notifications",
                                    data={**data, "kind_run_failed": "instant"})
    assert response.status_code == 200
    assert "Vai trò của bạn không nhận loại thông báo này: Lượt kiểm tra bị lỗi" in response.text
    assert stored(app, "producer@example.vn") == before
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(NotificationPreference.kind))) == 0


def test_the_language_is_saved_and_switches_the_pages(app, producer_client):
    response = producer_client.post("/account/language", data={"language": "en"},
                                    follow_redirects=True)
    assert "Language saved." in response.text
    assert soup(response).find("h1").text == "Language and notifications"
    with app.app_context():
        assert user("producer@example.vn").language == "en"
        changes = db.session.scalars(db.select(AuditEntry.changes).filter_by(entity="user")).all()
        assert {"language": [None, "en"]} in changes
    # A new sign-in, on another browser, starts in the language chosen.
    assert "Language and notifications" in sign_in(app, "producer@example.vn").get(
        "/account/").text
    response = producer_client.post("/account/language", data={"language": "fr"})
    assert response.status_code == 200
    assert "Not a valid choice." in response.text
    with app.app_context():
        assert user("producer@example.vn").language == "en"


BAD_URLS = {
    "ftp://hooks.example.vn/x": "phải bắt đầu bằng http:// hoặc https://",
    "hooks.example.vn/ocop": "phải bắt đầu bằng http:// hoặc https://",
    "https://": "phải bắt đầu bằng http:// hoặc https://",
    "https://hooks.example.vn:99999/": "không hợp lệ",
    "https://me:pw@hooks.example.vn/": "Đừng ghi tên đăng nhập hay mật khẩu",
    "http://127.0.0.1/": "trỏ tới một địa chỉ nội bộ (127.0.0.1)",
    "http://localhost:8080/hook": "trỏ tới một địa chỉ nội bộ (localhost)",
    "https://intranet.example.vn/hook": "trỏ tới một địa chỉ nội bộ (intranet.example.vn)",
    "http://[::ffff:10.0.0.1]/": "trỏ tới một địa chỉ nội bộ",
    "https://nowhere.example.vn/": "Không tìm thấy máy chủ nowhere.example.vn",
}


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_webhook_that_is_malformed_or_private_is_refused(app, producer_client, url):
    response = producer_client.post("/account/webhook", data={"url": url})
    assert response.status_code == 200
    assert BAD_URLS[url] in soup(response).find(id="error-url").text
    assert soup(response).find(id="webhook-secret") is None
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Webhook.id))) == 0


def test_a_refusal_speaks_the_users_language(app, producer_client):
    producer_client.post("/lang/en", data={"next": "/"})
    response = producer_client.post("/account/webhook", data={"url": "http://127.0.0.1/"})
    assert "points to an internal address (127.0.0.1)" in soup(response).find(id="error-url").text


def test_a_webhook_secret_is_shown_once_and_kept_sealed(app, producer_client):
    response = producer_client.post("/account/webhook",
                                    data={"url": " https://Hooks.example.vn/ocop?k=1 "})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    secret = soup(response).find(id="webhook-secret-value").text
    assert len(secret) >= 43
    assert "X-OCOP-Signature" in response.text and "X-OCOP-Timestamp" in response.text
    with app.app_context():
        hook = db.session.scalar(db.select(Webhook))
        assert (hook.scope, hook.user_id) == ("user", user("producer@example.vn").id)
        assert hook.url == "https://hooks.example.vn/ocop?k=1"
        assert secret not in hook.secret_sealed and vault.unseal(hook.secret_sealed) == secret
        first_sealed = hook.secret_sealed
    page = producer_client.get("/account/")
    assert secret not in page.text and soup(page).find(id="webhook-secret") is None
    assert "https://hooks.example.vn/ocop?k=1" in soup(page).find(id="webhook-current").text
    # Replacing it gives a new secret; removing it leaves nothing.
    again = producer_client.post("/account/webhook", data={"url": "https://hooks.example.vn/2"})
    second = soup(again).find(id="webhook-secret-value").text
    assert second != secret
    assert producer_client.post("/account/webhook/remove").status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Webhook.id))) == 0
        audit = db.session.scalars(db.select(AuditEntry).filter_by(entity="webhook")).all()
        assert [e.action for e in audit] == ["create", "update", "delete"]
        text = repr([e.changes for e in audit])
        assert "https://hooks.example.vn/2" in text
        for hidden in (secret, second, first_sealed, "secret"):
            assert hidden not in text


def test_the_province_webhook_is_for_administrators(app, admin, officer, producer_client,
                                                    client):
    for other in (officer, producer_client):
        assert other.get("/notifications/webhook").status_code == 403
        assert other.post("/notifications/webhook",
                          data={"url": "https://hooks.example.vn/"}).status_code == 403
        assert other.post("/notifications/webhook/remove").status_code == 403
    assert client.get("/notifications/webhook").status_code == 302  # to the sign-in page
    refused = admin.post("/notifications/webhook", data={"url": "https://intranet.example.vn/"})
    assert "trỏ tới một địa chỉ nội bộ" in soup(refused).find(id="error-url").text
    response = admin.post("/notifications/webhook", data={"url": "https://hooks.example.vn/so"})
    secret = soup(response).find(id="webhook-secret-value").text
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        hook = db.session.scalar(db.select(Webhook))
        assert (hook.scope, hook.user_id, hook.url) == ("province", None,
                                                        "https://hooks.example.vn/so")
        assert vault.unseal(hook.secret_sealed) == secret
    assert secret not in admin.get("/notifications/webhook").text
    # One province webhook: setting it again replaces it.
    admin.post("/notifications/webhook", data={"url": "https://hooks.example.vn/moi"})
    with app.app_context():
        assert db.session.scalars(db.select(Webhook.url)).all() == ["https://hooks.example.vn/moi"]
    assert admin.post("/notifications/webhook/remove").status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Webhook.id))) == 0


def link_for(app, email: str, kind: str = tokens.EVERY) -> str:
    with app.app_context():
        return tokens.PATH + tokens.make(user(email).id, kind)


def test_an_unsubscribe_link_changes_nothing_until_confirmed(app, client):
    path = link_for(app, "producer@example.vn", "listing_removed")
    before = stored(app, "producer@example.vn")
    for _ in range(2):  # a mail scanner following the link, then the person
        page = client.get(path)
        assert page.status_code == 200
        assert "Gian hàng bị gỡ khỏi sàn (đã xác nhận)" in soup(page).find(id="unsubscribe").text
    assert stored(app, "producer@example.vn") == before
    done = client.post(path)
    assert done.status_code == 200
    assert "Đã ngừng nhận thông báo" in soup(done).find(id="unsubscribed").text
    chosen, by_email = stored(app, "producer@example.vn")
    assert chosen == {**before[0], "listing_removed": "never"} and by_email


def test_an_unsubscribe_link_speaks_its_owners_language(app, client):
    with app.app_context():
        user("producer@example.vn").language = "en"
        db.session.commit()
    page = client.get(link_for(app, "producer@example.vn", "listing_back"))
    assert "will stop receiving notifications of this kind: Listing back on sale" in page.text
    client.post("/lang/vi", data={"next": "/"})  # a choice made in this browser wins
    page = client.get(link_for(app, "producer@example.vn", "listing_back"))
    assert "Gian hàng bán trở lại" in page.text


def test_an_unsubscribe_from_everything(app, client):
    path = link_for(app, "officer@example.vn")
    assert "mọi thông báo" in client.get(path).text
    assert stored(app, "officer@example.vn")[1] is True
    assert client.post(path).status_code == 200
    chosen, by_email = stored(app, "officer@example.vn")
    assert set(chosen.values()) == {"never"} and by_email is False
    with app.app_context():
        entry = db.session.scalar(db.select(AuditEntry).filter_by(entity="user",
                                                                  action="update"))
        assert (entry.actor, entry.changes) == ("officer@example.vn",
                                                {"notify_email": [True, False]})


def test_one_click_unsubscribe_needs_no_csrf_token(database_uri, app):
    """RFC 8058: the mail provider POSTs List-Unsubscribe=One-Click, with no form token,
    while every other form of the app still needs one."""
    path = link_for(app, "producer@example.vn", "listing_out_of_stock")
    guarded = build_app(database_uri, WTF_CSRF_ENABLED=True)
    provider = guarded.test_client()
    try:
        response = provider.post(path, data="List-Unsubscribe=One-Click",
                                 content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200
        refused = provider.post("/login", data={"email": "producer@example.vn",
                                                "password": "x"})
        assert refused.status_code == 400  # CSRF is on
    finally:
        with guarded.app_context():
            db.engine.dispose()
    assert stored(app, "producer@example.vn")[0]["listing_out_of_stock"] == "never"


def old_token(app, user_id: int) -> str:
    """A link signed longer ago than tokens.MAX_AGE."""

    class Past(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - tokens.MAX_AGE - 3600

    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=tokens.SALT, signer=Past)
    return serializer.dumps({"u": user_id, "k": tokens.EVERY})


def test_forged_and_expired_links_are_refused(app, client):
    with app.app_context():
        producer_id = user("producer@example.vn").id
        expired = old_token(app, producer_id)
        forged = URLSafeTimedSerializer("not the secret", salt=tokens.SALT).dumps(
            {"u": producer_id, "k": tokens.EVERY})
        gone = tokens.make(987654)
    before = stored(app, "producer@example.vn")
    for token, says in ((expired, "đã quá hạn"), (forged, "không đúng"),
                        (forged[:-3], "không đúng"), (gone, "không đúng")):
        for method in (client.get, client.post):
            response = method(tokens.PATH + token)
            assert response.status_code == 400
            assert says in soup(response).find(id="unsubscribe-refused").text
    assert stored(app, "producer@example.vn") == before
    client.post("/lang/en", data={"next": "/"})
    response = client.post(tokens.PATH + expired)
    assert response.status_code == 400 and "has expired" in response.text
