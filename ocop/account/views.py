"""The signed-in user's own settings page: language, notifications, their own webhook."""

from flask import Blueprint, make_response, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import web
from ..errors import Invalid
from ..notify import preferences, webhooks
from . import operations
from .forms import PREFIX, LanguageForm, NotificationsForm, WebhookForm

bp = Blueprint("account", __name__, url_prefix="/account")


def notifications_form(**kwargs) -> NotificationsForm:
    """The notifications form for the signed-in user's role."""
    return NotificationsForm.for_kinds(preferences.kinds(current_user), **kwargs)


def page(*, language=None, notifications=None, webhook=None,
         secret: str | None = None):
    """The settings page; a form given is shown as submitted (with its errors), the others as
    stored. `secret`: a new webhook secret, shown on this answer only."""
    if notifications is None:
        notifications = notifications_form(
            formdata=None, notify_email=current_user.notify_email,
            data={PREFIX + k: v for k, v in preferences.chosen(current_user).items()})
    response = make_response(render_template(
        "account/index.html",
        language_form=language or LanguageForm(formdata=None,
                                               language=current_user.language or "vi"),
        notifications_form=notifications,
        webhook_form=webhook or WebhookForm(formdata=None),
        hook=webhooks.of_user(current_user), secret=secret))
    if secret:
        response.headers["Cache-Control"] = "no-store"  # the secret must not outlive this page
    return response


@bp.get("/")
@login_required
def index():
    """One's own language, notifications and webhook."""
    return page()


@bp.post("/language")
@login_required
def language():
    """Save the language and switch this browser to it, as the language switch does."""
    form = LanguageForm()
    if not form.validate_on_submit():
        return page(language=form)
    try:
        operations.set_language(current_user, form.language.data)
    except Invalid as exc:
        web.add_errors(form, exc.errors)
        return page(language=form)
    session["lang"] = form.language.data
    with force_locale(form.language.data):  # say it in the language just chosen
        return web.done(_("Đã lưu ngôn ngữ."), url_for("account.index"))


@bp.post("/notifications")
@login_required
def notifications():
    """Save whether messages come by email and how often each kind comes."""
    form = notifications_form()
    if not form.validate_on_submit():
        return page(notifications=form)
    # Every kind posted, also one the form does not ask about: the operation refuses those.
    posted = {name.removeprefix(PREFIX): value for name, value in request.form.items()
              if name.startswith(PREFIX)}
    try:
        operations.set_notifications(current_user, form.notify_email.data, posted)
    except Invalid as exc:
        web.add_errors(form, exc.errors)
        return page(notifications=form)
    return web.done(_("Đã lưu cách nhận thông báo."),
                    url_for("account.index", _anchor="notifications"))


@bp.post("/webhook")
@login_required
def webhook():
    """Set or replace one's own webhook; its new secret is shown on this answer only."""
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            _hook, secret = webhooks.save(form.url.data, current_user)
        except Invalid as exc:
            web.add_errors(form, exc.errors)
        else:
            return page(secret=secret)
    return page(webhook=form)


@bp.post("/webhook/remove")
@login_required
def remove_webhook():
    """Stop sending one's notifications to a webhook."""
    if webhooks.remove(current_user):
        return web.done(_("Đã gỡ webhook."), url_for("account.index", _anchor="webhook"))
    return web.done(_("Bạn chưa đặt webhook nào."), url_for("account.index", _anchor="webhook"))
