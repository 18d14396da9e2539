"""Settings: defaults here, overridden by OCOP_* environment variables and the caller."""

import ipaddress
import re
import secrets
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

from scrapers.guard import endpoint

from .text import fold

# The marketplaces' open platforms (scrapers/openplatform) and their live API hosts; each is set
# up by OCOP_<SLUG>_PARTNER_ID, _PARTNER_KEY, _API_BASE, _AUTH_BASE and _ENABLED.
PLATFORM_BASES = {
    "SHOPEE": "https://partner.shopeemobile.com",
    "TIKTOK": "https://open-api.tiktokglobalshop.com",
    "LAZADA": "https://api.lazada.vn/rest",
}


def defaults(instance_path: str) -> dict:
    """Default settings for an app whose instance folder is `instance_path`."""
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(instance_path) / 'ocop.sqlite3'}",
        "PROVINCE": "Lào Cai",
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": ("vi", "en"),
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,  # uploads: a province workbook is a few MB
        "PAGE_SIZE": 25,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # an officer keeps a form open all morning
        "PROXY_COUNT": 0,  # reverse proxies in front of the app whose X-Forwarded-* to trust
        # Failed sign-ins allowed before a temporary lockout, in a moving window: an account
        # is a person (a few typos), an address may be a whole office behind one router.
        "SIGN_IN_LIMIT_ACCOUNT": "10 per 15 minutes",
        "SIGN_IN_LIMIT_ADDRESS": "100 per 15 minutes",
        "RATELIMIT_STORAGE_URI": "",  # empty: OCOP_REDIS_URL when set, else memory
        # The verification engine (see scrapers.model.Settings for what each one means).
        "SCRAPER_CONTACT": "",  # an email or URL marketplaces can reach the operator at
        "SCRAPER_USER_AGENT": "",  # empty: built from the province and the contact
        "SCRAPER_ALLOWED_NETWORKS": "",  # e.g. "127.0.0.1/32" for tests; never in production
        # address:port pairs the checker may reach although loopback: `make run` sets the sample
        # marketplaces' for the processes it starts; never in production.
        "SCRAPER_ALLOWED_ENDPOINTS": "",
        # The demo's sample marketplaces listen on this port and the next four, its sample
        # Shopee Open Platform on the one after (ocop/sample_platforms).
        "SAMPLE_MARKETS_PORT": 5101,
        "SCRAPER_CONCURRENCY": 16,
        "CHECK_PROCESSES": 0,  # processes `ocop check` spreads a run over; 0: one per core
        "SCRAPER_POLITE": True,
        "SCRAPER_ROBOTS": True,
        "SCRAPER_TIMEOUT": 15.0,
        "SCRAPER_TOTAL_TIMEOUT": 60.0,
        "SCRAPER_RETRIES": 3,
        "SCRAPER_BACKOFF": 1.0,
        # Share links ("Chia sẻ" buttons: s.shopee.vn/…) are followed to their listing when one is
        # entered: seconds one link may take; for an import, links followed at once and the
        # seconds all of one file's links may take together (kept under gunicorn's 30 s).
        "SHARE_TIMEOUT": 8.0,
        "IMPORT_SHARE_WORKERS": 4,
        "IMPORT_SHARE_SECONDS": 20.0,
        "SCRAPER_RESOLVER": None,  # tests only: a getaddrinfo-like callable for the guard
        "REMOVAL_CONFIRM_SECONDS": 60,
        "FRESHNESS_DAYS": 45,
        # A browser check keeps a JPEG of the listing as rendered (at most this size; 0: none).
        # Those of checks that changed a status, and each listing's latest, are kept; the others
        # are deleted once this old.
        "SCREENSHOT_MAX_KB": 250,
        "SCREENSHOT_RETENTION_DAYS": 90,
        # A person's screenshot for an attestation: bytes as uploaded, and pixels once decoded
        # (a small file can decode to gigabytes: a decompression bomb is refused unread).
        "ATTESTATION_MAX_BYTES": 5 * 1024 * 1024,
        "ATTESTATION_MAX_PIXELS": 40_000_000,
        "BREAKER_SHARE": 0.5,  # more than this share blocked or unreachable: degraded
        "BREAKER_MINIMUM": 20,  # ...out of at least this many checks of one marketplace
        "RUN_STALE_SECONDS": 120,  # a run silent this long was left by a stopped process
        "REDIS_URL": "",  # set: runs are split into jobs for `ocop worker` processes
        "RQ_QUEUE": "ocop-checks",
        # The address people reach this app at (https://ocop.example.vn): the marketplaces send
        # a seller back to it after they authorize a shop. Connecting shops needs it.
        "PUBLIC_URL": "",
        # A Fernet key (base64 of 32 bytes) that seals shops' tokens in the database; empty: one
        # generated into the instance folder on first use, for a single machine.
        "TOKEN_KEY": "",
        "SHOP_CONNECT_SECONDS": 900,  # how long a seller may take to authorize a shop
        "SHOP_REFRESH_MINUTES": 90,  # access tokens lapsing sooner are refreshed (hourly cron)
        "SHOP_LAPSE_DAYS": 7,  # an authorization lapsing sooner is flagged "sắp hết hạn"
        # Notifications (ocop.notify): without MAIL_SERVER they are off; the app runs and
        # says so. Flask-Mail's names under our prefix.
        "MAIL_SERVER": "",
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,  # STARTTLS after connecting (port 587)
        "MAIL_USE_SSL": False,  # TLS from the first byte (port 465)
        "MAIL_USERNAME": "",
        "MAIL_PASSWORD": "",
        "MAIL_DEFAULT_SENDER": "",  # the From address, e.g. "OCOP Lào Cai <ocop@example.vn>"
        "NOTIFY_TIMEOUT": 10.0,  # seconds an SMTP relay or a webhook receiver may take
        "NOTIFY_TRIES": 5,  # a message still not sent after this many tries is marked failed
        "NOTIFY_BACKOFF": 60,  # seconds; the wait after try n is this times 2**n
        # A message claimed for sending this long ago was left by a stopped sender: sent again.
        "NOTIFY_CLAIM_SECONDS": 900,
        **{f"{slug}_{name}": value for slug, base in PLATFORM_BASES.items()
           for name, value in (("PARTNER_ID", ""), ("PARTNER_KEY", ""), ("API_BASE", base),
                               ("AUTH_BASE", ""), ("ENABLED", False))},
    }


VERSION = "0.1"


def user_agent(config) -> str:
    """A User-Agent that names the operator, so a marketplace knows whom to ask."""
    if config["SCRAPER_USER_AGENT"]:
        return config["SCRAPER_USER_AGENT"]
    province = fold(config["PROVINCE"]).replace("dd", "d").title()  # header values are ASCII
    contact = f"; +{config['SCRAPER_CONTACT']}" if config["SCRAPER_CONTACT"] else ""
    return (f"OCOPListingTracker/{VERSION} (OCOP listing verification for {province} "
            f"province{contact})")


def allowed_networks(value) -> tuple[str, ...]:
    """OCOP_SCRAPER_ALLOWED_NETWORKS as a tuple; a list or a comma/space separated string."""
    items = value if isinstance(value, list | tuple) else re.split(r"[,\s]+", str(value or ""))
    networks = tuple(item for item in items if item)
    for network in networks:
        ipaddress.ip_network(network, strict=False)  # a typo fails loudly at start, not later
    return networks


def allowed_endpoints(value) -> tuple[str, ...]:
    """OCOP_SCRAPER_ALLOWED_ENDPOINTS ("127.0.0.1:5101, 127.0.0.1:5102") as a tuple."""
    items = value if isinstance(value, list | tuple) else re.split(r"[,\s]+", str(value or ""))
    pairs = tuple(item for item in items if item)
    for pair in pairs:
        endpoint(pair)  # a typo fails loudly at start, not later
    return pairs


def load(app, overrides: dict | None) -> None:
    """Apply defaults, then OCOP_* environment variables, then `overrides`."""
    app.config.from_mapping(defaults(app.instance_path))
    app.config.from_prefixed_env("OCOP")
    if "DATABASE_URL" in app.config:
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config.pop("DATABASE_URL")
    if overrides:
        app.config.from_mapping(overrides)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):  # the form many hosts hand out; SQLAlchemy wants the long one
        uri = "postgresql://" + uri.removeprefix("postgres://")
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("sqlite"):
        # A check run and the web app write at once: wait for the lock rather than fail.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 15}})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(Path(app.instance_path))


def instance_secret(folder: Path) -> str:
    """The secret key kept in the instance folder, generated on first use."""
    path = folder / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers and one writer work together; foreign keys are off by default."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
