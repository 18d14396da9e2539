"""Creating, changing and deleting products; each call is one transaction."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..errors import Invalid
from ..extensions import db
from ..models import CERTIFICATE_MONTHS, Product, add_months
from ..records import save


def default_expiry(certified_on: date) -> date:
    """A certificate is valid for 36 months from signing."""
    return add_months(certified_on, CERTIFICATE_MONTHS)


def check(data: dict, product: Product | None = None) -> None:
    """Rules that span fields or records, for the fields present; raises Invalid with every
    broken one."""
    errors: dict[str, list[str]] = {}
    taken = data.get("code") and db.session.scalar(select(Product).where(
        func.lower(Product.code) == data["code"].lower(),
        Product.id != (product.id if product else -1)))
    if taken:
        errors["code"] = [_("Mã %(code)s đã dùng cho sản phẩm %(name)s.",
                            code=data["code"], name=taken.name)]
    if data.get("certified_on") and with_expiry(data)["expires_on"] <= data["certified_on"]:
        errors["expires_on"] = [_("Ngày hết hạn phải sau ngày công nhận.")]
    if errors:
        raise Invalid(errors)


def with_expiry(data: dict) -> dict:
    """`data` with the expiry filled in when it was left empty."""
    if data.get("expires_on"):
        return data
    return {**data, "expires_on": default_expiry(data["certified_on"])}


def save_product(data: dict, product: Product | None = None, version: int | None = None
                 ) -> Product:
    """Create a product, or update `product` as loaded at `version`."""
    data = with_expiry(data)
    check(data, product)
    conflict = Invalid.one("code", _("Mã %(code)s vừa được dùng cho sản phẩm khác.",
                                     code=data["code"]))
    return save(product or Product(), data, version, conflict)


def delete_product(product: Product) -> None:
    """Delete a product with its listings."""
    db.session.delete(product)
    db.session.commit()
