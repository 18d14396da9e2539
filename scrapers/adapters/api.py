"""Marketplaces with a public item API: ask it first, fall back to the listing page.

An API answer that decides (active, out of stock, removed) is final. Anything else (blocked,
garbage, an unknown shape, a transport failure) is kept as a note and the listing page is
judged; when the API was blocked and the page says nothing either, blocked stands (it is
evidence of a wall, which the circuit breaker counts); otherwise the page's finding stands,
with what the API said added to its detail.

On the browser route the adapter does not call the API: the page's own scripts did, with the
tokens they compute, and `judge` reads those answers from `page.responses` (the ones
`is_item_api` recognises) under the same rules, after the hops and the status of the document.
"""

from dataclasses import replace

from scrapers.adapters.base import JSON_ACCEPT, Adapter, challenge_of
from scrapers.model import DECISIVE, FetchError, Finding, Page, Target

MAX_API_PAGES = 5  # the page's own API answers judged, the first ones


class ApiAdapter(Adapter):
    """An adapter whose marketplace answers item questions in JSON."""

    def api_url(self, target: Target) -> str | None:
        """The item's API URL on the listing's own host; None (no API call) without an id."""
        return None

    def is_item_api(self, target: Target, url: str) -> bool:
        """Whether a JSON answer the page fetched at `url` is about the listing's item."""
        return False

    def judge(self, target: Target, page: Page) -> Finding:
        """The shared judgement; on a rendered page, the item API answers its scripts got
        count as the API's answer would on the HTTP route."""
        if not page.responses:
            return super().judge(target, page)
        first = (self.judge_hops(page) or self.judge_status(page)
                 or self.judge_redirect(target, page))
        if first is not None:
            return first
        note = None
        for url, body in [r for r in page.responses if self.is_item_api(target, r[0])
                          ][:MAX_API_PAGES]:
            seen = (self.judge_json(body) if isinstance(body, dict) else
                    Finding("unknown", "api-shape", f"API answered a JSON {type(body).__name__}"))
            seen.detail = f"the page's own API call {url}: {seen.detail}"
            if seen.verdict in DECISIVE:
                return seen
            note = note if note is not None and note.verdict == "blocked" else seen
        return self._with_note(note, "", self.judge_body(page))

    def judge_json(self, body: dict) -> Finding:
        """What a 200 JSON object from the API says; a marketplace overrides this."""
        return Finding("unknown", "api-shape", f"API answered {sorted(body)[:5]}")

    def check(self, target: Target, fetch) -> Finding:
        """API first; the listing page when the API did not decide."""
        note, aside = None, ""
        if url := self.api_url(target):
            try:
                note = self.judge_api(fetch(url, accept=JSON_ACCEPT))
            except FetchError as exc:  # e.g. robots.txt keeps bots off /api/: the page may say
                aside = f"; API not reached ({exc})"
            if note is not None and note.verdict in DECISIVE:
                return note
        return self._with_note(note, aside, super().check(target, fetch))

    @staticmethod
    def _with_note(note: Finding | None, aside: str, finding: Finding) -> Finding:
        """The page's finding, with what the API said: its wall when the page said nothing."""
        if note is not None and note.verdict == "blocked" and finding.verdict == "unknown":
            return replace(note, detail=f"{note.detail}; page: {finding.detail}",
                           title=note.title or finding.title, price=note.price or finding.price)
        if note is not None or aside:
            finding.detail += aside or f"; API: {note.detail}"
        return finding

    def judge_api(self, page: Page) -> Finding:
        """Hops and status of the API response, then its JSON."""
        if hop := self.judge_hops(page):
            return hop
        if page.status in (401, 403, 451):
            return Finding("blocked", f"http-{page.status}", f"API answered HTTP {page.status}")
        if page.status in (404, 410):
            try:  # a JSON answer is the API speaking of the item ...
                page.json()
            except ValueError:  # ... anything else may mean the endpoint itself is gone
                return Finding("unknown", f"api-http-{page.status}",
                               f"API answered HTTP {page.status} without JSON")
            return self.not_found(page)
        if page.status != 200:
            return Finding("unknown", f"api-http-{page.status}",
                           f"API answered HTTP {page.status}")
        try:
            body = page.json()
        except ValueError:
            if hit := challenge_of(page, page.text()):  # a captcha page instead of JSON
                return Finding("blocked", hit[0], f"API answered a challenge: {hit[1]}")
            return Finding("unknown", "invalid-json",
                           f"API body is not JSON: {page.body[:60]!r}")
        if not isinstance(body, dict):
            return Finding("unknown", "api-shape", f"API answered a JSON {type(body).__name__}")
        return self.judge_json(body)

    def not_found(self, page: Page) -> Finding:
        """A JSON 404 from the API; marketplaces that trust it say removed."""
        return Finding("unknown", f"api-http-{page.status}",
                       f"API answered HTTP {page.status}: {page.body[:80]!r}")
