"""The queue: who hears what, digests, the words and links, once only; on both backends."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from ocop.dashboard import months
from ocop.extensions import db
from ocop.localtime import day_end, local_date, month_end, month_of
from ocop.models import Delivery, Event, Listing, User, Webhook, add_months, utcnow
from ocop.notify import audience, compose, preferences, queue, tokens
from ocop.notify.once import insert_new
from ocop.notify.queue import preview, queue_due

PUBLIC = "https://ocop.example.vn"


@pytest.fixture
def app_overrides() -> dict:
    return {"PUBLIC_URL": PUBLIC}


def user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def record(kind: str, at=None, **fields) -> Event:
    """An event as ocop.notify.events records it (the key names what and when)."""
    event = Event(kind=kind, key=f"{kind}:{len(db.session.new)}:{utcnow().isoformat()}",
                  at=at or utcnow(), **fields)
    db.session.add(event)
    db.session.flush()
    return event


def listing_event(kind: str, catalogue, at=None) -> Event:
    """`kind` about HTX Chè Hướng Tâm's tea listing."""
    listing = db.session.scalar(select(Listing).where(Listing.product_id == catalogue["tea"]))
    return record(kind, at, producer_id=listing.product.producer_id,
                  product_id=listing.product_id, listing_id=listing.id)


def queued() -> dict[str, Delivery]:
    return {d.key: d for d in db.session.scalars(select(Delivery))}


def test_a_producer_hears_of_their_own_at_once_and_no_one_else_does(app, catalogue):
    with app.app_context():
        removed = listing_event("listing_removed", catalogue)
        other = user("other@example.vn")
        theirs = record("certificate_30", producer_id=other.producer_id,
                        product_id=catalogue["ham"])
        mine, them = user("producer@example.vn"), other
        assert queue_due(utcnow()) == 2
        assert set(queued()) == {f"event:{removed.id}:user:{mine.id}:email",
                                 f"event:{theirs.id}:user:{them.id}:email"}
        delivery = queued()[f"event:{removed.id}:user:{mine.id}:email"]
        assert delivery.address == "producer@example.vn" and delivery.event_ids == [removed.id]
        assert "Chè Bát tiên Hướng Tâm" in delivery.subject
        assert f"{PUBLIC}/listings/{removed.listing_id}" in delivery.body["text"]
        assert "Bạn nhận thư này vì" in delivery.body["text"]
        assert delivery.message_id.endswith("@ocop.example.vn>")


def test_the_unsubscribe_link_is_signed_for_the_person_and_the_kind(app, catalogue):
    with app.app_context():
        removed = listing_event("listing_removed", catalogue)
        queue_due(utcnow())
        mine = user("producer@example.vn")
        body = queued()[f"event:{removed.id}:user:{mine.id}:email"].body
        url = urlsplit(body["unsubscribe"])
        assert f"{url.scheme}://{url.netloc}" == PUBLIC and url.path.startswith(tokens.PATH)
        assert tokens.read(url.path.removeprefix(tokens.PATH)) == (mine.id, "listing_removed")
        assert body["unsubscribe"] in body["text"] and body["unsubscribe"] in body["html"]
        assert body["reason"] in body["html"] and body["language"] == "vi"


def test_an_english_user_reads_english(app, catalogue):
    with app.app_context():
        user("producer@example.vn").language = "en"
        listing_event("listing_out_of_stock", catalogue)
        queue_due(utcnow())
        (delivery,) = queued().values()
        assert delivery.body["language"] == "en"
        assert delivery.body["reason"].startswith("You receive this")
        assert "Listing out of stock" in delivery.subject
        assert 'lang="en"' in delivery.body["html"]


def test_a_second_run_queues_nothing(app, catalogue):
    with app.app_context():
        listing_event("listing_removed", catalogue)
        listing_event("listing_back", catalogue)
        assert queue_due(utcnow()) == 2
        db.session.commit()
        assert queue_due(utcnow()) == 0
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 2


def test_preview_tells_what_would_be_queued_and_writes_nothing(app, catalogue):
    with app.app_context():
        event = listing_event("listing_removed", catalogue)
        mine = user("producer@example.vn")
        shown = preview(mine, utcnow())
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0
        assert [m["key"] for m in shown] == [f"event:{event.id}:user:{mine.id}:email"]
        assert "Chè Bát tiên Hướng Tâm" in shown[0]["subject"]
        assert preview(user("officer@example.vn"), utcnow()) == []
        queue_due(utcnow())
        assert preview(mine, utcnow()) == []  # queued already: nothing more would come


def test_an_officer_chooses_a_daily_digest_of_each_finished_day(app, catalogue):
    with app.app_context():
        officer = user("officer@example.vn")
        preferences.choose(officer, {"listing_removed": "daily", "listing_back": "daily"})
        now = utcnow()
        officer.created_at = now - timedelta(days=30)  # an account older than the events
        yesterday = local_date(now) - timedelta(days=1)
        late = day_end(yesterday) - timedelta(hours=1)
        first = listing_event("listing_removed", catalogue, at=late - timedelta(hours=2))
        second = listing_event("listing_back", catalogue, at=late)
        today = listing_event("listing_removed", catalogue, at=now - timedelta(minutes=1))
        queue_due(now)
        digests = {k: d for k, d in queued().items() if k.startswith("daily:")}
        assert list(digests) == [f"daily:{yesterday.isoformat()}:user:{officer.id}:email"]
        digest = next(iter(digests.values()))
        assert digest.event_ids == [first.id, second.id] and today.id not in digest.event_ids
        assert "Gian hàng bị gỡ khỏi sàn" in digest.body["text"]
        assert "Gian hàng bán trở lại" in digest.body["text"]
        assert tokens.read(digest.body["unsubscribe"].rsplit("/", 1)[1]) == (officer.id, "*")


def test_officers_get_the_closed_month_with_its_figures(app, catalogue):
    with app.app_context():
        now = utcnow()
        month = add_months(month_of(now), -1)
        months.close(month)
        officer, admin = user("officer@example.vn"), user("admin@example.vn")
        officer.created_at = now - timedelta(days=40)
        preferences.choose(officer, {"listing_removed": "monthly"})
        in_month = listing_event("listing_removed", catalogue,
                                 at=month_end(month) - timedelta(days=2))
        closed = record("month_closed", data={"month": f"{month:%Y-%m}"})
        this_month = listing_event("listing_removed", catalogue)
        queue_due(utcnow())
        keys = set(queued())
        for person in (officer, admin):
            key = f"monthly:{month:%Y-%m}:user:{person.id}:email"
            assert key in keys
            body = queued()[key].body
            assert f"{PUBLIC}/dashboard/report.xlsx?month={month:%Y-%m}" in body["html"]
            assert "Sản phẩm OCOP có gian hàng trực tuyến" in body["text"]
            assert "Cần người xem" in body["text"]
        assert not any(k.startswith("monthly:") and k.endswith(
            f":user:{user('producer@example.vn').id}:email") for k in keys)
        told = queued()[f"monthly:{month:%Y-%m}:user:{officer.id}:email"]
        assert told.event_ids == [in_month.id] and this_month.id not in told.event_ids
        assert closed.id not in told.event_ids and "Chè Bát tiên Hướng Tâm" in told.body["text"]
        assert queued()[f"monthly:{month:%Y-%m}:user:{admin.id}:email"].event_ids == []


def test_administrators_hear_at_once_of_failed_runs(app):
    with app.app_context():
        failed = record("run_failed", data={"note": "database gone"})
        queue_due(utcnow())
        admin = user("admin@example.vn")
        assert set(queued()) == {f"event:{failed.id}:user:{admin.id}:email"}
        assert "database gone" in queued()[f"event:{failed.id}:user:{admin.id}:email"
                                           ].body["text"]


def test_webhooks_get_the_same_messages_as_json(app, catalogue):
    with app.app_context():
        mine = user("producer@example.vn")
        db.session.add_all([Webhook(scope="user", user_id=mine.id, url="https://hook.example/me",
                                    secret_sealed="sealed"),
                            Webhook(scope="province", url="https://hook.example/province",
                                    secret_sealed="sealed",
                                    created_at=utcnow() - timedelta(days=1))])
        removed = listing_event("listing_removed", catalogue)
        failed = record("run_failed")
        queue_due(utcnow())
        found = queued()
        assert {f"event:{removed.id}:user:{mine.id}:email",
                f"event:{removed.id}:user:{mine.id}:webhook",
                f"event:{removed.id}:province:webhook",
                f"event:{failed.id}:province:webhook"} <= set(found)
        hook = found[f"event:{removed.id}:user:{mine.id}:webhook"]
        assert hook.address == "https://hook.example/me"
        assert hook.body["id"] == hook.message_id and hook.body["kind"] == "listing_removed"
        assert hook.body["sent_for"] == "producer@example.vn"
        assert hook.body["events"][0]["url"] == f"{PUBLIC}/listings/{removed.listing_id}"
        province = found[f"event:{removed.id}:province:webhook"]
        assert province.body["sent_for"] == "province" and province.user_id is None


def test_no_one_hears_of_the_past_or_after_deactivation(app, catalogue):
    with app.app_context():
        now = utcnow()
        listing_event("listing_removed", catalogue, at=now - audience.HORIZON - timedelta(1))
        # Before the account existed.
        listing_event("listing_back", catalogue,
                      at=user("producer@example.vn").created_at - timedelta(minutes=1))
        assert queue_due(now) == 0
        listing_event("listing_removed", catalogue)
        user("producer@example.vn").active = False
        assert queue_due(now) == 0


def test_everyone_is_read_with_their_own_choices(app):
    with app.app_context():
        officer = user("officer@example.vn")
        preferences.choose(officer, {"listing_back": "daily"})
        people = {p.id: p for p in audience.recipients()}
        for person in db.session.scalars(select(User)):
            assert people[person.id].frequencies == preferences.chosen(person)


def test_the_cli_previews_a_user(app, catalogue):
    with app.app_context():
        listing_event("listing_removed", catalogue)
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ocop", "notify", "preview", "--user", "producer@example.vn"])
    assert result.exit_code == 0, result.output
    assert "Chè Bát tiên Hướng Tâm" in result.output and "Bạn nhận thư này vì" in result.output
    assert runner.invoke(args=["ocop", "notify", "preview", "--user", "ai@example.vn"]
                         ).exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_an_officer_may_hear_of_the_closed_month_at_once(app, catalogue):
    with app.app_context():
        month = add_months(month_of(utcnow()), -1)
        months.close(month)
        officer = user("officer@example.vn")
        preferences.choose(officer, {"month_closed": "instant"})
        db.session.add(Webhook(scope="user", user_id=officer.id, url="https://hook.example/o",
                               secret_sealed="sealed"))
        closed = record("month_closed", data={"month": f"{month:%Y-%m}"})
        queue_due(utcnow())
        email = queued()[f"event:{closed.id}:user:{officer.id}:email"]
        assert f"/dashboard/report.xlsx?month={month:%Y-%m}" in email.body["text"]
        hook = queued()[f"event:{closed.id}:user:{officer.id}:webhook"].body
        assert hook["kind"] == "month_closed" and hook["month"]["month"] == f"{month:%Y-%m}"
        assert hook["month"]["counted"] == 3  # the catalogue's three certified products
        assert not any(k.startswith("monthly:") and f":user:{officer.id}:" in k
                       for k in queued())


def test_a_long_digest_lists_the_first_events_and_counts_the_rest(app, catalogue):
    with app.app_context():
        officer = user("officer@example.vn")
        officer.created_at = utcnow() - timedelta(days=30)
        preferences.choose(officer, {"listing_back": "daily"})
        yesterday = day_end(local_date(utcnow()) - timedelta(days=1)) - timedelta(hours=1)
        for n in range(compose.SHOWN + 2):
            listing_event("listing_back", catalogue, at=yesterday - timedelta(minutes=n))
        queue_due(utcnow())
        (digest,) = (d for k, d in queued().items() if k.startswith("daily:"))
        assert len(digest.event_ids) == compose.SHOWN + 2
        assert f"({compose.SHOWN + 2})" in digest.body["text"]
        assert "… và 2 tin khác" in digest.body["text"] and "… và 2 tin khác" in digest.body["html"]
        assert digest.body["text"].count(f"{PUBLIC}/listings/") == compose.SHOWN


def test_two_queues_at_once_write_each_message_once(app, catalogue):
    """Two processes that both found a message unqueued: the second insert adds nothing."""
    with app.app_context():
        listing_event("listing_removed", catalogue)
        now = utcnow()
        composed_twice = list(queue.rows(queue.pending(now), now))
        assert queue_due(now) == 1
        assert insert_new(Delivery, composed_twice) == 0
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 1


def test_a_monthly_digest_waits_for_the_months_figures(app, catalogue):
    with app.app_context():
        month = add_months(month_of(utcnow()), -1)
        record("month_closed", data={"month": f"{month:%Y-%m}"})
        assert queue_due(utcnow()) == 0  # nothing to tell without the frozen figures
        months.close(month)
        assert queue_due(utcnow()) == 2  # the officer's and the administrator's
