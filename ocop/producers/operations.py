"""Creating, changing and deleting producers; each call is one transaction."""

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..errors import Invalid
from ..extensions import db
from ..models import Producer, User
from ..records import save


def check(data: dict, producer: Producer | None = None) -> None:
    """A tax code names one producer only."""
    if not data.get("tax_code"):
        return
    taken = db.session.scalar(select(Producer).where(
        Producer.tax_code == data["tax_code"], Producer.id != (producer.id if producer else -1)))
    if taken is not None:
        raise Invalid.one("tax_code", _("Mã số thuế %(tax_code)s đã thuộc về %(name)s.",
                                        tax_code=data["tax_code"], name=taken.name))


def save_producer(data: dict, producer: Producer | None = None, version: int | None = None
                  ) -> Producer:
    """Create a producer, or update `producer` as loaded at `version`."""
    data = {**data, "tax_code": data.get("tax_code") or None}
    check(data, producer)
    conflict = Invalid.one("tax_code", _("Mã số thuế %(tax_code)s vừa được dùng cho chủ thể "
                                         "khác.", tax_code=data["tax_code"]))
    return save(producer or Producer(), data, version, conflict)


def delete_producer(producer: Producer) -> None:
    """Delete a producer that has no products and no sign-in accounts left."""
    if producer.products:
        raise Invalid.one("", _("Không thể xoá chủ thể còn %(n)d sản phẩm.",
                                n=len(producer.products)))
    accounts = db.session.scalar(select(func.count(User.id)).where(
        User.producer_id == producer.id))
    if accounts:
        raise Invalid.one("", _("Không thể xoá chủ thể còn %(n)d tài khoản đăng nhập; hãy xoá "
                                "hoặc chuyển các tài khoản đó trước.", n=accounts))
    db.session.delete(producer)
    db.session.commit()
