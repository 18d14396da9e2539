"""The product form."""

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from ..extensions import db
from ..forms import RecordForm
from ..models import CATEGORIES, Producer
from ..text import fold

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"


def find_producer(text: str) -> Producer | None:
    """The producer picked in the form: "Name [#id]" from the suggestions, or a unique name."""
    match = re.search(r"\[#(\d+)\]\s*$", text or "")
    if match:
        return db.session.get(Producer, int(match.group(1)))
    found = db.session.scalars(select(Producer).where(Producer.search_text.startswith(
        fold(text)))).all()
    exact = [p for p in found if fold(p.name) == fold(text)]
    return exact[0] if len(exact) == 1 else None


def producer_choice(producer: Producer) -> str:
    """How a producer appears in the suggestions and in the field."""
    return f"{producer.name} [#{producer.id}]"


class ProductForm(RecordForm):
    """Create or edit a product."""

    code = StringField(_l("Mã sản phẩm"), validators=[
        DataRequired(), Length(max=40),
        Regexp(CODE_PATTERN, message=_l("Chỉ dùng chữ không dấu, số và . _ / -"))])
    name = StringField(_l("Tên sản phẩm"), validators=[DataRequired(), Length(max=255)])
    producer = StringField(_l("Chủ thể"), validators=[DataRequired()])
    category = SelectField(_l("Nhóm sản phẩm"), coerce=int,
                           choices=[SelectChoice(k, v) for k, v in CATEGORIES.items()])
    subgroup = StringField(_l("Phân nhóm"), validators=[Optional(), Length(max=255)])
    stars = SelectField(_l("Số sao"), coerce=int,
                        choices=[SelectChoice(n, f"{n} ★") for n in (3, 4, 5)])
    decision_no = StringField(_l("Số quyết định"), validators=[Optional(), Length(max=100)])
    certified_on = DateField(_l("Ngày công nhận"), validators=[InputRequired()])
    expires_on = DateField(_l("Ngày hết hạn"), validators=[Optional()],
                           description=_l("Để trống: 36 tháng sau ngày công nhận."))
    withdrawn = BooleanField(_l("Đã thu hồi chứng nhận"))

    def validate_producer(self, field) -> None:
        """The typed producer must be one the registry knows."""
        self.producer_record = find_producer(field.data)
        if self.producer_record is None:
            raise ValidationError(_l("Chọn một chủ thể có trong danh sách."))

    def data_for_save(self) -> dict:
        data = super().data_for_save()
        data["producer"] = getattr(self, "producer_record", None)  # set once validated
        data["code"] = (data["code"] or "").strip()
        return data
