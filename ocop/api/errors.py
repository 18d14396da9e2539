"""Errors as JSON: the API's own refusals, and every error page under /api/ turned into JSON."""

from flask import jsonify, request
from flask_babel import gettext as _


class ApiError(Exception):
    """A refusal the client can act on: HTTP status, a stable code and a message to show."""

    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def body(code: str, message: str, **extra) -> dict:
    """The one shape every API error has."""
    return {"error": code, "message": message, **extra}


def respond(error: ApiError):
    """An ApiError as its JSON response (401 says which scheme to use)."""
    response = jsonify(body(error.code, error.message, **error.extra))
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="ocop-api"'
    return response


def generic(status: int) -> tuple[str, str]:
    """Code and message for an error the API did not raise itself (routing, a crash)."""
    return {
        404: ("not_found", _("Không có địa chỉ này trong API.")),
        405: ("method_not_allowed", _("API chỉ nhận yêu cầu GET.")),
    }.get(status, ("server_error", _("Máy chủ gặp lỗi; hãy thử lại sau.")) if status >= 500
          else ("bad_request", _("Yêu cầu không hợp lệ.")))


def as_json(response):
    """Under /api/, the app's HTML error pages (unknown address, wrong method, a crash) become
    JSON: they are raised before or outside the API's views, so only the response can change."""
    if not request.path.startswith("/api/") or response.status_code < 400 or response.is_json:
        return response
    replacement = jsonify(body(*generic(response.status_code)))
    replacement.status_code = response.status_code
    if response.status_code == 405:
        replacement.headers["Allow"] = "GET, HEAD, OPTIONS"  # every API route is GET-only
    return replacement


def register(bp) -> None:
    """Attach the handlers to the API blueprint (and, for /api/ as a whole, to the app)."""
    bp.register_error_handler(ApiError, respond)
    bp.after_app_request(as_json)
