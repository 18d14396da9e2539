"""Fixtures for the open-platform clients: each imitation platform serves on 127.0.0.1 for the
length of a test, and every call goes through a real requests session."""

from datetime import UTC, datetime

import pytest
import requests

from ocop.sample_platforms.shopee import ShopeeServer
from tests.openplatform.lazada_server import LazadaServer
from tests.openplatform.tiktok_server import TikTokServer

# The app's callback as an open platform that registers it (TikTok, Lazada) knows it.
CALLBACK = "https://ocop.example.vn/shops/callback"


def utcnow() -> datetime:
    """Now as the clients take it: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture
def session():
    with requests.Session() as s:
        yield s


@pytest.fixture
def shopee():
    with ShopeeServer() as server:
        yield server


@pytest.fixture
def tiktok():
    with TikTokServer(redirect=CALLBACK) as server:
        yield server


@pytest.fixture
def lazada():
    with LazadaServer(redirect=CALLBACK) as server:
        yield server
