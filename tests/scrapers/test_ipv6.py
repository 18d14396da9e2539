"""A marketplace on an IPv6 address: its host in brackets wherever a URL is built from it."""

import json
import socket
from dataclasses import replace

import pytest
from pytest_httpserver import HTTPServer

from scrapers.adapters.base import base_url
from scrapers.engine import check_one
from scrapers.model import Target

from . import pages
from .conftest import fetch, settings
from .market import SETTINGS


def _loopback6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _loopback6(), reason="no IPv6 loopback here")
LOCAL6 = ("::1/128",)


@pytest.fixture
def server6():
    """A test server on the IPv6 loopback address ([::1])."""
    server = HTTPServer(host="::1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_a_page_on_an_ipv6_host_is_fetched(server6):
    server6.expect_request("/p").respond_with_data("<p>xin chào</p>", content_type="text/html")
    url = f"http://[::1]:{server6.port}/p"
    page = fetch(url, settings(allowed_networks=LOCAL6))
    assert (page.status, page.final_url) == (200, url)


def test_an_adapter_asks_the_api_on_the_listings_ipv6_host(server6):
    host = f"[::1]:{server6.port}"
    server6.expect_request("/api/v2/products/789", query_string={"platform": "web"}
                           ).respond_with_data(json.dumps(pages.tiki_product()),
                                               content_type="application/json")
    target = Target(key=1, url=f"http://{host}/tra-sen-p789.html", adapter="tiki",
                    marketplace="tiki", hosts=frozenset({host}))
    assert base_url(target) == f"http://{host}"
    result = check_one(target, replace(SETTINGS, allowed_networks=LOCAL6))
    assert (result.verdict, result.evidence["rule"]) == ("active", "api-inventory-status")
