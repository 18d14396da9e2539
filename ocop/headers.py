"""Security headers on every response: pages, fragments, JSON, static files and errors.

The policy allows only this origin's own scripts, styles and requests. The pages keep to it:
no inline <script>, no style= attributes, no on…= handlers (a test walks the templates), htmx
told not to inject its indicator <style> and not to eval (see the htmx-config meta tag in
base.html). The one exception is img-src data:, for the blank favicon and Pico's SVG icons,
which its stylesheet carries as data: URLs.
"""

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])



def sending_forms_to(origin: str) -> str:
    """The policy of a page whose form is answered by a redirect to `origin` (connecting a
    shop: the browser goes on to the marketplace), which form-action 'self' would block."""
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {origin}")


HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # the tracker's addresses stay out of marketplaces' logs
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    """Add the headers a view did not set itself: a view's own choice wins."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    """Send the security headers on every response of `app`."""
    app.after_request(add_security_headers)
