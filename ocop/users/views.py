"""User administration (the account list, the account form, deactivating and reactivating)
and each officer's own API keys."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from .. import web
from ..api import tokens
from ..errors import Invalid
from ..extensions import db
from ..models import ROLES, ApiToken, User
from ..products.forms import producer_choice
from ..web import (
    page_number,
    partial,
    render,
    role_required,
    wants_fragment,
)
from . import operations
from .forms import TokenForm, UserForm

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.get("/")
@role_required("admin")
def index():
    """Accounts, searchable by email or name and filtered by role; htmx swaps the results."""
    q = request.args.get("q", "").strip()[:200]
    role = request.args.get("role", "")
    role = role if role in ROLES else ""
    query = select(User).options(selectinload(User.producer)).order_by(User.email)
    if q:
        query = query.where(or_(func.lower(User.email).contains(q.lower(), autoescape=True),
                                func.lower(User.name).contains(q.lower(), autoescape=True)))
    if role:
        query = query.where(User.role == role)
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    args = {k: v for k, v in (("q", q), ("role", role)) if v}
    return render("users/index.html", "results", page=page, q=q, role=role, args=args)


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def create():
    """A new account."""
    return edit_form(UserForm(), None)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def update(user_id: int):
    """Edit an account; an edit from a stale copy is refused and explained."""
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    if request.method == "GET":
        form.producer.data = producer_choice(user.producer) if user.producer else ""
    return edit_form(form, user)


def edit_form(form: UserForm, user: User | None):
    """Validate inline, save, or show the form again with what went wrong."""
    return web.edit_form(
        form, user, template="users/form.html", user=user,
        check=lambda data: operations.check(data, form.password.data, user, current_user),
        save=lambda data, version: operations.update_user(
            user or User(), data, form.password.data, version, current_user),
        saved=lambda u: web.done(_("Đã lưu tài khoản %(email)s.", email=u.email),
                                 url_for("users.index")))


@bp.post("/<int:user_id>/active")
@role_required("admin")
def toggle(user_id: int):
    """Reactivate (`active=1`) or deactivate an account; htmx swaps its row in place."""
    user = db.get_or_404(User, user_id)
    error = None
    try:
        operations.set_active(user, request.form.get("active") == "1", current_user)
    except Invalid as exc:
        error = exc.text()
    if wants_fragment():
        # A refusal is shown in the row itself; a flash would wait for the next full page.
        return partial("users/_row.html", user=user, error=error)
    if error:
        flash(error, "error")
    elif user.active:
        flash(_("Đã mở lại tài khoản %(email)s.", email=user.email), "success")
    else:
        flash(_("Đã khoá tài khoản %(email)s.", email=user.email), "success")
    return redirect(url_for("users.index"), 303)


@bp.route("/me/api-keys", methods=["GET", "POST"])
@role_required("officer")
def api_keys():
    """The signed-in officer's API keys; a new key's secret is shown on this answer only."""
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        try:
            _token, secret = tokens.create_token(current_user, form.name.data)
        except Invalid as exc:
            web.add_errors(form, exc.errors)
        else:
            form = TokenForm(formdata=None)
    return render("users/api_keys.html", "keys", form=form, secret=secret,
                  keys=tokens.user_tokens(current_user))


@bp.post("/me/api-keys/<int:token_id>/revoke")
@role_required("officer")
def revoke_api_key(token_id: int):
    """Revoke one of the signed-in user's own keys; htmx swaps its row in place."""
    token = db.get_or_404(ApiToken, token_id)
    if token.user_id != current_user.id:
        abort(404)  # another user's key: not even its existence is told
    tokens.revoke_token(token)
    if wants_fragment():
        return partial("users/_api_key_row.html", key=token)
    flash(_("Đã thu hồi khoá %(prefix)s…", prefix=token.prefix), "success")
    return redirect(url_for("users.api_keys"), 303)
