"""Time the JSON API's list and detail endpoints on a 20,000-product registry.

The registry (20,000 products, 5,000 producers, 100,000 listings) is loaded straight into the
database, then many GET /api/v1/… requests go through the Flask test client, without a token
(public fields) and with an officer's token: the times are server-side (routing, queries,
JSON), without network.

    .venv/bin/python -m bench.api --postgresql postgresql://postgres@127.0.0.1:5432/ocop_bench
"""

import random
import time

from bench.dataset import generate, load_database
from bench.product_list import TERMS
from bench.requests import median_p95, run


def prepare(uri: str, sizes: tuple[int, int, int]) -> str:
    """Load the registry and an officer account; the officer's API token."""
    started = time.perf_counter()
    load_database(generate(*sizes), uri)
    from ocop import create_app
    from ocop.api.tokens import create_token
    from ocop.extensions import db
    from ocop.models import User

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        officer = User(email="officer@bench.vn", role="officer", password_hash="-")
        db.session.add(officer)
        db.session.commit()
        _token, secret = create_token(officer, "bench")
        db.engine.dispose()
    print(f"loaded {sizes} in {time.perf_counter() - started:.1f} s", flush=True)
    return secret


def endpoints(count: int, products: int, seed: int = 7) -> list[tuple[str, list[str]]]:
    """Per endpoint, `count` addresses to ask for."""
    rng = random.Random(seed)
    return [
        ("products?q=…", [f"/api/v1/products?q={rng.choice(TERMS).replace(' ', '+')}"
                          for _ in range(count)]),
        ("products/<code>", [f"/api/v1/products/LC-{rng.randint(1, products):05d}"
                             for _ in range(count)]),
        ("listings?status=active", [f"/api/v1/listings?status=active&page={rng.randint(1, 20)}"
                                    for _ in range(count)]),
    ]


def measure(uri: str, secret: str, count: int, products: int) -> list[tuple]:
    """Per endpoint, public and with the officer's token: median and 95th percentile in ms."""
    from ocop import create_app

    client = create_app({"SQLALCHEMY_DATABASE_URI": uri}).test_client()
    results = []
    for name, urls in endpoints(count, products):
        for label, headers in (("public", {}),
                               ("officer token", {"Authorization": f"Bearer {secret}"})):
            results.append((name, label, *median_p95(client, urls, headers), len(urls)))
    return results


def main() -> None:
    """Load and measure each backend."""
    run(__doc__, ("endpoint", "caller", "median ms", "p95 ms", "requests"),
        lambda uri, sizes: (prepare(uri, sizes), sizes[0]),
        lambda uri, count, ready: measure(uri, ready[0], count, ready[1]), requests=300)


if __name__ == "__main__":
    main()
