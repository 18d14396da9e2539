"""Time delivery: N queued email notifications sent to a local SMTP server (aiosmtpd, the
tests' relay, in a process of its own as a real relay is) by one `ocop.notify.outbox.deliver`
call, as one worker sends them.

Each message is a Vietnamese notification of about 2 KB (text and HTML) to its own address.
The relay counts what it accepts; the bench checks every row ended `sent` and every message
arrived once. The issue's goal is at least 50 messages/s from one worker.

    .venv/bin/python -m bench.notify_delivery \
        --postgresql postgresql://postgres@127.0.0.1:5432/ocop_bench_outbox
"""

import argparse
import multiprocessing
import time
from multiprocessing.connection import Connection

from bench.import_export import OUT, fresh_postgresql, fresh_sqlite
from tests.mailbox import SmtpServer, free_port

TEXT = ("Kính gửi HTX Chè Hướng Tâm,\n\nGian hàng “Chè Bát tiên Hướng Tâm {n}” trên Shopee đã "
        "bị gỡ khỏi sàn (đã xác nhận qua hai lần kiểm tra). Bạn có thể đăng lại gian hàng rồi "
        "báo cho Sở Công Thương Lào Cai để cập nhật.\n\n") * 3
HTML = "<p>" + TEXT.replace("\n\n", "</p><p>") + "</p>"


def queue(uri: str, count: int) -> None:
    """Migrate an empty database and queue `count` email deliveries, due now."""
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from ocop import create_app
    from ocop.extensions import db
    from ocop.models import Delivery, utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        now = utcnow()
        db.session.execute(insert(Delivery), [
            {"key": f"bench:{n}", "message_id": f"<bench.{n}@ocop.example.vn>",
             "channel": "email", "address": f"chu-the-{n}@example.vn",
             "subject": f"Gian hàng Chè Bát tiên Hướng Tâm {n} bị gỡ khỏi Shopee",
             "body": {"text": TEXT.format(n=n), "html": HTML.format(n=n), "language": "vi",
                      "reason": "Bạn nhận thư này vì là chủ thể của sản phẩm.",
                      "unsubscribe": f"https://ocop.example.vn/notifications/unsubscribe/{n}"},
             "event_ids": [], "state": "queued", "tries": 0, "next_at": now, "created_at": now}
            for n in range(count)])
        db.session.commit()
        db.engine.dispose()


def relay(port: int, pipe: Connection) -> None:
    """The relay's process: serve on `port` until told to stop, then report what it got."""
    with SmtpServer(port) as server:
        pipe.send("ready")
        pipe.recv()
        pipe.send((len(server.mailbox.envelopes), server.mailbox.sessions))


def deliver(uri: str, count: int) -> tuple[float, int]:
    """Send everything queued to a fresh local relay: seconds taken and messages received."""
    from sqlalchemy import func, select

    from ocop import create_app
    from ocop.extensions import db
    from ocop.models import Delivery
    from ocop.notify import outbox

    port = free_port()
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.Process(target=relay, args=(port, theirs))
    process.start()
    assert ours.recv() == "ready"
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "MAIL_SERVER": "127.0.0.1",
                      "MAIL_PORT": port, "MAIL_DEFAULT_SENDER": "ocop@example.vn"})
    with app.app_context():
        started = time.perf_counter()
        counts = outbox.deliver()
        seconds = time.perf_counter() - started
        sent = db.session.scalar(select(func.count()).where(Delivery.state == "sent"))
        assert counts.sent == sent == count, (counts, sent)
        db.engine.dispose()
    ours.send("stop")
    received, sessions = ours.recv()
    process.join()
    assert received == count and sessions == 1, (received, sessions)
    return seconds, received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", help="URL of a PostgreSQL database whose name contains "
                                             "'bench' (created when missing, emptied first)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    backends = [] if args.skip_sqlite else [("sqlite", fresh_sqlite)]
    if args.postgresql:
        backends.append(("postgresql", lambda: fresh_postgresql(args.postgresql)))
    print("| database | messages | seconds | messages/s |\n|---|---:|---:|---:|")
    for name, fresh in backends:
        uri = fresh()
        queue(uri, args.messages)
        seconds, received = deliver(uri, args.messages)
        print(f"| {name} | {received:,} | {seconds:.1f} | {received / seconds:,.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
