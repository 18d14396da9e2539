"""A marketplace's fetch method (http, browser, auto) is data: the column and its CHECK, the
migration and the seeded defaults, the CLI, the Sàn page, the audit trail, and the targets a
check run hands the engine."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ocop.checks import dispatch, runner
from ocop.extensions import db
from ocop.models import AuditEntry, Listing, Marketplace
from scrapers.model import FETCH_METHODS
from tests.shop import FAST, LIVE, add_listings
from tests.test_check_cli import redis_queue  # noqa: F401  (a fixture)

from .helpers import HTMX as HX
from .helpers import assert_fragment, assert_full_page, soup
from .test_marketplaces import errors_of, form_data, marketplace

SEEDED = {"shopee": "auto", "tiktok": "auto", "lazada": "auto", "tiki": "http",
          "sendo": "http", "postmart": "http", "voso": "http"}


def fetch_of(app) -> dict[str, str]:
    """Every marketplace's fetch method by slug."""
    with app.app_context():
        return dict(db.session.execute(select(Marketplace.slug, Marketplace.fetch)).all())


def last_audit(app, marketplace_id: int) -> AuditEntry:
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "marketplace", AuditEntry.entity_id == marketplace_id)
            .order_by(AuditEntry.id.desc())).first()
        db.session.expunge(entry)
        return entry


@pytest.fixture
def app_overrides():
    return FAST  # check runs against the imitation shop on 127.0.0.1


# The column, the migration, the seed.

def test_fetch_methods_are_the_engines():
    assert FETCH_METHODS == ("http", "browser", "auto")


def test_seeded_marketplaces_read_the_big_three_auto(app):
    assert fetch_of(app) == SEEDED


def test_a_raw_insert_gets_http_and_an_unknown_method_is_refused_by_the_database(app):
    table = Marketplace.__table__
    with app.app_context():
        db.session.execute(insert(table).values(name="Chợ A", slug="cho-a", adapter="generic",
                                                enabled=True, concurrency=1, min_interval=0,
                                                version=1))
        db.session.commit()
        assert db.session.scalar(select(table.c.fetch).where(table.c.slug == "cho-a")) == "http"
        with pytest.raises(IntegrityError, match="ck_marketplaces_fetch|CHECK constraint"):
            db.session.execute(update(table).where(table.c.slug == "cho-a").values(fetch="ftp"))
            db.session.flush()
        db.session.rollback()
        with pytest.raises(IntegrityError):
            db.session.execute(insert(table).values(
                name="Chợ B", slug="cho-b", adapter="generic", enabled=True, concurrency=1,
                min_interval=0, version=1, fetch="ftp"))
        db.session.rollback()
        assert db.session.scalar(select(table.c.fetch).where(table.c.slug == "cho-a")) == "http"


def test_the_migration_sets_the_big_three_to_auto_in_an_existing_registry(app):
    """A registry seeded before the column existed: after the upgrade Shopee, TikTok Shop and
    Lazada are read auto, the others http, and the CHECK holds on both backends."""
    directory = app.extensions["migrate"].directory
    with app.app_context():
        downgrade(directory=directory, revision="439d9fafd690")
        db.session.remove()
        upgrade(directory=directory)  # to the newest: the next tests share this database
        db.session.remove()
    assert fetch_of(app) == SEEDED
    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(update(Marketplace.__table__).values(fetch="ftp"))
            db.session.flush()
        db.session.rollback()
        # The older CHECKs survive SQLite's table rebuilds.
        with pytest.raises(IntegrityError):
            db.session.execute(update(Marketplace.__table__).values(concurrency=0))
            db.session.flush()
        db.session.rollback()


# The command line.

@pytest.fixture
def run(app):
    runner_ = app.test_cli_runner()
    return lambda *args: runner_.invoke(args=["ocop", "marketplace", *args])


def test_cli_add_takes_a_fetch_method_and_list_shows_it(run, app):
    result = run("add", "Chợ phiên", "--host", "cho.example.vn", "--adapter", "generic",
                 "--fetch", "browser")
    assert result.exit_code == 0, result.output
    result = run("add", "Chợ quê", "--host", "que.example.vn", "--adapter", "generic")
    assert result.exit_code == 0, result.output
    assert fetch_of(app)["cho-phien"] == "browser"
    assert fetch_of(app)["cho-que"] == "http"
    lines = {line.split()[0]: line for line in run("list").output.splitlines()}
    assert "fetch=browser" in lines["cho-phien"]
    assert "fetch=http" in lines["cho-que"] and "fetch=auto" in lines["shopee"]


def test_cli_add_refuses_an_unknown_fetch_method(run, app):
    result = run("add", "Chợ phiên", "--host", "cho.example.vn", "--adapter", "generic",
                 "--fetch", "ftp")
    assert result.exit_code == 2
    assert "'ftp' is not one of 'http', 'browser', 'auto'" in result.output
    assert "cho-phien" not in fetch_of(app)


def test_cli_set_changes_only_what_it_is_given_and_is_audited(run, app):
    before = marketplace(app, "tiki")
    result = run("set", "tiki", "--fetch", "browser", "--concurrency", "3")
    assert result.exit_code == 0, result.output
    assert "fetch=browser" in result.output and "concurrency=3" in result.output
    after = marketplace(app, "tiki")
    assert (after.fetch, after.concurrency, after.version) == ("browser", 3, before.version + 1)
    assert (after.min_interval, after.enabled, after.host_names, after.adapter) == (
        before.min_interval, before.enabled, before.host_names, before.adapter)
    entry = last_audit(app, after.id)
    assert entry.action == "update" and entry.actor == "cli"
    assert entry.changes == {"fetch": ["http", "browser"], "concurrency": [4, 3]}

    result = run("set", "tiki", "--min-interval", "0.25", "--disabled")
    assert result.exit_code == 0, result.output
    after = marketplace(app, "tiki")
    assert (after.fetch, after.min_interval, after.enabled) == ("browser", 0.25, False)
    assert run("set", "tiki", "--enabled").exit_code == 0
    assert marketplace(app, "tiki").enabled is True


@pytest.mark.parametrize(("args", "code", "message"), [
    (("nowhere", "--fetch", "auto"), 1, "No marketplace 'nowhere'; there are: lazada,"),
    (("tiki", "--fetch", "ftp"), 2, "'ftp' is not one of 'http', 'browser', 'auto'"),
    (("tiki",), 2, "Nothing to change"),
    (("tiki", "--concurrency", "0"), 1, "Số yêu cầu đồng thời từ 1 đến 64."),
    (("tiki", "--min-interval", "-1"), 1, "Khoảng cách tối thiểu không được âm."),
])
def test_cli_set_refuses_bad_input_and_changes_nothing(run, app, args, code, message):
    result = run("set", *args)
    assert result.exit_code == code
    assert message in result.output
    tiki = marketplace(app, "tiki")
    assert (tiki.fetch, tiki.concurrency, tiki.min_interval, tiki.version) == ("http", 4, 1.0, 1)


# The Sàn page.

def test_list_shows_each_marketplaces_fetch_method(admin):
    page = assert_full_page(admin.get("/marketplaces/"), "marketplaces")
    cells = {r.find("a").text: r.find("td", class_="fetch") for r in
             page.select("#marketplaces tbody tr")}
    assert cells["Shopee"]["data-fetch"] == "auto"
    assert cells["Shopee"].text == "Tự động (HTTP trước, trình duyệt khi cần)"
    assert cells["Tiki"].text == "HTTP"
    fragment = assert_fragment(admin.get("/marketplaces/", headers=HX), "marketplaces")
    assert len(fragment.select("td.fetch")) == 7


def test_form_offers_the_three_methods_in_vietnamese(admin, app):
    shopee = marketplace(app, "shopee")
    for headers in ({}, HX):
        page = soup(admin.get(f"/marketplaces/{shopee.id}/edit", headers=headers))
        select_ = page.find("select", attrs={"name": "fetch"})
        assert [(o["value"], o.text) for o in select_.find_all("option")] == [
            ("http", "HTTP"), ("browser", "Trình duyệt"),
            ("auto", "Tự động (HTTP trước, trình duyệt khi cần)")]
        assert select_.find("option", selected=True)["value"] == "auto"
        assert "chỉ mở trình duyệt" in select_.find_next("small").text
    new = soup(admin.get("/marketplaces/new"))
    assert new.find("select", attrs={"name": "fetch"}).find(
        "option", selected=True)["value"] == "http"


def test_create_with_a_fetch_method(admin, app):
    response = admin.post("/marketplaces/new", data=form_data(fetch="browser"))
    assert response.status_code == 303
    assert marketplace(app, "cho-lao-cai").fetch == "browser"


def test_edit_the_fetch_method_is_audited(admin, app):
    tiki = marketplace(app, "tiki")
    response = admin.post(f"/marketplaces/{tiki.id}/edit", data=form_data(
        name="Tiki", slug="tiki", adapter="tiki", hosts="tiki.vn\nwww.tiki.vn", concurrency="4",
        min_interval="1", fetch="auto", version="1"))
    assert response.status_code == 303
    assert marketplace(app, "tiki").fetch == "auto"
    entry = last_audit(app, tiki.id)
    assert entry.actor == "admin@example.vn"
    assert entry.changes == {"fetch": ["http", "auto"]}
    history = admin.get(f"/history/marketplace/{tiki.id}")
    assert history.status_code == 200
    assert "Cách đọc trang" in history.text
    assert "Tự động (HTTP trước, trình duyệt khi cần)" in history.text


def test_an_edit_that_does_not_send_the_method_keeps_it(admin, app):
    shopee = marketplace(app, "shopee")
    response = admin.post(f"/marketplaces/{shopee.id}/edit", data=form_data(
        name="Shopee", slug="shopee", adapter="shopee", hosts="shopee.vn\nwww.shopee.vn",
        concurrency="3", min_interval="0.5", version="1"))
    assert response.status_code == 303
    assert (marketplace(app, "shopee").fetch, marketplace(app, "shopee").concurrency) == (
        "auto", 3)


@pytest.mark.parametrize("headers", [{}, HX])
def test_an_unknown_method_is_refused_in_vietnamese(admin, app, headers):
    tiki = marketplace(app, "tiki")
    response = admin.post(f"/marketplaces/{tiki.id}/edit", headers=headers, data=form_data(
        name="Tiki", slug="tiki", adapter="tiki", hosts="tiki.vn\nwww.tiki.vn", fetch="ftp",
        version="1"))
    assert response.status_code == 200
    if headers:
        assert_fragment(response, "marketplace-form")
    assert errors_of(response)["fetch"] == (
        "Cách đọc trang không tồn tại: ftp (chỉ có http, browser, auto).")
    tiki = marketplace(app, "tiki")
    assert (tiki.fetch, tiki.version) == ("http", 1)
    response = admin.post("/marketplaces/new", data=form_data(fetch="ftp"))
    assert "Cách đọc trang không tồn tại: ftp" in errors_of(response)["fetch"]
    assert marketplace(app, "cho-lao-cai") is None


def test_inline_validation_of_the_method(admin):
    response = admin.post("/marketplaces/new?validate=fetch", data=form_data(fetch="ftp"),
                          headers=HX)
    error = soup(response).find("small")
    assert error["id"] == "error-fetch"
    assert error.text.strip().startswith("Cách đọc trang không tồn tại: ftp")
    response = admin.post("/marketplaces/new?validate=fetch", data=form_data(fetch="auto"),
                          headers=HX)
    assert soup(response).find(id="error-fetch").text.strip() == ""


def test_english_labels(admin, app):
    shopee = marketplace(app, "shopee")
    admin.post("/lang/en", data={"next": "/marketplaces/"})
    page = soup(admin.get(f"/marketplaces/{shopee.id}/edit"))
    labels = [o.text for o in page.select("select[name=fetch] option")]
    assert labels == ["HTTP", "Browser", "Automatic (HTTP first, the browser when needed)"]


# The targets a run hands the engine.

@pytest.fixture
def targets_seen(monkeypatch) -> list:
    """The targets the runner hands the engine, recorded as the engine reads them."""
    seen = []
    real = runner.check_many

    def check_many(targets, *args, **kwargs):
        def recorded():
            for target in targets:
                seen.append(target)
                yield target
        return real(recorded(), *args, **kwargs)

    monkeypatch.setattr(runner, "check_many", check_many)
    return seen


def test_a_run_hands_the_engine_each_marketplaces_fetch_method(app, shop, targets_seen):
    """A listing on a marketplace read http is checked exactly as before; switched to auto, its
    target says so (a decisive HTTP verdict is all auto needs)."""
    plain, = add_listings(app, shop, [LIVE])
    finished = run_checks(app)
    assert finished.state == "done" and finished.summary["verdicts"] == {"active": 1}
    assert [(t.key, t.marketplace, t.fetch) for t in targets_seen] == [
        (plain, "cho-thu", "http")]
    with app.app_context():
        item = db.session.get(Listing, plain)
        assert (item.status, item.evidence["final_url"]) == ("active", shop.url("/p/0"))
        db.session.execute(update(Marketplace).where(Marketplace.slug == "cho-thu")
                           .values(fetch="auto"))
        db.session.commit()
    targets_seen.clear()
    run_checks(app)
    assert [(t.key, t.fetch) for t in targets_seen] == [(plain, "auto")]


def run_checks(app):
    with app.app_context():
        started, _ = runner.start("all", None, origin="test")
        finished = runner.execute(started.id)
        db.session.refresh(finished)
        db.session.expunge(finished)
        return finished


def test_rq_jobs_build_targets_with_the_fetch_method(app, shop, redis_queue,  # noqa: F811
                                                     targets_seen):
    ids = add_listings(app, shop, [LIVE], [LIVE])
    with app.app_context():
        db.session.execute(update(Marketplace).where(Marketplace.slug == "cho-thu")
                           .values(fetch="auto"))
        db.session.commit()
        started, _ = runner.start("all", origin="test")
        dispatch.enqueue(started)
    dispatch.work(app, burst=True)
    assert sorted((t.key, t.fetch) for t in targets_seen) == [(key, "auto") for key in ids]
