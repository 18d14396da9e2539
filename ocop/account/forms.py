"""The forms of one's own settings: language, notifications, a webhook."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectChoice, SelectField, URLField
from wtforms.validators import DataRequired

from ..forms import Form
from ..models import EVENT_KINDS, FREQUENCIES

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}  # each named in itself
PREFIX = "kind_"  # a kind's frequency field is PREFIX + the kind


class LanguageForm(Form):
    """The language of the pages and of the messages one receives."""

    language = SelectField(_l("Ngôn ngữ"),
                           choices=[SelectChoice(k, v) for k, v in LANGUAGES.items()],
                           description=_l("Ngôn ngữ của các trang và của thư thông báo gửi cho "
                                          "bạn."))


class WebhookForm(Form):
    """Where notifications are also POSTed; ocop.notify.webhooks vets the address."""

    url = URLField(_l("Địa chỉ webhook"), validators=[DataRequired()],
                   description=_l("Một địa chỉ https:// công cộng nhận thông báo dạng JSON, "
                                  "ví dụ của máy chủ hoặc dịch vụ tự động hoá của bạn."))


class NotificationsForm(Form):
    """Whether messages come by email, and how often each kind comes; `for_kinds` adds the
    kinds the user's role hears about."""

    notify_email = BooleanField(_l("Gửi thông báo qua thư điện tử"))

    @classmethod
    def for_kinds(cls, kinds: tuple[str, ...], **kwargs) -> "NotificationsForm":
        """The form with one frequency field per kind in `kinds`."""

        class Bound(cls):
            pass

        choices = [SelectChoice(k, v) for k, v in FREQUENCIES.items()]
        for kind in kinds:
            setattr(Bound, PREFIX + kind, SelectField(EVENT_KINDS[kind], choices=choices))
        return Bound(**kwargs)

    def kind_fields(self):
        """(kind, field) for each kind the form asks about, in the role's order."""
        return [(name.removeprefix(PREFIX), field) for name, field in self._fields.items()
                if name.startswith(PREFIX)]

    def frequencies(self) -> dict[str, str]:
        """Kind -> the frequency chosen."""
        return {kind: field.data for kind, field in self.kind_fields()}
