"""The app wired to an imitation Shopee Open Platform on 127.0.0.1, for the connected-shops
tests: its settings, and a seller's whole connection through the web."""

from urllib.parse import urlsplit

from cryptography.fernet import Fernet

from ocop.extensions import db
from ocop.models import ShopConnection
from ocop.sample_platforms.shopee import ShopeeServer
from tests.conftest import producer_named

PUBLIC_URL = "http://ocop.test"


def settings(server: ShopeeServer, public_url: str = PUBLIC_URL) -> dict:
    """App settings that point Shopee's platform at `server`."""
    return {"PUBLIC_URL": public_url, "TOKEN_KEY": Fernet.generate_key().decode(),
            "SHOPEE_PARTNER_ID": server.partner_id, "SHOPEE_PARTNER_KEY": server.partner_key,
            "SHOPEE_API_BASE": server.base}


def producer_id(app, name: str = "HTX Chè Hướng Tâm") -> int:
    with app.app_context():
        return producer_named(name).id


def start(client, producer: int, slug: str = "shopee"):
    """Press "continue to the marketplace" on the connect page: its authorization link."""
    response = client.post(f"/shops/producers/{producer}/connect/{slug}")
    assert response.status_code == 303, response.text
    return response.headers["Location"]


def back(client, server: ShopeeServer, producer: int, shop_id: str, answer: str = "yes"):
    """Start, consent on the imitation as the seller, and follow the way back into the app:
    (the app's answer, the path it was sent back to)."""
    returned = server.consent(start(client, producer), shop_id, answer)
    assert returned.startswith(PUBLIC_URL + "/shops/callback/shopee?nonce="), returned
    parts = urlsplit(returned)
    path = f"{parts.path}?{parts.query}"
    return client.get(path), path


def connection(app, shop_id: str) -> ShopConnection | None:
    """The shop's connection row, detached for reading."""
    with app.app_context():
        row = db.session.scalar(db.select(ShopConnection).filter_by(shop_id=shop_id))
        if row is not None:
            db.session.expunge(row)
        return row

