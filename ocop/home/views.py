"""The front door and the language switch."""

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from ..web import local_path

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    """Signed-in users go to their products; others see what the tracker is."""
    if current_user.is_authenticated:
        return redirect(url_for("products.index"))
    return render_template("home/index.html")


@bp.post("/lang/<code>")
def language(code: str):
    """Switch the interface language for this browser."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    return redirect(local_path(request.form.get("next")), 303)
