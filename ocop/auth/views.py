"""Signing in and out."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import User
from .forms import LoginForm

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path on this site, never another host."""
    if target and target.startswith("/") and not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password."""
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(
            select(User).where(func.lower(User.email) == form.email.data.strip().lower()))
        if user is None or not user.check_password(form.password.data):
            form.form_errors.append(_("Sai thư điện tử hoặc mật khẩu."))
        elif not user.active:
            form.form_errors.append(_("Tài khoản này đã bị khoá."))
        else:
            login_user(user)
            return redirect(safe_next(request.args.get("next")), 303)
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out."""
    logout_user()
    flash(_("Đã đăng xuất."), "success")
    return redirect(url_for("auth.login"), 303)
