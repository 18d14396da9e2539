"""Fixtures for the open-platform clients: each imitation platform serves on 127.0.0.1 for the
length of a test, and every call goes through a real requests session."""

from datetime import UTC, datetime

import pytest
import requests

from tests.openplatform.shopee_server import ShopeeServer


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
