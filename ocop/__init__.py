"""The OCOP listing tracker: a Flask app factory in the flaskr shape."""

from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config, headers
from .extensions import babel, csrf, db, htmx, login, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app; `overrides` wins over the environment (tests use it)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from .bounds import BoundedInt

    app.url_map.converters["int"] = BoundedInt  # before any route: a huge id is a 404, not a 500
    config.load(app, overrides)
    register_extensions(app)
    register_blueprints(app)
    register_templating(app)
    register_errors(app)
    register_subscribers(app)
    from .cli import ocop_group

    app.cli.add_command(ocop_group)
    return app


def select_locale() -> str:
    """The language the user chose, else the configured one (Vietnamese by default)."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    return session.get("lang", default) if has_request_context() else default


def register_extensions(app: Flask) -> None:
    """Bind the extension singletons to `app`."""
    from . import audit  # noqa: F401  (registers the audit listener)
    from .auth import throttle
    from .auth.operations import load_session_user

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    htmx.init_app(app)
    headers.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login.init_app(app)
    login.login_view = "auth.login"
    login.login_message = _l("Hãy đăng nhập để xem trang này.")
    login.localize_callback = str  # the lazy text, in the language of the request
    login.login_message_category = "warning"
    login.user_loader(load_session_user)
    throttle.init_app(app)
    if app.config["PROXY_COUNT"]:  # behind reverse proxies: the client is who they say
        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)


def register_blueprints(app: Flask) -> None:
    """One blueprint per area of the app."""
    from .account.views import bp as account
    from .api.views import bp as api
    from .attestations.views import bp as attestations
    from .auth.views import bp as auth
    from .checks.views import bp as checks
    from .dashboard.views import bp as dashboard
    from .history.views import bp as history
    from .home.views import bp as home
    from .listings.views import bp as listings
    from .lookup.views import bp as lookup
    from .marketplaces.views import bp as marketplaces
    from .notify.outbox_views import bp as outbox
    from .notify.views import bp as notify
    from .producers.views import bp as producers
    from .products.views import bp as products
    from .shops.views import bp as shops
    from .users.views import bp as users
    from .workbook.views import bp as workbook

    for bp in (auth, home, products, producers, listings, attestations, marketplaces, users,
               workbook, history, checks, lookup, api, dashboard, shops, account, notify,
               outbox):
        app.register_blueprint(bp)


def register_subscribers(app: Flask) -> None:
    """What happens after the checks announce something, so they need not know who cares."""
    from .checks.signals import run_finished

    run_finished.connect(after_run, app)


def after_run(sender: Flask, **kwargs) -> None:
    """A run's end, in this order: the months it ended close, their events and the run's are
    recorded, then queued and sent. One receiver calls them all because blinker calls
    receivers in no set order."""
    from .dashboard import months
    from .notify import events, queue

    for step in (months.close_after_run, events.after_run, queue.after_run):
        step(sender, **kwargs)


def register_templating(app: Flask) -> None:
    """Globals every template may use."""
    from . import models, numbers, sample_history
    from .attestations.queries import latest_state, state_now
    from .attestations.queries import waiting_count as waiting_attestations
    from .attestations.rules import listing_refusal
    from .checks.rules import rule_text
    from .listings.advice import advice
    from .listings.queries import waiting_count
    from .localtime import local_date
    from .text import breakable, fold
    from .web import wants_fragment

    app.jinja_env.globals.update(
        CATEGORIES=models.CATEGORIES,
        PRODUCER_KINDS=models.PRODUCER_KINDS,
        PRODUCT_STATUSES=models.PRODUCT_STATUSES,
        LISTING_STATUSES=models.LISTING_STATUSES,
        FETCH_LABELS=models.FETCH_LABELS,
        SHOP_STATES=models.SHOP_STATES,
        CHANNELS=models.CHANNELS,
        ROLES=models.ROLES,
        SIGN_IN_OUTCOMES=models.SIGN_IN_OUTCOMES,
        RUN_SCOPES=models.RUN_SCOPES,
        RUN_STATES=models.RUN_STATES,
        province=app.config["PROVINCE"],
        freshness_days=app.config["FRESHNESS_DAYS"],
        sample_history=sample_history.shown,
        waiting_proposals=waiting_count,
        waiting_attestations=waiting_attestations,
        attestation_now=latest_state,
        attestation_state_now=state_now,
        attestation_refusal=listing_refusal,
        listing_advice=advice,
        wants_fragment=wants_fragment,
    )
    app.jinja_env.filters["fold"] = fold
    app.jinja_env.filters["breakable"] = breakable
    app.jinja_env.filters["rule_text"] = rule_text
    app.jinja_env.filters["localdate"] = local_date
    app.jinja_env.filters["decimal"] = numbers.decimal
    app.jinja_env.filters["percent"] = numbers.percent
    app.jinja_env.filters["vnd"] = numbers.vnd

    @app.context_processor
    def inject_user() -> dict:
        return {"current_user": current_user, "request": request}


def register_errors(app: Flask) -> None:
    """Error pages in the user's language, never a bare status line."""
    from flask import render_template
    from flask_babel import gettext as _
    from flask_wtf.csrf import CSRFError

    messages = {
        400: lambda: (_("Yêu cầu không hợp lệ"), _("Máy chủ không hiểu yêu cầu này.")),
        403: lambda: (_("Không có quyền"), _("Tài khoản của bạn không được làm việc này.")),
        404: lambda: (_("Không tìm thấy"), _("Trang hoặc bản ghi này không tồn tại.")),
        405: lambda: (_("Không hợp lệ"), _("Trang này không nhận kiểu yêu cầu đó.")),
        413: lambda: (_("Tệp quá lớn"), _("Tệp tải lên vượt quá %(mb)d MB.",
                                             mb=app.config["MAX_CONTENT_LENGTH"] // 2**20)),
    }

    def page(code: int, title: str, message: str):
        return render_template("errors/error.html", code=code, title=title, message=message), code

    for code, texts in messages.items():
        app.register_error_handler(code, lambda e, code=code, texts=texts: page(code, *texts()))

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return page(400, _("Phiên làm việc đã hết hạn"),
                    _("Biểu mẫu đã cũ hoặc thiếu mã bảo vệ. Hãy tải lại trang và thử lại."))
