"""Check runs on the web: start one (all due, a marketplace, a product, a listing), watch its
progress on a self-polling component, and read each run's checks."""

from flask import Blueprint, Response, abort, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from scrapers.model import FETCH_METHODS

from ..extensions import db
from ..listings.views import get_listing
from ..models import LISTING_STATUSES, Check, CheckRun, Screenshot
from ..products.views import get_product
from ..web import page_arg, page_number, partial, render, role_required
from . import dispatch, runner, screenshots
from .forms import RunForm

bp = Blueprint("checks", __name__, url_prefix="/checks")


def start(scope_name: str, scope_id: int | None, label: str | None,
          fetch: str | None = None) -> CheckRun:
    """Start (or resume) a run of a scope, or hand back the one already running for it."""
    try:
        run, _ = runner.start(scope_name, scope_id, label, origin="web", user=current_user,
                              fetch=fetch)
    except runner.RunInProgress as exc:
        return exc.run  # someone already checks this: watch theirs instead of a second one
    dispatch.launch(run)
    return run


def answer(run: CheckRun):
    """The run's progress component for htmx, else its page."""
    if request.headers.get("HX-Request"):
        return partial("checks/_progress.html", run=run, progress=runner.progress(run))
    return redirect(url_for("checks.show", run_id=run.id), code=303)


@bp.route("/", methods=["GET", "POST"])
@role_required("officer")
def index():
    """Recent runs, and the form that starts one (answered with the run's progress under it)."""
    form = RunForm()
    run = None
    if form.validate_on_submit():
        run = start(*form.chosen())
        if not request.headers.get("HX-Request"):
            return answer(run)
        form = RunForm(formdata=None)
    page = db.paginate(select(CheckRun).order_by(CheckRun.id.desc()), page=page_number(),
                       per_page=25, error_out=False)
    return render("checks/index.html", "start" if request.method == "POST" else "runs",
                  form=form, page=page, run=run,
                  progress=runner.progress(run) if run else None,
                  push_url=url_for("checks.index", **page_arg(page)))


def get_run(run_id: int) -> CheckRun:
    """The run with `run_id`, else 404."""
    return db.get_or_404(CheckRun, run_id)


@bp.get("/<int:run_id>")
@role_required("officer")
def show(run_id: int):
    """One run: its progress and the checks it made, filtered by verdict."""
    run = get_run(run_id)
    verdict = request.args.get("verdict", "")
    if verdict and verdict not in LISTING_STATUSES:
        verdict = ""
    query = select(Check).where(Check.run_id == run.id).order_by(Check.id)
    if verdict:
        query = query.where(Check.verdict == verdict)
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    args = {"verdict": verdict} if verdict else {}
    return render("checks/show.html", "checks", run=run, progress=runner.progress(run),
                  page=page, verdict=verdict, args=args,
                  shots=screenshots.taken(check.id for check in page.items),
                  push_url=url_for("checks.show", run_id=run.id, **args, **page_arg(page)))


@bp.get("/<int:run_id>/progress")
@role_required("officer")
def progress(run_id: int):
    """The progress component; it asks again every second until the run is over, then tells
    the page (event checkRunFinished) to refresh what the run changed."""
    run = get_run(run_id)
    return render("checks/show.html", "progress", run=run, progress=runner.progress(run),
                  trigger="checkRunFinished" if run.finished else None)


@bp.post("/products/<code>")
@role_required("officer")
def product(code: str):
    """Check every listing of one product now."""
    item = get_product(code)
    return answer(start("product", item.id, f"{item.code} – {item.name}"))


@bp.post("/listings/<int:listing_id>")
@role_required("officer")
def listing(listing_id: int):
    """Check one listing now, the way its marketplace is read, or as `fetch` says (the
    "check again in the browser" button)."""
    item = get_listing(listing_id)
    fetch = request.form.get("fetch") or None
    if fetch is not None and fetch not in FETCH_METHODS:
        abort(400)
    return answer(start("listing", item.id, item.canonical_url, fetch))


@bp.get("/screenshots/<int:check_id>.jpg")
@login_required
def screenshot(check_id: int):
    """What the browser saw for one check, to whoever may see its listing."""
    shot = db.get_or_404(Screenshot, check_id)
    get_listing(shot.listing_id)
    response = Response(shot.data, mimetype=shot.media_type)
    response.headers["Cache-Control"] = "private, max-age=86400"  # a check never changes
    return response
