"""The form that starts a check run from the web."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectChoice, SelectField
from wtforms.validators import ValidationError

from ..extensions import db
from ..forms import Form
from ..models import RUN_SCOPES, Marketplace


class RunForm(Form):
    """Which listings to check: those due, all of them, or one marketplace's."""

    scope = SelectField(_l("Phạm vi"), default="due", choices=[
        SelectChoice(key, RUN_SCOPES[key]) for key in ("due", "all", "marketplace")])
    marketplace = SelectField(_l("Sàn"), coerce=int, default=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.marketplace.choices = [SelectChoice(0, "—")] + [
            SelectChoice(m.id, m.name) for m in db.session.scalars(
                select(Marketplace).where(Marketplace.enabled).order_by(Marketplace.name))]

    def validate_marketplace(self, field) -> None:
        if self.scope.data == "marketplace" and not field.data:
            raise ValidationError(_l("Chọn sàn cần kiểm tra."))

    def chosen(self) -> tuple[str, int | None, str | None]:
        """The run's scope, id and label."""
        if self.scope.data == "marketplace":
            marketplace = db.session.get(Marketplace, self.marketplace.data)
            return "marketplace", marketplace.id, marketplace.name
        return self.scope.data, None, None
