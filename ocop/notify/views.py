"""The notification pages: the province's webhook (administrators), and the unsubscribe link a
message carries (no sign-in: its signed token is the proof)."""

from flask import Blueprint, make_response, render_template, request, session, url_for
from flask_babel import gettext as _

from .. import web
from ..account.forms import WebhookForm
from ..audit import acting_as
from ..errors import Invalid
from ..extensions import csrf
from ..models import EVENT_KINDS
from ..web import role_required
from . import tokens, unsubscribe, webhooks

bp = Blueprint("notify", __name__, url_prefix="/notifications")


@bp.route("/webhook", methods=["GET", "POST"])
@role_required("admin")
def webhook():
    """Set or replace the province's webhook, which receives every notification; its new
    secret is shown on this answer only."""
    form = WebhookForm()
    secret = None
    if form.validate_on_submit():
        try:
            _hook, secret = webhooks.save(form.url.data)
        except Invalid as exc:
            web.add_errors(form, exc.errors)
        else:
            form = WebhookForm(formdata=None)
    response = make_response(render_template("notify/webhook.html", form=form, secret=secret,
                                             hook=webhooks.of_province()))
    if secret:
        response.headers["Cache-Control"] = "no-store"  # the secret must not outlive this page
    return response


@bp.post("/webhook/remove")
@role_required("admin")
def remove_webhook():
    """Stop sending the province's notifications to a webhook."""
    if webhooks.remove():
        return web.done(_("Đã gỡ webhook của tỉnh."), url_for("notify.webhook"))
    return web.done(_("Tỉnh chưa đặt webhook nào."), url_for("notify.webhook"))


@bp.route(tokens.PATH.removeprefix(bp.url_prefix) + "<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail provider POSTs "List-Unsubscribe=One-Click" with no form
def unsubscribe_link(token: str):
    """GET: what the link would stop, and a button; it changes nothing, since mail scanners
    follow links. POST (the button, or the provider's one-click): stop it and say so."""
    try:
        user, kind = unsubscribe.read(token)
    except tokens.BadToken as exc:
        return render_template("notify/unsubscribe_refused.html", expired=exc.expired), 400
    if "lang" not in session and user.language:  # no choice in this browser: the person's own
        session["lang"] = user.language
    what = _("mọi thông báo") if kind == tokens.EVERY else EVENT_KINDS[kind]
    if request.method == "POST":
        with acting_as("unsubscribe", user):
            unsubscribe.apply(user, kind)
        return render_template("notify/unsubscribed.html", user=user, what=what,
                               every=kind == tokens.EVERY)
    return render_template("notify/unsubscribe.html", user=user, what=what,
                           every=kind == tokens.EVERY)
