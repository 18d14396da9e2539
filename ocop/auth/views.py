"""Signing in and out, and the gate that sends an account with a password to change to the
page that changes it."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..extensions import db
from ..web import local_path
from . import operations
from .forms import LoginForm

bp = Blueprint("auth", __name__)

# What an account that must change its password may still reach.
OPEN_WHILE_CHANGING = frozenset({"users.account", "auth.logout", "home.language", "static",
                                 "notify.unsubscribe_link"})


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password."""
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        attempt = operations.sign_in(form.email.data, form.password.data,
                                     request.remote_addr or "")
        if attempt.user is not None:
            login_user(attempt.user)
            if attempt.user.language:  # the language they chose on their settings page
                session["lang"] = attempt.user.language
            return redirect(local_path(request.args.get("next")), 303)
        form.form_errors.append(attempt.error)
        if attempt.retry_after:
            status, headers = 429, {"Retry-After": str(attempt.retry_after)}
    return render_template("auth/login.html", form=form), status, headers


@bp.post("/logout")
def logout():
    """Sign out, here and on every other device: a copy of the cookie opens nothing after."""
    if current_user.is_authenticated:
        operations.end_sessions(current_user)
        db.session.commit()
    logout_user()
    flash(_("Đã đăng xuất."), "success")
    return redirect(url_for("auth.login"), 303)


@bp.before_app_request
def password_change_gate():
    """An account given a temporary password, or signed in with one today's policy refuses,
    changes it before anything else (the JSON API answers keys, not sessions)."""
    if request.blueprint == "api" or request.endpoint in OPEN_WHILE_CHANGING:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        flash(_("Hãy đặt mật khẩu mới trước khi tiếp tục: mật khẩu hiện tại là mật khẩu tạm "
                "hoặc không còn đủ an toàn."), "warning")
        return redirect(url_for("users.account"), 303)
    return None
