"""One module per marketplace: the registry finds adapter modules itself, and every URL rule of
a marketplace (item patterns, item parameters, share hosts) comes from its adapter's module."""

import importlib
import sys
import textwrap

import pytest

from scrapers import adapters, identity
from scrapers.identity import UrlError, parse

# A marketplace nobody has heard of, told to the tracker in one file and nowhere else.
CHO_QUE = '''
"""Chợ Quê: an imitation marketplace declared in this module alone."""

import re

from scrapers.adapters.base import Adapter


class ChoQue(Adapter):
    """choque.test: `/mat-hang/<id>`, its colour (`mau`) part of the item."""

    name = "choque"
    item_patterns = (re.compile(r"^/mat-hang/(?P<item>\\d+)$"),)
    item_params = frozenset({"mau"})
    share_hosts = frozenset({"s.choque.test"})


ADAPTER = ChoQue()
'''


@pytest.fixture
def cho_que(tmp_path, monkeypatch):
    """The registry as it is after dropping one new module into the adapters package."""
    (tmp_path / "cho_que.py").write_text(textwrap.dedent(CHO_QUE))
    monkeypatch.setattr(adapters, "__path__", [*adapters.__path__, str(tmp_path)])
    monkeypatch.setattr(adapters, "ADAPTERS", adapters.discover())
    yield adapters.get("choque")
    sys.modules.pop("scrapers.adapters.cho_que", None)


def test_a_new_module_is_all_a_marketplace_needs(cho_que):
    assert list(adapters.ADAPTERS)[0] == "generic"
    assert set(adapters.ADAPTERS) == {"generic", "shopee", "lazada", "tiki", "tiktok", "sendo",
                                      "postmart", "voso", "choque"}
    parsed = parse("https://ChoQue.test//mat-hang/77?mau=do&ref=x&utm_source=zalo", "choque")
    assert (parsed.canonical, parsed.item_id) == ("https://choque.test/mat-hang/77?mau=do", "77")
    with pytest.raises(UrlError) as info:
        parse("https://choque.test/gio-hang", "choque")
    assert info.value.code == "not_item"
    assert cho_que.item_id("https://choque.test/mat-hang/78") == "78"  # redirects judged by it
    assert cho_que.share_hosts == {"s.choque.test"}


def test_without_the_module_the_name_means_nothing():
    assert "choque" not in adapters.ADAPTERS
    with pytest.raises(UrlError) as info:
        parse("https://choque.test/mat-hang/77", "choque")
    assert info.value.code == "not_item"


def test_two_modules_may_not_claim_one_name(tmp_path, monkeypatch):
    (tmp_path / "shopee_again.py").write_text(
        "from scrapers.adapters.shopee import Shopee\n\nADAPTER = Shopee()\n")
    monkeypatch.setattr(adapters, "__path__", [*adapters.__path__, str(tmp_path)])
    try:
        with pytest.raises(RuntimeError, match="shopee"):
            adapters.discover()
    finally:
        sys.modules.pop("scrapers.adapters.shopee_again", None)


@pytest.mark.parametrize("name", [n for n in adapters.ADAPTERS if n != "generic"])
def test_each_marketplace_module_carries_its_own_url_shapes(name):
    adapter = adapters.get(name)
    module = importlib.import_module(type(adapter).__module__)
    assert module.__name__.startswith("scrapers.adapters.") and module.ADAPTER is adapter
    assert "item_patterns" in vars(type(adapter)) and "item_params" in vars(type(adapter))
    assert not any(hasattr(identity, old) for old in ("ADAPTERS", "ITEM_PATTERNS", "ITEM_PARAMS"))


def test_the_new_modules_share_links_are_followed(cho_que, server):
    from scrapers.share import ShareResolver, share_adapter
    from tests.scrapers.conftest import Names, settings

    server.expect_request("/k9").respond_with_data("", status=302, headers={
        "Location": f"http://choque.test:{server.port}/mat-hang/77?mau=do&ref=zalo"})
    link = f"http://s.choque.test:{server.port}/k9"
    assert share_adapter(link) is cho_que
    names = Names({"s.choque.test": "127.0.0.1", "choque.test": "127.0.0.1"})
    with ShareResolver(settings(), resolver=names) as shares:
        found = shares.resolve(link, cho_que, {f"choque.test:{server.port}"})
    assert found.listing.canonical == f"http://choque.test:{server.port}/mat-hang/77?mau=do"
