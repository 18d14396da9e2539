"""A marketplace served on an IPv6 address: its hosts and its listings' URLs keep brackets."""

import pytest

from ocop.extensions import db
from ocop.models import Marketplace, Product

from .helpers import HTMX, soup


def form_data(hosts: str) -> dict:
    return {"name": "Chợ IPv6", "slug": "cho-ipv6", "adapter": "generic", "hosts": hosts,
            "enabled": "y", "concurrency": "2", "min_interval": "1"}


def hosts_of(app) -> list[str]:
    with app.app_context():
        found = db.session.scalar(db.select(Marketplace).filter_by(slug="cho-ipv6"))
        return sorted(h.host for h in found.hosts) if found else []


def test_ipv6_hosts_are_kept_in_brackets_and_listings_canonicalised(admin, officer, app,
                                                                    catalogue):
    response = admin.post("/marketplaces/new",
                          data=form_data("[2001:DB8:0::1]:8080\n2001:db8::2\nhttp://[::1]:8765/"))
    assert response.status_code == 303, response.text
    assert hosts_of(app) == ["[2001:db8::1]:8080", "[2001:db8::2]", "[::1]:8765"]

    response = officer.post("/products/LC-003/listings", headers=HTMX, data={
        "url": "http://[2001:db8::1]:8080/sp/khau-nhuc?utm_source=zalo"})
    assert "Đã thêm gian hàng trên Chợ IPv6" in response.text
    with app.app_context():
        listing = db.session.scalar(db.select(Product).filter_by(code="LC-003")).listings[0]
        assert listing.canonical_url == "http://[2001:db8::1]:8080/sp/khau-nhuc"
        assert listing.item_id == "/sp/khau-nhuc"


@pytest.mark.parametrize("host", ["[2001:db8::1", "2001:db8::1%eth0", "[fe80::1%25eth0]:80"])
def test_a_malformed_ipv6_host_is_refused_with_the_way_to_write_it(admin, app, host):
    response = admin.post("/marketplaces/new", data=form_data(host))
    assert response.status_code == 200
    error = soup(response).find(id="error-hosts").text
    assert "IPv6" in error and "[2001:db8::1]:8080" in error
    assert hosts_of(app) == []
