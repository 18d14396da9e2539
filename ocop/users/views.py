"""User administration (the account list, the account form, deactivating and reactivating,
password resets, the sign-in audit) and each user's own account: password and API keys."""

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from .. import web
from ..api import tokens
from ..auth import operations as auth
from ..auth import throttle
from ..errors import Invalid
from ..extensions import db
from ..models import ROLES, SIGN_IN_OUTCOMES, ApiToken, SignIn, User, utcnow
from ..products.forms import producer_choice
from ..web import (
    page_number,
    partial,
    render,
    role_required,
    wants_fragment,
)
from . import operations
from .forms import PasswordForm, TokenForm, UserForm

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


@bp.route("/me", methods=["GET", "POST"])
@login_required
def account():
    """The signed-in user's own account: who they are, and a new password."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            auth.change_password(current_user, form.current_password.data,
                                 form.new_password.data, request.remote_addr or "")
        except Invalid as exc:
            web.add_errors(form, exc.errors)
        else:
            login_user(current_user)  # this browser stays signed in, under the new epoch
            return web.done(_("Đã đổi mật khẩu. Các thiết bị khác đã được đăng xuất."),
                            url_for("users.account"))
    return render_template("users/account.html", form=form)


@bp.post("/<int:user_id>/reset-password")
@role_required("officer")
def reset_password(user_id: int):
    """Give an account a temporary password, shown on this answer only."""
    user = db.get_or_404(User, user_id)
    if not auth.may_reset(current_user, user):
        abort(403)
    temporary = auth.reset_password(user, current_user)
    response = web.partial("users/reset.html", user=user, temporary=temporary)
    response.headers["Cache-Control"] = "no-store"  # the password must not outlive this page
    return response


@bp.get("/sign-ins")
@role_required("admin")
def sign_ins():
    """Recent sign-in attempts, filtered by outcome or address typed, and the accounts that
    are locked out now."""
    q = request.args.get("q", "").strip().lower()[:200]
    outcome = request.args.get("outcome", "")
    outcome = outcome if outcome in SIGN_IN_OUTCOMES else ""
    query = select(SignIn).options(selectinload(SignIn.user)).order_by(SignIn.id.desc())
    if q:
        query = query.where(SignIn.email.contains(q, autoescape=True))
    if outcome:
        query = query.where(SignIn.outcome == outcome)
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    args = {k: v for k, v in (("q", q), ("outcome", outcome)) if v}
    return render("users/sign_ins.html", "results", page=page, q=q, outcome=outcome, args=args,
                  locked=locked_accounts())


def locked_accounts() -> list[tuple[str, object]]:
    """Addresses typed in the last day whose failures keep them locked now, with the lock's
    end."""
    since = utcnow() - timedelta(days=1)
    emails = db.session.scalars(select(SignIn.email).distinct().where(
        SignIn.at >= since, SignIn.outcome.in_(("failed", "throttled"))).limit(500))
    found = ((email, throttle.locked_until(email)) for email in emails)
    return sorted((email, until) for email, until in found if until is not None)


@bp.post("/sign-ins/unlock")
@role_required("admin")
def unlock():
    """Lift an account's lockout before it ends by itself."""
    email = request.form.get("email", "").strip().lower()[:255]
    throttle.unlock(email)
    flash(_("Đã mở khoá đăng nhập cho %(email)s.", email=email), "success")
    return redirect(url_for("users.sign_ins"), 303)
