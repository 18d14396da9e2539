"""The outbox and its channels against real servers: an SMTP relay (aiosmtpd) that keeps what
it accepts, and a webhook receiver (pytest-httpserver) that verifies each signature; retries,
a crash between the relay's acceptance and our record, the SSRF guard, notifications off, the
`ocop notify send` command and the administrators' page; on SQLite and PostgreSQL."""

import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from werkzeug import Request, Response

from ocop.extensions import db
from ocop.models import Delivery, User, Webhook, utcnow
from ocop.notify import outbox
from ocop.notify.channels import sender
from ocop.shops import vault
from tests.scrapers.conftest import Names

from .conftest import build_app, sign_in
from .helpers import HTMX, assert_fragment, assert_full_page, soup
from .mailbox import Accounts, SmtpServer, free_port

SECRET = "bí-mật-webhook-42"
TRIES = 3
BACKOFF = 60


@pytest.fixture
def receiver():
    """A local webhook receiver; its address is let through the SSRF guard as one endpoint."""
    with HTTPServer(host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
def app_overrides(smtp, receiver) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port,
            "MAIL_DEFAULT_SENDER": "OCOP Lào Cai <ocop@example.vn>",
            "NOTIFY_TRIES": TRIES, "NOTIFY_BACKOFF": BACKOFF, "NOTIFY_TIMEOUT": 2.0,
            "PUBLIC_URL": "https://ocop.example.vn", "TOKEN_KEY": Fernet.generate_key().decode(),
            "SCRAPER_ALLOWED_ENDPOINTS": f"127.0.0.1:{receiver.port}",
            "SCRAPER_RESOLVER": Names({"hooks.example.vn": "10.20.30.40"})}


def user_id(email: str) -> int:
    return db.session.scalar(select(User.id).where(User.email == email))


def queue_email(email: str = "producer@example.vn", *, language: str = "vi",
                subject: str = "Gian hàng Chè Bát tiên bị gỡ khỏi Shopee", **fields) -> int:
    """An email delivery queued as the queue would write it; its id."""
    token = uuid.uuid4().hex
    delivery = Delivery(
        key=f"test:{token}", message_id=f"<{token}@ocop.example.vn>", user_id=user_id(email),
        channel="email", address=email, subject=subject,
        body={"text": "Xin chào,\nGian hàng “Chè Bát tiên Hướng Tâm” trên Shopee đã bị gỡ.",
              "html": "<p>Xin chào,</p><p>Gian hàng <b>Chè Bát tiên Hướng Tâm</b> đã bị gỡ.</p>",
              "language": language,
              "reason": "Bạn nhận thư này vì là chủ thể của sản phẩm.",
              "unsubscribe": f"https://ocop.example.vn/notifications/unsubscribe/{token}"},
        **fields)
    db.session.add(delivery)
    db.session.commit()
    return delivery.id


def queue_webhook(url: str, email: str | None = "producer@example.vn") -> int:
    """A webhook delivery (and its webhook: the user's, or the province's without one)."""
    uid = user_id(email) if email else None
    db.session.add(Webhook(scope="user" if uid else "province", user_id=uid, url=url,
                           secret_sealed=vault.seal(SECRET)))
    token = uuid.uuid4().hex
    delivery = Delivery(key=f"test:{token}", message_id=token, user_id=uid, channel="webhook",
                        address=url, subject="Gian hàng bị gỡ",
                        body={"kind": "listing_removed", "product": "Chè Bát tiên Hướng Tâm",
                              "marketplace": "Shopee"})
    db.session.add(delivery)
    db.session.commit()
    return delivery.id


def row(delivery_id: int) -> Delivery:
    db.session.expire_all()
    return db.session.get(Delivery, delivery_id)


# Email


def test_an_email_arrives_with_both_parts_and_its_headers(app, smtp):
    with app.app_context():
        vi = queue_email()
        en = queue_email("officer@example.vn", language="en", subject="The month is closed")
        counts = outbox.deliver()
        assert (counts.sent, counts.retrying, counts.failed) == (2, 0, 0)
        first, second = row(vi), row(en)
        assert first.state == second.state == "sent" and first.sent_at and first.tries == 1
    received = {m["To"]: m for m in smtp.mailbox.messages}
    message = received["producer@example.vn"]
    assert message["Message-ID"] == first.message_id
    assert message["Subject"] == "Gian hàng Chè Bát tiên bị gỡ khỏi Shopee"
    assert message["From"] == "OCOP Lào Cai <ocop@example.vn>"
    assert message["Content-Language"] == "vi"
    assert message["List-Unsubscribe"] == f"<{first.body['unsubscribe']}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "“Chè Bát tiên Hướng Tâm” trên Shopee đã bị gỡ" in text
    assert "<b>Chè Bát tiên Hướng Tâm</b>" in html
    assert received["officer@example.vn"]["Content-Language"] == "en"
    assert smtp.mailbox.envelopes[0].mail_from == "ocop@example.vn"


def test_a_batch_goes_over_one_smtp_connection(app, smtp):
    with app.app_context():
        ids = [queue_email() for _ in range(5)]
        assert outbox.deliver().sent == 5
        assert {row(i).state for i in ids} == {"sent"}
    assert len(smtp.mailbox.envelopes) == 5 and smtp.mailbox.sessions == 1


def test_a_numeric_password_from_the_environment_signs_in_as_text(app, database_uri,
                                                                  monkeypatch):
    """Flask's prefixed-env loading reads OCOP_MAIL_PASSWORD=123456 as the number 123456."""
    accounts = Accounts("ocop@example.vn", "123456")
    with SmtpServer(accounts=accounts) as relay:
        for name, value in (("MAIL_SERVER", "127.0.0.1"), ("MAIL_PORT", str(relay.port)),
                            ("MAIL_USERNAME", "ocop@example.vn"), ("MAIL_PASSWORD", "123456")):
            monkeypatch.setenv(f"OCOP_{name}", value)
        from_env = build_app(database_uri)
        assert from_env.config["MAIL_PASSWORD"] == 123456  # what the sender must cope with
        assert sender("email", from_env.config).password == "123456"  # CRAM-MD5 encodes it
        with from_env.app_context():
            delivery_id = queue_email()
            assert outbox.deliver().sent == 1 and row(delivery_id).state == "sent"
            db.session.remove()
            db.engine.dispose()
    assert accounts.signed_in == ["ocop@example.vn"]
    assert relay.mailbox.envelopes[0].mail_from == "ocop@example.vn"  # the username as sender


def test_a_relay_refusing_for_now_is_retried_with_backoff_then_marked_failed(app, smtp):
    smtp.mailbox.refuse = "451 4.3.0 Thử lại sau"
    now = utcnow()
    with app.app_context():
        delivery_id = queue_email(next_at=now)
        at = now
        for tries in range(1, TRIES):
            assert outbox.deliver(at).retrying == 1
            delivery = row(delivery_id)
            assert (delivery.state, delivery.tries) == ("queued", tries)
            assert delivery.next_at == at + timedelta(seconds=BACKOFF * 2 ** tries)
            assert "451" in delivery.last_error
            assert outbox.deliver(delivery.next_at - timedelta(seconds=1)).tried == 0  # waits
            at = delivery.next_at
        assert outbox.deliver(at).failed == 1
        delivery = row(delivery_id)
        assert (delivery.state, delivery.tries, delivery.sent_at) == ("failed", TRIES, None)
        assert "451" in delivery.last_error
        assert outbox.deliver(at + timedelta(days=30)).tried == 0  # kept, not tried again
        # An administrator's retry starts it afresh; the relay takes it now.
        smtp.mailbox.refuse = None
        outbox.retry(delivery_id)
        db.session.commit()
        assert outbox.deliver().sent == 1 and row(delivery_id).state == "sent"
    assert len(smtp.mailbox.envelopes) == 1


def test_a_mailbox_refused_for_good_fails_at_once(app, smtp):
    smtp.mailbox.refuse = "550 5.1.1 Không có hộp thư này"
    with app.app_context():
        delivery_id = queue_email()
        assert outbox.deliver().failed == 1
        delivery = row(delivery_id)
        assert (delivery.state, delivery.tries) == ("failed", 1)
        assert delivery.last_error.startswith("SMTP 550")


def test_a_malformed_message_fails_alone_and_injects_no_header(app, smtp):
    with app.app_context():
        injected = queue_email(subject="Chào\r\nBcc: ke-gian@example.com")
        good = queue_email()
        counts = outbox.deliver()
        assert (counts.sent, counts.failed) == (1, 1)
        assert row(injected).state == "failed" and "malformed" in row(injected).last_error
        assert row(good).state == "sent"
    assert [e.rcpt_tos for e in smtp.mailbox.envelopes] == [["producer@example.vn"]]


def test_a_relay_that_is_down_is_retried_and_then_gets_everything(app):
    port = free_port()  # nothing listens there yet
    app.config["MAIL_PORT"] = port
    now = utcnow()
    with app.app_context():
        ids = [queue_email(next_at=now), queue_email(next_at=now)]
        counts = outbox.deliver(now)
        assert (counts.sent, counts.retrying, counts.failed) == (0, 2, 0)
        assert all(f"127.0.0.1:{port}" in row(i).last_error for i in ids)
        with SmtpServer(port) as relay:
            assert outbox.deliver(now + timedelta(seconds=BACKOFF * 2)).sent == 2
        assert {row(i).state for i in ids} == {"sent"}
    assert len(relay.mailbox.envelopes) == 2


def test_a_crash_after_the_relay_accepted_resends_once_with_the_same_message_id(app, smtp):
    now = utcnow()
    with app.app_context():
        delivery_id = queue_email(next_at=now)
        # A sender claims the row and hands the message to the relay, then dies before it
        # records that: the row stays `sending`, the relay has the message.
        assert outbox.claim(now, 10) == [delivery_id]
        crashed = sender("email", app.config)
        crashed.send(row(delivery_id))
        crashed.close()
        assert outbox.deliver(now).tried == 0  # its claim has not lapsed: someone may be on it
        lapsed = now + timedelta(seconds=app.config["NOTIFY_CLAIM_SECONDS"] + 1)
        assert outbox.deliver(lapsed).sent == 1
        delivery = row(delivery_id)
        assert (delivery.state, delivery.tries) == ("sent", 2)
        assert delivery.last_error == outbox.INTERRUPTED
        message_id = delivery.message_id
        assert outbox.deliver(lapsed + timedelta(days=1)).tried == 0  # never a third time
    assert [m["Message-ID"] for m in smtp.mailbox.messages] == [message_id, message_id]


def test_a_claim_takes_the_oldest_due_up_to_its_limit(app):
    now = utcnow()
    with app.app_context():
        ids = [queue_email(next_at=now - timedelta(minutes=n)) for n in range(8)]
        later = queue_email(next_at=now + timedelta(minutes=1))
        assert outbox.claim(now, 3) == sorted(ids[-3:])  # the three waiting longest
        assert outbox.claim(now, 10) == sorted(ids[:-3])
        assert outbox.claim(now, 10) == []
        assert row(later).state == "queued"


def test_two_senders_at_once_send_each_message_once(app, smtp, monkeypatch):
    with app.app_context():
        ids = [queue_email() for _ in range(60)]
    monkeypatch.setattr(outbox, "BATCH", 5)  # many small claims, so the two interleave
    totals = []

    def send() -> None:
        with app.app_context():
            totals.append(outbox.deliver().sent)
            db.session.remove()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(totals) == 60 and len(totals) == 2
    with app.app_context():
        assert {row(i).state for i in ids} == {"sent"}
        assert {row(i).tries for i in ids} == {1}
    message_ids = [m["Message-ID"] for m in smtp.mailbox.messages]
    assert len(message_ids) == len(set(message_ids)) == 60


def test_without_a_mail_server_notifications_are_off_and_nothing_is_lost(app, smtp, admin):
    app.config["MAIL_SERVER"] = ""
    with app.app_context():
        delivery_id = queue_email()
        assert not outbox.enabled() and outbox.deliver().tried == 0
        assert outbox.dispatch() is None
        delivery = row(delivery_id)
        assert (delivery.state, delivery.tries) == ("queued", 0)
    result = app.test_cli_runner().invoke(args=["ocop", "notify", "send"])
    assert result.exit_code == 0 and "Thông báo đang tắt" in result.output
    page = assert_full_page(admin.get("/outbox/"), "outbox")
    assert "OCOP_MAIL_SERVER" in page.find(id="notify-off").text
    assert smtp.mailbox.envelopes == []
    with app.app_context():
        assert row(delivery_id).state == "queued"


def test_ocop_notify_send_sends_what_is_due_and_says_how_much(app, smtp):
    with app.app_context():
        queue_email()
        queue_email()
        queue_email(next_at=utcnow() + timedelta(hours=1))  # not due yet
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ocop", "notify", "send", "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert "Đã gửi 1 tin; 0 tin sẽ gửi lại sau; 0 tin thất bại." in result.output
    assert len(smtp.mailbox.envelopes) == 1
    result = runner.invoke(args=["ocop", "notify", "send"])
    assert "Đã gửi 1 tin; 0 tin sẽ gửi lại sau; 0 tin thất bại." in result.output
    assert len(smtp.mailbox.envelopes) == 2


def test_dispatch_without_redis_sends_on_a_thread(app, smtp):
    with app.app_context():
        delivery_id = queue_email()
        thread = outbox.dispatch()
        thread.join(10)
        assert row(delivery_id).state == "sent"
    assert len(smtp.mailbox.envelopes) == 1


def test_dispatch_with_redis_hands_the_sending_to_a_worker(app, smtp):
    from redis import Redis
    from rq import Queue

    from ocop.checks import dispatch as jobs

    name = f"ocop-test-{uuid.uuid4().hex[:8]}"
    app.config.update(REDIS_URL="redis://127.0.0.1:6379/15", RQ_QUEUE=name)
    try:
        with app.app_context():
            delivery_id = queue_email()
            assert outbox.dispatch() is None
            assert row(delivery_id).state == "queued"  # nothing sent by the caller
            db.session.remove()
        jobs.work(app, burst=True)
        with app.app_context():
            assert row(delivery_id).state == "sent"
    finally:
        Queue(name, connection=Redis.from_url(app.config["REDIS_URL"])).delete(delete_jobs=True)
    assert len(smtp.mailbox.envelopes) == 1


# Webhooks


def verified(request: Request) -> bool:
    """What a receiver does with the documented scheme."""
    timestamp = request.headers["X-OCOP-Timestamp"]
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + request.get_data(),
                        hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(timestamp)) < 300
    return fresh and hmac.compare_digest(request.headers["X-OCOP-Signature"],
                                         f"sha256={expected}")


def test_a_webhook_gets_signed_json_the_receiver_verifies(app, receiver):
    received = []

    def handler(request: Request) -> Response:
        if not verified(request):
            return Response("bad signature", status=401)
        received.append((request.headers["X-OCOP-Delivery"], json.loads(request.get_data())))
        return Response(status=204)

    receiver.expect_request("/hook", method="POST").respond_with_handler(handler)
    receiver.expect_request("/province", method="POST").respond_with_handler(handler)
    with app.app_context():
        own = queue_webhook(receiver.url_for("/hook"))
        province = queue_webhook(receiver.url_for("/province"), email=None)
        assert outbox.deliver().sent == 2
        assert row(own).state == row(province).state == "sent"
        expected = {row(own).message_id, row(province).message_id}
    assert {delivery for delivery, _ in received} == expected
    assert received[0][1]["product"] == "Chè Bát tiên Hướng Tâm"


def test_a_forged_signature_is_refused_by_the_receiver(app, receiver):
    """The receiver's check can fail: a webhook sealed with another secret is refused (401),
    which is final."""
    receiver.expect_request("/hook", method="POST").respond_with_handler(
        lambda request: Response(status=204 if verified(request) else 401))
    with app.app_context():
        delivery_id = queue_webhook(receiver.url_for("/hook"))
        db.session.scalar(select(Webhook)).secret_sealed = vault.seal("another secret")
        db.session.commit()
        assert outbox.deliver().failed == 1
        assert row(delivery_id).last_error.startswith("HTTP 401")


@pytest.mark.parametrize(("status", "state"), [(503, "queued"), (429, "queued"),
                                               (404, "failed"), (400, "failed")])
def test_a_receiver_error_is_retried_or_final_by_its_status(app, receiver, status, state):
    receiver.expect_request("/hook", method="POST").respond_with_data("nope", status=status)
    with app.app_context():
        delivery_id = queue_webhook(receiver.url_for("/hook"))
        outbox.deliver()
        delivery = row(delivery_id)
        assert (delivery.state, delivery.tries) == (state, 1)
        assert delivery.last_error == f"HTTP {status}: nope"


def test_a_receiver_that_does_not_answer_in_time_is_retried(app, receiver):
    app.config["NOTIFY_TIMEOUT"] = 0.5

    def slow(_request):
        time.sleep(1.5)
        return Response(status=204)

    receiver.expect_request("/hook", method="POST").respond_with_handler(slow)
    with app.app_context():
        delivery_id = queue_webhook(receiver.url_for("/hook"))
        assert outbox.deliver().retrying == 1
        assert "no answer" in row(delivery_id).last_error


def test_a_webhook_resolving_to_a_private_address_is_refused_not_retried(app, receiver):
    with app.app_context():
        delivery_id = queue_webhook("https://hooks.example.vn/ocop")
        assert outbox.deliver().failed == 1
        delivery = row(delivery_id)
        assert (delivery.state, delivery.tries) == ("failed", 1)
        assert "10.20.30.40" in delivery.last_error and "refused" in delivery.last_error
    # An address the guard was not told to let through is refused too, loopback included.
    with app.app_context():
        other = queue_webhook(f"http://127.0.0.1:{free_port()}/hook", email="other@example.vn")
        assert outbox.deliver().failed == 1
        assert "refused" in row(other).last_error


# The page


def seed_page(app) -> dict:
    """One failed, one waiting and one sent delivery."""
    with app.app_context():
        failed = queue_email(subject="Chứng nhận sắp hết hạn <b>", state="failed", tries=TRIES,
                             last_error="SMTP 451: Thử lại sau")
        waiting = queue_email("officer@example.vn", next_at=utcnow() + timedelta(hours=2))
        sent = queue_email(state="sent", sent_at=utcnow())
    return {"failed": failed, "waiting": waiting, "sent": sent}


def test_the_outbox_page_shows_counts_and_the_failed_and_waiting(app, admin):
    ids = seed_page(app)
    page = assert_full_page(admin.get("/outbox/"), "outbox")
    counts = {s["data-state"]: s.text for s in page.select("#outbox-counts strong")}
    assert counts == {"queued": "1", "sent": "1", "failed": "1"}
    failed = page.find(id="outbox-failed").find(id=f"delivery-{ids['failed']}")
    assert "SMTP 451: Thử lại sau" in failed.text and "producer@example.vn" in failed.text
    assert "Chứng nhận sắp hết hạn <b>" in failed.text  # the subject escaped, shown as typed
    assert page.find(id="outbox-waiting").find(id=f"delivery-{ids['waiting']}") is not None
    assert page.find(id=f"delivery-{ids['sent']}") is None
    fragment = assert_fragment(admin.get("/outbox/", headers=HTMX), "outbox")
    assert fragment.find(id=f"retry-{ids['failed']}") is not None
    menu = soup(admin.get("/outbox/")).select("header nav a[href='/outbox/']")
    assert menu, "the admin menu links the outbox"


def test_retry_from_the_page_sends_the_failed_message(app, admin, smtp):
    ids = seed_page(app)
    response = admin.post(f"/outbox/{ids['failed']}/retry", headers=HTMX)
    html = assert_fragment(response, "outbox")
    assert "Đã xếp lại tin gửi producer@example.vn" in html.find(id="outbox-flashes").text
    deadline = time.monotonic() + 10
    with app.app_context():
        while row(ids["failed"]).state != "sent" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert row(ids["failed"]).state == "sent"
    assert [m["Subject"] for m in smtp.mailbox.messages] == ["Chứng nhận sắp hết hạn <b>"]
    again = admin.post(f"/outbox/{ids['sent']}/retry")
    assert again.status_code == 303
    assert "đã gửi" in admin.get("/outbox/").text


@pytest.mark.parametrize("email", ["officer@example.vn", "producer@example.vn"])
def test_the_outbox_is_for_administrators_only(app, email):
    ids = seed_page(app)
    client = sign_in(app, email)
    assert client.get("/outbox/").status_code == 403
    assert client.post(f"/outbox/{ids['failed']}/retry").status_code == 403
    with app.app_context():
        assert row(ids["failed"]).state == "failed"
    anonymous = app.test_client()
    assert anonymous.get("/outbox/").status_code == 302
    assert anonymous.post(f"/outbox/{ids['failed']}/retry").status_code == 302


def test_retry_needs_the_csrf_token(app, smtp):
    ids = seed_page(app)
    client = sign_in(app, "admin@example.vn")
    app.config["WTF_CSRF_ENABLED"] = True
    app.config["MAIL_SERVER"] = ""  # keep the retried row where the test can see it
    assert client.post(f"/outbox/{ids['failed']}/retry").status_code == 400
    with app.app_context():
        assert row(ids["failed"]).state == "failed"
    page = soup(client.get("/outbox/"))
    form = page.find(id=f"retry-{ids['failed']}").find_parent("form")
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    assert client.post(form["action"], data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert (row(ids["failed"]).state, row(ids["failed"]).tries) == ("queued", 0)
