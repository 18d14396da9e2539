"""What every view shares: full page or fragment, role checks, pagination arguments."""

from functools import wraps
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_htmx import make_response as htmx_response
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block
from werkzeug.exceptions import Forbidden

from .bounds import MAX_PAGE
from .errors import Invalid, StaleEdit
from .extensions import db, htmx, login


def wants_fragment() -> bool:
    """An htmx request that swaps part of a page; boosted and history-restore ones get it all."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(template: str, block: str, push_url: str | None = None, trigger: str | None = None,
           **context):
    """The whole page, or only `block` of it for an htmx request that swaps that part;
    `push_url` is the tidy address the browser shows for a fragment (filters without blanks),
    `trigger` an event the fragment raises so other parts of the page refresh."""
    if wants_fragment():
        response = htmx_response(render_block(template, block, **context), push_url=push_url,
                                 trigger=trigger)
    else:
        response = make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response


def partial(template: str, trigger: str | None = None, **context):
    """A partial template on its own, as htmx swaps it (a row, an error text); `trigger` an
    event it raises so other parts of the page refresh."""
    response = htmx_response(render_template(template, **context), trigger=trigger)
    response.vary.add("HX-Request")
    return response


def local_path(target: str | None) -> str:
    """`target` if it is a path on this site, else the front page: the one guard for every
    redirect whose address comes from the request (`next`, the language switch). Browsers read
    `//host`, `/\\host` and the same with tabs or newlines in between as another host."""
    if (target and target.startswith("/") and not target.startswith("//")
            and not any(c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in target)):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.index")


def role_required(role: str):
    """Views for signed-in users holding `role` or a higher one; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.can(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def role_required_handler(role: str):
    """`role_required` for the error handler of a blueprint whose pages need `role`. Such a
    handler answers every request routed to the blueprint, also one refused before any view's
    own check ran (a body too large for the CSRF check to read is a 413 before the view): a
    user without `role` gets what `role_required` answers them, the sign-in page or 403, never
    the handler's page."""

    def decorator(handler):
        @wraps(handler)
        def wrapped(error):
            if not current_user.is_authenticated:
                return login.unauthorized()
            if not current_user.can(role):
                return current_app.handle_http_exception(Forbidden())
            return handler(error)

        wrapped.required_role = role  # tests check every blueprint's handlers carry one
        return wrapped

    return decorator


def page_number(arg: str = "page") -> int:
    """The page query argument (`arg`: a page with several paged lists names each), 1 when
    absent or nonsense; past MAX_PAGE no such page (404), so no offset overflows the database."""
    page = request.args.get(arg, 1, type=int)
    if page and page > MAX_PAGE:
        abort(404)
    return page if page and page > 0 else 1


def page_arg(page) -> dict:
    """The `page` argument of a pagination's address, left out on the first page."""
    return {"page": page.page} if page.page > 1 else {}


def add_errors(form, errors: dict[str, list[str]]) -> None:
    """Show an operation's refusals beside the fields they concern."""
    for name, messages in errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, *messages]
        else:
            form.form_errors.extend(messages)


def field_error(form, name: str, check=None):
    """Inline validation: the error text of one field, from the form's own rules and then from
    the operation's `check` (which must accept a partly filled form)."""
    form.validate()
    errors = list(form[name].errors) if name in form else []
    if not errors and check is not None:
        try:
            check(form.data_for_save())
        except Invalid as exc:
            errors = exc.errors.get(name, [])
    return partial("_field_error.html", name=name, errors=errors)


def done(message: str, url: str):
    """After a successful save: say so, and go where the user can see the result (303)."""
    flash(message, "success")
    return redirect(url, 303)


def loaded_version(form, record) -> int | None:
    """The version an edit of `record` was loaded at; None for a new record. An edit of a saved
    record that does not say its version is refused: without it the stale-edit check cannot run
    and the save would overwrite whatever someone else saved meanwhile."""
    if record is not None and form.version.data is None:
        raise Invalid.one("", _("Biểu mẫu này đã cũ nên chưa được lưu (thiếu phiên bản của bản "
                                "ghi). Hãy tải lại trang rồi sửa lại."))
    return form.version.data


def edit_form(form, record, *, check, save, saved, template: str, **context):
    """The flow every record form shares: inline validation of one field, then on submit a
    save that may be refused (errors beside the fields) or found stale (someone saved since
    the form was loaded: say so and keep the user's input); `saved` answers a success."""
    if field := request.args.get("validate"):
        return field_error(form, field, check)
    stale = False
    if form.validate_on_submit():
        try:
            result = save(form.data_for_save(), loaded_version(form, record))
        except Invalid as exc:
            add_errors(form, exc.errors)
        except StaleEdit:
            db.session.refresh(record)
            stale = True
        else:
            return saved(result)
    return render(template, "form", form=form, stale=stale, **context)
