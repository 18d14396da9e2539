"""In Chromium: an administrator reads the outbox on a desktop and on a phone, and retries a
failed message, which the local relay then receives."""

import os
from datetime import timedelta
from pathlib import Path

import pytest

from ocop.models import utcnow

from .test_browser import browser, live_server, sign_in, sync_api, watch  # noqa: F401
from .test_notify_outbox import TRIES, queue_email

SHOTS = Path(os.environ.get("OCOP_SCREENSHOTS", "/tmp/ocop-screenshots"))


@pytest.fixture
def app_overrides(smtp) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port,
            "MAIL_DEFAULT_SENDER": "ocop@example.vn", "NOTIFY_TRIES": TRIES}


@pytest.fixture
def outbox_rows(app) -> dict:
    with app.app_context():
        failed = queue_email(subject="Chứng nhận OCOP của Chè Bát tiên hết hạn trong 30 ngày",
                             state="failed", tries=TRIES,
                             last_error="SMTP 451: 4.3.0 Hộp thư tạm thời không nhận thư, "
                                        "hãy thử lại sau")
        waiting = queue_email("officer@example.vn", subject="Số liệu tháng 11 đã chốt",
                              next_at=utcnow() + timedelta(hours=1))
    return {"failed": failed, "waiting": waiting}


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800},
                                      {"width": 390, "height": 844}], ids=["desktop", "phone"])
def test_an_administrator_retries_a_failed_message(app, browser, live_server, watch, smtp,  # noqa: F811
                                                   outbox_rows, viewport):
    expect = sync_api.expect
    tab = watch(browser.new_page(base_url=live_server, viewport=viewport))
    tab.set_default_timeout(10_000)
    sign_in(tab, "admin@example.vn")
    tab.goto("/outbox/")
    expect(tab.locator("#outbox-failed")).to_contain_text("SMTP 451")
    expect(tab.locator("#outbox-waiting")).to_contain_text("Số liệu tháng 11 đã chốt")
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=SHOTS / f"outbox-{viewport['width']}.png", full_page=True)
    tab.click(f"#retry-{outbox_rows['failed']}")
    expect(tab.locator("#outbox-flashes")).to_contain_text("Đã xếp lại tin gửi")
    expect(tab.locator("#outbox-failed")).to_have_count(0)  # none failed now
    tab.screenshot(path=SHOTS / f"outbox-{viewport['width']}-retried.png", full_page=True)
    deadline = tab.evaluate("Date.now()") + 10_000
    while not smtp.mailbox.envelopes and tab.evaluate("Date.now()") < deadline:
        tab.wait_for_timeout(50)
    assert [m["Subject"] for m in smtp.mailbox.messages] == [
        "Chứng nhận OCOP của Chè Bát tiên hết hạn trong 30 ngày"]
