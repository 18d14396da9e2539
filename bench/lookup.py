"""Time the public look-up on a 20,000-product registry (no sign-in).

Loads the same generated registry as bench.product_list, then times GET /tra-cuu/?q=… for the
searches an officer would type, as a full page and as the htmx fragment, through the Flask
test client (server-side times, no network).

    .venv/bin/python -m bench.lookup --postgresql postgresql://postgres@127.0.0.1:5432/ocop_bench
"""

import random

from bench.product_list import TERMS, prepare
from bench.requests import median_p95, run


def measure(uri: str, count: int) -> list[tuple]:
    """Median and 95th percentile in ms, as a full page and as the htmx fragment."""
    from ocop import create_app

    client = create_app({"SQLALCHEMY_DATABASE_URI": uri}).test_client()
    rng = random.Random(7)
    urls = [f"/tra-cuu/?q={rng.choice(TERMS).replace(' ', '+')}" for _ in range(count)]
    return [(label, *median_p95(client, urls, headers, 'id="results"'))
            for label, headers in (("full page", {}), ("htmx fragment", {"HX-Request": "true"}))]


def main() -> None:
    """Load and measure each backend."""
    run(__doc__, ("response", "median ms", "p95 ms"), prepare,
        lambda uri, count, _prepared: measure(uri, count), requests=500)


if __name__ == "__main__":
    main()
