"""The `ocop` command line: `flask --app wsgi ocop …` or the `ocop …` console script."""

import sys
from contextlib import ExitStack

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup
from flask_babel import gettext as _
from flask_migrate import upgrade
from sqlalchemy import select

from scrapers.model import FETCH_METHODS

from .audit import acting_as
from .config import allowed_endpoints
from .extensions import db
from .models import ROLES, Marketplace, MarketplaceHost, Producer, Product, User
from .notify.cli import notify_group

ocop_group = AppGroup("ocop", help="Registry of OCOP products and their marketplace listings.")
ocop_group.add_command(notify_group)


@ocop_group.command("init")
@click.option("--admin", "admin_email", help="Create an administrator with this email.")
@click.option("--password", help="The administrator's password.")
def init_command(admin_email: str | None, password: str | None) -> None:
    """Migrate the database to the newest schema and seed the marketplaces."""
    from .marketplaces.seed import seed_marketplaces

    upgrade(directory=current_app.extensions["migrate"].directory)
    with acting_as("cli:init"):
        added = seed_marketplaces()
        db.session.commit()
    click.echo(_("Cơ sở dữ liệu đã sẵn sàng; đã thêm %(n)d sàn.", n=added) if added else
               _("Cơ sở dữ liệu đã sẵn sàng; các sàn đã có từ trước, không thêm sàn nào."))
    if admin_email and db.session.scalar(select(User.id).where(User.email == admin_email.lower())):
        click.echo(f"User {admin_email} exists already; left unchanged.")
    elif admin_email:
        add_user(admin_email, "admin", None, password)


@ocop_group.command("demo")
def demo_command() -> None:
    """Load the sample data once: Lào Cai products, sample marketplaces and their listings, and
    two years of sample check history."""
    from .demo import load_demo
    from .sample_history import MONTHS

    with acting_as("cli:demo"):
        created = load_demo()
    click.echo(_("Đã nạp dữ liệu mẫu: sản phẩm, sàn mẫu, gian hàng và lịch sử kiểm tra %(n)d "
                 "tháng.", n=MONTHS) if created
               else _("Dữ liệu mẫu đã có từ trước; không thay đổi gì."))


@ocop_group.command("serve-demo")
@click.option("--port", type=int, default=5000, show_default=True, help="The app's port.")
@click.option("--endpoints", is_flag=True,
              help="Only print the sample marketplaces' address:port pairs, for "
                   "OCOP_SCRAPER_ALLOWED_ENDPOINTS.")
def serve_demo_command(port: int, endpoints: bool) -> None:
    """Serve the app on 127.0.0.1 with the sample marketplaces and the sample Shopee Open
    Platform beside it (`make run`)."""
    from werkzeug.serving import run_simple

    from . import sample_markets, sample_platforms

    first = int(current_app.config["SAMPLE_MARKETS_PORT"])
    pairs = sample_markets.endpoints(first)
    if endpoints:
        click.echo(",".join(pairs))
        return
    if port in (*sample_markets.ports(first), sample_platforms.port(first)):
        raise click.UsageError(_("Cổng %(port)d của ứng dụng trùng với một sàn mẫu; chọn cổng "
                                 "khác (make run PORT=…) hoặc dời các sàn mẫu "
                                 "(make run SAMPLE_PORT=…).", port=port))
    warn_unless_reachable(pairs)
    warn_unless_sample_platform(first, port)
    with ExitStack() as serving:  # whatever started is stopped, however this ends
        try:
            platform = sample_platforms.serve(first)
            serving.callback(platform.stop)
            markets = sample_markets.SampleMarkets(first)
            markets.start()
            serving.callback(markets.stop)
        except sample_markets.PortTaken as exc:
            raise click.ClickException(_(
                "Cổng %(port)d của “%(market)s” đang có chương trình khác dùng. Hãy tắt chương "
                "trình đó, hoặc dời các sàn mẫu sang cổng khác: make run SAMPLE_PORT=6101 (biến "
                "môi trường OCOP_SAMPLE_MARKETS_PORT).", port=exc.port, market=exc.name)
            ) from exc
        click.echo(_("Sàn mẫu: %(urls)s", urls=", ".join(f"http://{p}" for p in pairs)))
        click.echo(_("Shopee mẫu (nền tảng mở): %(url)s", url=platform.base))
        run_simple(sample_markets.HOST, port, current_app._get_current_object(), threaded=True)


def warn_unless_reachable(pairs: list[str]) -> None:
    """Say so when the database has no sample listings or has them on other ports, or when this
    process's checker may not reach the sample marketplaces: their checks would all fail."""
    from .sample_markets import MARKETS

    recorded = set(db.session.scalars(
        select(MarketplaceHost.host).join(Marketplace)
        .where(Marketplace.slug.in_([m.slug for m in MARKETS]))))
    if not recorded:
        click.echo(_("Chú ý: cơ sở dữ liệu này chưa có sàn mẫu (chưa chạy ocop demo, hoặc dữ liệu "
                     "mẫu được nạp từ phiên bản trước): xoá instance/ocop.sqlite3 rồi chạy lại "
                     "make run để có chúng."), err=True)
    elif recorded - set(pairs):
        click.echo(_("Chú ý: gian hàng mẫu đã được ghi với %(hosts)s; hãy chạy với cổng sàn mẫu "
                     "như lúc nạp (make run SAMPLE_PORT=…), hoặc xoá instance/ocop.sqlite3 để "
                     "nạp lại.", hosts=", ".join(sorted(recorded))), err=True)
    allowed = set(allowed_endpoints(current_app.config["SCRAPER_ALLOWED_ENDPOINTS"]))
    if not allowed.issuperset(pairs):
        click.echo(_("Chú ý: máy kiểm tra chưa được phép vào các sàn mẫu; đặt "
                     "OCOP_SCRAPER_ALLOWED_ENDPOINTS=%(pairs)s", pairs=",".join(pairs)), err=True)


def warn_unless_sample_platform(first: int, port: int) -> None:
    """Say so when this app's Shopee settings do not lead to the sample Shopee Open Platform:
    the demo's sample shop could not be connected."""
    from . import sample_platforms

    config, base = current_app.config, sample_platforms.base(first)
    wanted = {"PUBLIC_URL": f"http://127.0.0.1:{port}",
              "SHOPEE_PARTNER_ID": sample_platforms.PARTNER_ID,
              "SHOPEE_PARTNER_KEY": sample_platforms.PARTNER_KEY,
              "SHOPEE_API_BASE": base, "SHOPEE_AUTH_BASE": base}
    if any(str(config[name]).rstrip("/") != value for name, value in wanted.items()):
        click.echo(_("Chú ý: cài đặt Shopee của ứng dụng không trỏ tới Shopee mẫu, nên chưa kết "
                     "nối được gian hàng mẫu; make run đặt sẵn: %(settings)s",
                     settings=" ".join(f"OCOP_{n}={v}" for n, v in wanted.items())), err=True)


user_group = AppGroup("user", help="User accounts.")
ocop_group.add_command(user_group)


@user_group.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--producer", "producer_ref",
              help="For producer accounts: the producer's tax code or id, or a product code.")
@click.option("--password", help="Asked for when not given.")
def user_add_command(email: str, role: str, producer_ref: str | None, password: str | None):
    """Create a user account."""
    add_user(email, role, producer_ref, password)


def find_producer(ref: str) -> Producer | None:
    """A producer by tax code, by id, or as the maker of the product with that code."""
    producer = db.session.scalar(select(Producer).where(Producer.tax_code == ref))
    if producer is None and ref.isdigit() and len(ref) < 10:
        producer = db.session.get(Producer, int(ref))
    if producer is None:
        producer = db.session.scalar(select(Producer).join(Product).where(Product.code == ref))
    return producer


def add_user(email: str, role: str, producer_ref: str | None, password: str | None) -> None:
    """Create a user from the command line, explaining any refusal."""
    from .errors import Invalid
    from .users.operations import create_user

    producer = None
    if producer_ref:
        producer = find_producer(producer_ref)
        if producer is None:
            raise click.ClickException(f"No producer with tax code, id or product {producer_ref}.")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with acting_as("cli"):
            user = create_user({"email": email, "name": None, "role": role,
                                "producer": producer, "active": True}, password)
    except Invalid as exc:
        raise click.ClickException(exc.text()) from None
    click.echo(f"User {user.email} ({user.role}) created.")


marketplace_group = AppGroup("marketplace", help="Marketplaces and the hosts they serve.")
ocop_group.add_command(marketplace_group)


@marketplace_group.command("list")
def marketplace_list_command() -> None:
    """List marketplaces with their hosts, fetch method and politeness settings."""
    for mp in db.session.scalars(select(Marketplace).order_by(Marketplace.name)):
        click.echo(describe(mp))


def describe(mp: Marketplace) -> str:
    """One line about a marketplace's settings."""
    state = "enabled" if mp.enabled else "disabled"
    return (f"{mp.slug:<12} {mp.name:<14} adapter={mp.adapter:<9} fetch={mp.fetch:<7} "
            f"{state:<8} concurrency={mp.concurrency} min_interval={mp.min_interval:g}s "
            f"hosts={','.join(mp.host_names)}")


@marketplace_group.command("add")
@click.argument("name")
@click.option("--host", "hosts", multiple=True, required=True, help="A host it serves.")
@click.option("--adapter", required=True, help="Adapter name, e.g. generic or tiki.")
@click.option("--slug", help="Short name; derived from NAME when absent.")
@click.option("--concurrency", type=int, default=2, show_default=True)
@click.option("--min-interval", type=float, default=2.0, show_default=True,
              help="Seconds between two requests.")
@click.option("--fetch", type=click.Choice(FETCH_METHODS), default="http", show_default=True,
              help="How its pages are read: http, a real browser, or auto (HTTP first, the "
                   "browser when HTTP could not see the listing).")
def marketplace_add_command(name, hosts, adapter, slug, concurrency, min_interval,
                            fetch) -> None:
    """Register a marketplace."""
    from .errors import Invalid
    from .marketplaces.operations import save_marketplace, slugify

    data = {"name": name, "slug": slug or slugify(name), "adapter": adapter,
            "hosts": list(hosts), "concurrency": concurrency, "min_interval": min_interval,
            "fetch": fetch, "enabled": True}
    try:
        with acting_as("cli"):
            mp = save_marketplace(data)
    except Invalid as exc:
        raise click.ClickException(exc.text()) from None
    click.echo(f"Marketplace {mp.name} ({mp.slug}) added with hosts {', '.join(mp.host_names)}.")


@marketplace_group.command("set")
@click.argument("slug")
@click.option("--fetch", type=click.Choice(FETCH_METHODS),
              help="How its pages are read: http, browser, or auto.")
@click.option("--concurrency", type=int, help="Requests in flight (1 to 64).")
@click.option("--min-interval", type=float, help="Seconds between two requests.")
@click.option("--enabled/--disabled", default=None, help="Check its listings, or not.")
def marketplace_set_command(slug, fetch, concurrency, min_interval, enabled) -> None:
    """Change a marketplace's settings; those not given stay as they are."""
    from .errors import Invalid, StaleEdit
    from .marketplaces.operations import change_marketplace

    mp = db.session.scalar(select(Marketplace).where(Marketplace.slug == slug))
    if mp is None:
        known = ", ".join(db.session.scalars(select(Marketplace.slug).order_by(Marketplace.slug)))
        raise click.ClickException(f"No marketplace {slug!r}; there are: {known}.")
    changes = {name: value for name, value in (
        ("fetch", fetch), ("concurrency", concurrency), ("min_interval", min_interval),
        ("enabled", enabled)) if value is not None}
    if not changes:
        raise click.UsageError("Nothing to change: give --fetch, --concurrency, "
                               "--min-interval, --enabled or --disabled.")
    try:
        with acting_as("cli"):
            mp = change_marketplace(mp, changes)
    except Invalid as exc:
        raise click.ClickException(exc.text()) from None
    except StaleEdit:
        raise click.ClickException("The marketplace was changed meanwhile; try again.") from None
    click.echo(describe(mp))


@ocop_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Validate and report, write nothing.")
def import_command(path: str, dry_run: bool) -> None:
    """Import products and listings from an .xlsx workbook or a .csv file."""
    from .workbook.cli import run_import

    sys.exit(run_import(path, dry_run))


@ocop_group.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def export_command(path: str) -> None:
    """Export to .xlsx (both sheets) or .csv (products there, listings in FILE-gian-hang.csv)."""
    from .workbook.cli import run_export

    run_export(path)


@ocop_group.command("check")
@click.option("--marketplace", "slug", help="Only this marketplace's listings (its slug).")
@click.option("--product", "code", help="Only this product's listings (its code).")
@click.option("--listing", "listing_id", type=int, help="Only this listing (its id).")
@click.option("--all", "everything", is_flag=True,
              help="Every listing, not only those without a result this month.")
@click.option("--concurrency", type=click.IntRange(1, 256),
              help="Requests in flight here over all marketplaces (default "
                   "OCOP_SCRAPER_CONCURRENCY; workers use their own setting).")
@click.option("--processes", type=click.IntRange(1, 64),
              help="Processes the run is spread over here (default OCOP_CHECK_PROCESSES, "
                   "0: one per core); they share the concurrency.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
@click.option("--wait/--no-wait", default=True,
              help="With OCOP_REDIS_URL: wait for the workers to finish (default) or not.")
def check_command(slug, code, listing_id, everything, concurrency, processes, as_json,
                  wait) -> None:
    """Check listings on their marketplaces; by default those due this month.

    An unfinished run of the same scope left by a stopped process is resumed.
    """
    from .checks.cli import run_check

    sys.exit(run_check(slug, code, listing_id, everything, concurrency, as_json, wait,
                       processes))


@ocop_group.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Process queued check jobs (needs OCOP_REDIS_URL); start as many as you like."""
    from .checks.cli import run_worker

    run_worker(burst)


@ocop_group.command("report")
@click.option("--month", required=True, help="The month, YYYY-MM (the current one: as of now).")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def report_command(month: str, path: str) -> None:
    """Write the monthly report (.xlsx): figures, breakdowns, products and listings as of the
    month's end, and the runs they come from."""
    from .dashboard import report, snapshot, sources
    from .dashboard.figures import Filters
    from .models import utcnow

    now = utcnow()
    try:
        taken = snapshot.take(sources.parse_month(month, now), Filters(), now)
    except sources.BadMonth as exc:
        raise click.ClickException(str(exc)) from None
    report.write(path, taken)
    click.echo(taken.summary)
    click.echo(f"Report written to {path}.")


shops_group = AppGroup("shops", help="Shops connected through the marketplaces' open platforms.")
ocop_group.add_command(shops_group)
ocop_group.add_command(notify_group)


@shops_group.command("refresh")
def shops_refresh_command() -> None:
    """Refresh the tokens of connected shops that are due (run it hourly from cron): access
    tokens about to lapse, and authorizations within OCOP_SHOP_LAPSE_DAYS of their end; exit
    status 1 when one could not be refreshed (the shop's page says why)."""
    from .models import utcnow
    from .shops.operations import refresh_due

    with acting_as("cli:shops-refresh"):
        refreshed, failed = refresh_due(utcnow())
    click.echo(_("Đã gia hạn %(ok)d gian hàng; %(failed)d gian hàng không gia hạn được.",
                 ok=refreshed, failed=failed))
    sys.exit(1 if failed else 0)


@ocop_group.command("close-months")
def close_months_command() -> None:
    """Freeze the figures of every month that has ended since the first check run (a run that
    finishes does this too; this catches up, e.g. after an upgrade)."""
    from .dashboard import months

    closed = months.close_due()
    click.echo(f"Closed {len(closed)} month(s)" + (
        ": " + ", ".join(f"{m:%Y-%m}" for m in closed) if closed else "."))


def main() -> None:
    """Console script: the `ocop` group of the app built by `ocop.create_app`."""
    from . import create_app

    cli = FlaskGroup(create_app=create_app, add_default_commands=False)
    for name, command in ocop_group.commands.items():
        cli.add_command(command, name)
    cli.main(prog_name="ocop")

