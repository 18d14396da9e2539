"""Issue 13 end to end: real runs against an imitation marketplace, then what their end does by
itself (months, events, the queue, the outbox sent on a thread) as a producer's mailbox on a
real local SMTP relay sees it; a rerun and `ocop notify send` send nothing twice; cron's
`ocop check` sends before its process exits."""

import subprocess
import time

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from ocop.checks import runner
from ocop.extensions import db
from ocop.models import Delivery, Event
from ocop.notify import tokens

from .shop import FAST, GONE, LIVE, SOLD_OUT, add_listings
from .test_check_cli import environment, ocop


@pytest.fixture
def app_overrides(smtp) -> dict:
    return {**FAST, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port,
            "MAIL_DEFAULT_SENDER": "OCOP Lào Cai <ocop@example.vn>",
            "PUBLIC_URL": "https://ocop.example.vn", "TOKEN_KEY": Fernet.generate_key().decode()}


def run_all(app) -> None:
    """A run over every listing, ended as the app ends it (its signal and receivers)."""
    with app.app_context():
        run, _ = runner.start("all", None, origin="test")
        runner.execute(run.id)


def arrived(smtp, count: int, seconds: float = 15.0) -> list:
    """The relay's messages once there are `count` (sent on a thread after the run)."""
    deadline = time.monotonic() + seconds
    while len(smtp.mailbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return smtp.mailbox.messages


def test_a_run_tells_the_producer_by_itself_once(app, shop, smtp):
    sold_out, gone = add_listings(app, shop, [LIVE], [LIVE])
    run_all(app)
    time.sleep(0.5)
    assert smtp.mailbox.messages == []  # the first look changes nothing worth telling
    shop.script("/p/0", SOLD_OUT)
    shop.script("/p/1", GONE)
    run_all(app)  # finds one sold out, and one gone, confirmed by its second look

    messages = arrived(smtp, 2)
    assert len(messages) == 2
    assert {m["To"] for m in messages} == {"producer@example.vn"}  # theirs, no one else's
    texts = {m.get_body(("plain",)).get_content() for m in messages}
    assert any(f"/listings/{sold_out}" in t for t in texts)
    assert any(f"/listings/{gone}" in t for t in texts)
    assert all("Bạn nhận thư này vì" in t for t in texts)
    for message in messages:
        link = message["List-Unsubscribe"].strip("<>")
        assert link.startswith("https://ocop.example.vn" + tokens.PATH)
        with app.app_context():
            assert tokens.read(link.rsplit("/", 1)[1])[0] is not None
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    run_all(app)  # the same states again: nothing new to tell
    result = app.test_cli_runner().invoke(args=["ocop", "notify", "send"])
    assert result.exit_code == 0, result.output
    time.sleep(0.5)
    assert len(smtp.mailbox.messages) == 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 2
        assert set(db.session.scalars(select(Delivery.state))) == {"sent"}
        assert {e.kind for e in db.session.scalars(select(Event))} == {
            "listing_out_of_stock", "listing_removed"}


def test_cron_s_ocop_check_sends_before_it_exits(app, shop, smtp, database_uri):
    add_listings(app, shop, [LIVE, SOLD_OUT])  # on sale at the first look, sold out at the next
    env = environment(database_uri, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port,
                      MAIL_DEFAULT_SENDER="ocop@example.vn", PUBLIC_URL="https://ocop.example.vn")
    for _ in range(2):
        done = subprocess.run(ocop("check", "--all"), env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
    # The process has exited: what its run had to tell was sent, not cut off with it.
    assert [m["To"] for m in smtp.mailbox.messages] == ["producer@example.vn"]
