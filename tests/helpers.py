"""Small helpers the test modules share."""

from bs4 import BeautifulSoup

HTMX = {"HX-Request": "true"}


def soup(response) -> BeautifulSoup:
    """The response body parsed as HTML."""
    return BeautifulSoup(response.text, "html.parser")


def assert_fragment(response, element_id: str) -> BeautifulSoup:
    """An htmx fragment: the element with `element_id` and no page around it."""
    assert response.status_code == 200
    assert "HX-Request" in response.headers.get("Vary", "")
    html = soup(response)
    assert html.find("html") is None and html.find("nav", recursive=False) is None
    assert html.find(id=element_id) is not None, response.text[:500]
    return html


def assert_full_page(response, element_id: str) -> BeautifulSoup:
    """A whole page that contains the element with `element_id`."""
    assert response.status_code == 200
    html = soup(response)
    assert html.find("html") is not None and html.find("header") is not None
    assert html.find(id=element_id) is not None
    return html
