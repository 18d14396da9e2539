"""Time the product list (a search plus a filter) on a 20,000-product registry.

The registry (20,000 products, 5,000 producers, 100,000 listings) is loaded straight into the
database, then many GET /products/?q=…&stars=… requests go through the Flask test client as
a signed-in officer: the times are server-side (routing, queries, templates), without network.

    .venv/bin/python -m bench.product_list --postgresql postgresql://postgres@127.0.0.1:5432/ocop_bench
"""

import random
import time

from werkzeug.security import generate_password_hash

from bench.dataset import generate, load_database
from bench.requests import median_p95, run, timed

# Searches an officer types (without diacritics, as most do), each with one filter.
TERMS = ("che", "mat ong", "bac ha", "tinh dau que", "sa pa", "gao", "htx", "lap suon",
         "man tam hoa", "LC-012", "muong khuong", "tra hoa", "nam huong", "thai nien",
         "khan tho cam", "cong ty", "hop qua", "y ty", "lan hai", "mien dong")
FILTERS = (("stars", (3, 4, 5)), ("category", (1, 2, 3, 4, 5, 6)),
           ("status", ("certified", "expired")), ("marketplace", ("shopee", "tiki", "voso")))
PASSWORD = "bench-password"
PROBE_MS = 5000  # a filter this slow is reported from one request, not timed 500 times


def prepare(uri: str, sizes: tuple[int, int, int]) -> None:
    """Load the registry and an officer account."""
    started = time.perf_counter()
    load_database(generate(*sizes), uri)
    from ocop import create_app
    from ocop.extensions import db
    from ocop.models import User

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        db.session.add(User(email="officer@bench.vn", role="officer",
                            password_hash=generate_password_hash(PASSWORD)))
        db.session.commit()
        db.engine.dispose()
    print(f"loaded {sizes} in {time.perf_counter() - started:.1f} s", flush=True)


def requests_to_time(count: int, filter_name: str, seed: int = 7) -> list[str]:
    """`count` list URLs, each a search and one `filter_name` filter."""
    rng = random.Random(seed)
    values = dict(FILTERS)[filter_name]
    return [f"/products/?q={rng.choice(TERMS).replace(' ', '+')}"
            f"&{filter_name}={rng.choice(values)}" for _ in range(count)]


def measure(uri: str, count: int) -> list[tuple]:
    """Per filter, as a full page and as the htmx fragment: median and 95th percentile in ms
    (a filter whose first request takes over PROBE_MS is reported by that one request)."""
    from ocop import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    response = client.post("/login", data={"email": "officer@bench.vn", "password": PASSWORD})
    assert response.status_code == 303, response.text
    results = []
    for filter_name, _values in FILTERS:
        urls = requests_to_time(count, filter_name)
        probe = timed(client, urls[0], {})
        if probe > PROBE_MS:
            results.append((filter_name, "full page", probe, probe, 1))
            continue
        for label, headers in (("full page", {}), ("htmx fragment", {"HX-Request": "true"})):
            results.append((filter_name, label, *median_p95(client, urls, headers), len(urls)))
    return results


def main() -> None:
    """Load and measure each backend."""
    run(__doc__, ("search + filter", "response", "median ms", "p95 ms", "requests"),
        prepare, lambda uri, count, _prepared: measure(uri, count), requests=500)


if __name__ == "__main__":
    main()
