"""Time the dashboard on a 20,000-product, 100,000-listing registry, with each filter.

Loads the generated registry (bench.dataset: listings verified over the last 60 days, so some
are stale), then times GET /dashboard/ as a signed-in officer, unfiltered and with one filter
at a time, as a full page and as the htmx fragment (server-side, no network).

    .venv/bin/python -m bench.dashboard --postgresql postgresql://postgres@127.0.0.1:5432/ocop_bench
"""


from bench.product_list import PASSWORD, prepare
from bench.requests import median_p95, run
from ocop.products.queries import communes


def filters(names: list[str]) -> dict[str, list[str]]:
    """The query strings timed: none, then one filter at a time (communes the data has)."""
    return {"none": [""], "commune": [f"commune={c}" for c in names[:10]],
            "group": [f"group={g}" for g in range(1, 7)],
            "stars": ["stars=3", "stars=4", "stars=5"],
            "marketplace": ["marketplace=shopee", "marketplace=postmart", "marketplace=tiki"]}


def settle(uri: str) -> None:
    """VACUUM ANALYZE a PostgreSQL database, as autovacuum keeps a live one: without a
    visibility map the planner cannot use index-only scans of ix_listings_online."""
    if not uri.startswith("postgresql"):
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(uri.replace("postgresql://", "postgresql+psycopg://", 1),
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def measure(uri: str, count: int) -> list[tuple]:
    """Per filter and response kind: median and 95th percentile in ms."""
    from ocop import create_app

    client = create_app({"SQLALCHEMY_DATABASE_URI": uri, "WTF_CSRF_ENABLED": False}).test_client()
    response = client.post("/login", data={"email": "officer@bench.vn", "password": PASSWORD})
    assert response.status_code == 303, response.text
    with client.application.app_context():
        timed_filters = filters(communes())
    results = []
    pages = [(name, [f"/dashboard/?{queries[i % len(queries)]}" for i in range(count)],
              (("full page", {}), ("htmx fragment", {"HX-Request": "true"})), "share-online")
             for name, queries in timed_filters.items()]
    # The "needs a human" lists, which the page fetches once its figures are shown.
    pages.append(("attention lists", ["/dashboard/attention"] * count,
                  (("htmx fragment", {"HX-Request": "true"}),), 'id="troubled"'))
    for name, urls, kinds, marker in pages:
        for label, headers in kinds:
            results.append((name, label, *median_p95(client, urls, headers, marker)))
    return results


def main() -> None:
    """Load, settle and measure each backend."""

    def ready(uri: str, sizes: tuple[int, int, int]) -> None:
        prepare(uri, sizes)
        settle(uri)

    run(__doc__, ("filter", "response", "median ms", "p95 ms"), ready,
        lambda uri, count, _prepared: measure(uri, count), requests=60)


if __name__ == "__main__":
    main()
