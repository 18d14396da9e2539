"""A TikTok Shop connected through the web: the nonce rides in TikTok's `state` and the shop is
named only by the exchange; its listings' addresses do not name the shop, so they are still read
from their pages, and the producer's page says so."""

from urllib.parse import urlsplit

import pytest
from cryptography.fernet import Fernet

from tests.openplatform.imitation import item
from tests.openplatform.tiktok_server import TikTokServer
from tests.shopee import PUBLIC_URL, connection, producer_id, start

from .conftest import sign_in


@pytest.fixture
def tiktok():
    with TikTokServer(redirect=f"{PUBLIC_URL}/shops/callback/tiktok") as server:
        server.add_shop("7494", "Chè Hướng Tâm TikTok", {"1729": item("ACTIVATE", 4)})
        yield server


@pytest.fixture
def app_overrides(tiktok):
    return {"PUBLIC_URL": PUBLIC_URL, "TOKEN_KEY": Fernet.generate_key().decode(),
            "TIKTOK_PARTNER_ID": tiktok.app_key, "TIKTOK_PARTNER_KEY": tiktok.app_secret,
            "TIKTOK_API_BASE": tiktok.base, "TIKTOK_AUTH_BASE": tiktok.base}


def test_a_tiktok_shop_connects_with_its_nonce_in_state(app, producer_client, tiktok):
    own = producer_id(app)
    link = start(producer_client, own, "tiktok")
    returned = urlsplit(tiktok.consent(link, "7494"))
    assert f"{returned.scheme}://{returned.netloc}{returned.path}" == (
        f"{PUBLIC_URL}/shops/callback/tiktok")
    answer = producer_client.get(f"{returned.path}?{returned.query}")
    assert answer.status_code == 303, answer.text
    row = connection(app, "7494")
    assert row.producer_id == own and row.state == "connected"
    assert row.extra.get("shop_cipher")
    page = producer_client.get(f"/shops/producers/{own}")
    assert "Địa chỉ sản phẩm trên sàn này không ghi gian hàng" in page.text
    listed = sign_in(app, "officer@example.vn").get("/shops/")
    assert "Sản phẩm vẫn được kiểm tra qua trang" in listed.text
    again = producer_client.get(f"{returned.path}?{returned.query}")
    assert again.status_code == 400 and "đã được dùng một lần" in again.text
