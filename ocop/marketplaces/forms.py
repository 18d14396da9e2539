"""The marketplace form."""

import re

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FloatField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from scrapers import adapters

from ..forms import RecordForm
from ..models import FETCH_LABELS
from .operations import slugify


class HostsField(TextAreaField):
    """A list of host names, edited as text with one host per line."""

    def process_formdata(self, valuelist):
        self.data = [h for h in re.split(r"[\s,;]+", valuelist[0]) if h] if valuelist else []

    def _value(self) -> str:
        if isinstance(self.data, str):
            return self.data
        return "\n".join(getattr(h, "host", h) for h in self.data or ())


class MarketplaceForm(RecordForm):
    """Create or edit a marketplace; hosts are typed one per line."""

    name = StringField(_l("Tên sàn"), validators=[DataRequired(), Length(max=100)])
    slug = StringField(_l("Tên ngắn"), validators=[Optional(), Length(max=40)],
                       description=_l("Chữ thường không dấu, số và dấu gạch ngang; để trống "
                                      "thì lấy từ tên sàn."))
    # The operation's refusal names the unknown adapter, which WTForms' own message would not.
    adapter = SelectField(_l("Bộ đọc"), choices=lambda: list(adapters.ADAPTERS),
                          validate_choice=False,
                          description=_l("\"generic\" đọc schema.org, OpenGraph và chữ trên "
                                         "trang; các bộ khác hiểu địa chỉ của sàn đó."))
    hosts = HostsField(_l("Tên miền"), validators=[DataRequired()], render_kw={"rows": 3},
                       description=_l("Mỗi dòng một tên miền, kèm cổng nếu không phải cổng "
                                      "mặc định, ví dụ shopee.vn hoặc 127.0.0.1:8001."))
    # Unknown values reach the operation, whose refusal names them (as for the adapter).
    fetch = SelectField(
        _l("Cách đọc trang"), choices=[SelectChoice(k, v) for k, v in FETCH_LABELS.items()],
        default="http", validate_choice=False,
        description=_l("HTTP: nhanh, đủ cho sàn trả nội dung ngay trong trang. Trình duyệt: mở "
                       "trang như người mua, cho sàn chỉ hiện sản phẩm sau khi chạy script; chậm "
                       "và tốn tài nguyên hơn. Tự động: đọc bằng HTTP trước, chỉ mở trình duyệt "
                       "khi HTTP không thấy được gian hàng."))
    enabled = BooleanField(_l("Đang kiểm tra"), default=True)
    concurrency = IntegerField(
        _l("Số yêu cầu đồng thời"), default=2,
        validators=[InputRequired(),
                    NumberRange(1, 64, message=_l("Số yêu cầu đồng thời từ 1 đến 64."))])
    min_interval = FloatField(
        _l("Khoảng cách tối thiểu (giây)"), default=2.0,
        validators=[InputRequired(),
                    NumberRange(0, message=_l("Khoảng cách tối thiểu không được âm."))])

    def data_for_save(self) -> dict:
        data = super().data_for_save()
        data["name"] = (data["name"] or "").strip()
        data["slug"] = (data["slug"] or "").strip() or slugify(data["name"])
        return data
