"""The inline form that adds a listing to a product."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..extensions import db
from ..forms import Form
from ..models import Marketplace


class ListingForm(Form):
    """A listing URL, and the marketplace when the host alone does not say it."""

    url = StringField(_l("Đường dẫn gian hàng"), validators=[DataRequired(), Length(max=2000)])
    marketplace = SelectField(_l("Sàn"), coerce=int, default=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.marketplace.choices = [SelectChoice(0, _l("Nhận từ đường dẫn"))] + [
            SelectChoice(m.id, m.name)
            for m in db.session.scalars(
                select(Marketplace).where(Marketplace.enabled).order_by(Marketplace.name))
        ]

    def chosen_marketplace(self) -> Marketplace | None:
        """The marketplace picked, or None to detect it from the host."""
        return db.session.get(Marketplace, self.marketplace.data) if self.marketplace.data else None


class RefusalForm(Form):
    """Why an officer turns a proposal down; the operation requires it, the producer reads it."""

    reason = TextAreaField(_l("Lý do từ chối"), validators=[Length(max=1000)])
