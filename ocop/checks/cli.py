"""`ocop check` (a run over due listings, a marketplace, a product, a listing or all) and
`ocop worker` (processes queued check jobs), called from ocop.cli."""

import json
import sys
import time
from contextlib import nullcontext

import click
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import LISTING_STATUSES, CheckRun, Listing, Marketplace, Product
from . import dispatch, runner
from .processes import available


def choose_scope(slug: str | None, code: str | None, listing_id: int | None,
                 everything: bool) -> tuple[str, int | None, str | None]:
    """The run's scope from the options; at most one may be given."""
    given = [name for name, value in (("--marketplace", slug), ("--product", code),
                                      ("--listing", listing_id), ("--all", everything))
             if value]
    if len(given) > 1:
        raise click.UsageError(_("Chỉ chọn một trong %(options)s.", options=", ".join(given)))
    if slug:
        marketplace = db.session.scalar(select(Marketplace).where(Marketplace.slug == slug))
        if marketplace is None:
            raise click.UsageError(_("Không có sàn “%(slug)s”.", slug=slug))
        return "marketplace", marketplace.id, marketplace.name
    if code:
        product = db.session.scalar(select(Product).where(Product.code == code))
        if product is None:
            raise click.UsageError(_("Không có sản phẩm mã “%(code)s”.", code=code))
        return "product", product.id, f"{product.code} – {product.name}"
    if listing_id:
        listing = db.session.get(Listing, listing_id)
        if listing is None:
            raise click.UsageError(_("Không có gian hàng số %(id)d.", id=listing_id))
        return "listing", listing.id, listing.canonical_url
    return ("all" if everything else "due"), None, None


def run_check(slug, code, listing_id, everything, concurrency, as_json, wait,
              processes=None) -> int:
    """Start or resume a run, carry it out here or on the workers, report; the exit code."""
    scope_name, scope_id, label = choose_scope(slug, code, listing_id, everything)
    try:
        run, resumed = runner.start(scope_name, scope_id, label, origin="cli")
    except runner.RunInProgress as exc:
        click.echo(_("Lượt kiểm tra #%(id)d cùng phạm vi đang chạy; chưa bắt đầu lượt mới.",
                     id=exc.run.id), err=True)
        return 1
    if resumed and not as_json:
        done = runner.progress(run)["done"]
        click.echo(_("Tiếp tục lượt kiểm tra #%(id)d: đã xong %(done)d/%(total)d gian hàng.",
                     id=run.id, done=done, total=run.total))
    show_bar = sys.stdout.isatty() and not as_json
    if dispatch.enabled():
        jobs = dispatch.enqueue(run)
        if not as_json:
            click.echo(_("Đã xếp %(jobs)d việc của lượt #%(id)d vào hàng đợi.", jobs=jobs,
                         id=run.id))
        if wait:
            run = watch(run.id, show_bar)
    else:
        run = execute_here(run, concurrency, processes, show_bar)
    report(run, as_json)
    return 1 if run.state == "failed" else 0


def progress_bar(total: int, show: bool):
    """A terminal progress bar, or nothing when output goes to a file or a cron mail."""
    if not show:
        return nullcontext()
    return click.progressbar(length=total, label=_("Đang kiểm tra"), show_pos=True)


def execute_here(run: CheckRun, concurrency: int | None, processes: int | None,
                 show_bar: bool) -> CheckRun:
    """Carry the run out on this machine, spread over `processes` (None: the setting)."""
    parts = processes
    if parts is None:  # the setting, but a small run is not worth a fork
        parts = int(current_app.config["CHECK_PROCESSES"]) or available()
        parts = min(parts, max(1, run.total // runner.BATCH))
    with progress_bar(run.total, show_bar) as bar:
        if bar:
            bar.update(runner.progress(run)["done"])
        return runner.execute(run.id, concurrency=concurrency, parts=parts,
                              on_progress=bar.update if bar else None)


def watch(run_id: int, show_bar: bool, interval: float = 1.0) -> CheckRun:
    """Wait for the workers to finish the run, showing the same progress."""
    with progress_bar(db.session.get(CheckRun, run_id).total, show_bar) as bar:
        while True:
            db.session.expire_all()
            run = db.session.get(CheckRun, run_id)
            if bar:
                bar.update(runner.progress(run)["done"] - bar.pos)
            if run.finished:
                return run
            time.sleep(interval)


def report(run: CheckRun, as_json: bool) -> None:
    """The run's outcome: a JSON object, or lines for a person."""
    figures = run.summary or runner.summary(run)
    if as_json:
        click.echo(json.dumps({"run": run.id, "state": run.state, "scope": run.scope,
                               **figures}, ensure_ascii=False))
        return
    click.echo(_("Lượt kiểm tra #%(id)d: %(state)s, %(checked)d/%(total)d gian hàng.",
                 id=run.id, state=run.state, checked=figures["checked"],
                 total=figures["total"]))
    for verdict, label in LISTING_STATUSES.items():
        if figures["verdicts"].get(verdict):
            click.echo(f"  {label}: {figures['verdicts'][verdict]}")
    if figures["confirmed_removed"]:
        click.echo(_("  Xác nhận đã gỡ: %(n)d", n=figures["confirmed_removed"]))
    if figures.get("degraded"):
        click.echo(_("  Sàn bị tạm dừng (quá nhiều lượt bị chặn hoặc lỗi): %(slugs)s; "
                     "%(n)d gian hàng chưa kiểm tra.", slugs=", ".join(figures["degraded"]),
                     n=figures["paused"]))
    if run.error:
        click.echo(_("  Lỗi: %(error)s", error=run.error), err=True)


def run_worker(burst: bool) -> None:
    """Process queued check jobs until stopped."""
    if not dispatch.enabled():
        raise click.UsageError(_("Chưa đặt OCOP_REDIS_URL: không có hàng đợi để xử lý."))
    dispatch.work(current_app._get_current_object(), burst=burst)
