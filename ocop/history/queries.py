"""Reading the audit trail: filters that live in the URL, and changes put into words."""

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel import to_utc
from sqlalchemy import Select, func, select

from ..audit import AUDITED
from ..extensions import db
from ..models import (
    CATEGORIES,
    FETCH_LABELS,
    PRODUCER_KINDS,
    ROLES,
    SHOP_STATES,
    AuditEntry,
    Listing,
    Marketplace,
    Producer,
    Product,
    User,
)
from ..numbers import decimal

ENTITIES = {
    "product": _l("Sản phẩm"),
    "producer": _l("Chủ thể"),
    "listing": _l("Gian hàng"),
    "marketplace": _l("Sàn"),
    "user": _l("Tài khoản"),
    "target": _l("Mục tiêu"),
    "attestation": _l("Xác nhận đang bán"),
    "shop_connection": _l("Gian hàng kết nối"),
    "webhook": _l("Webhook"),
}
ACTIONS = {"create": _l("Tạo mới"), "update": _l("Sửa"), "delete": _l("Xoá")}
MODELS = {entity: cls for cls, (entity, _fields) in AUDITED.items()}
FIELDS = {entity: fields for _cls, (entity, fields) in AUDITED.items()}

FIELD_LABELS = {
    "product": {
        "code": _l("Mã sản phẩm"), "name": _l("Tên sản phẩm"), "producer_id": _l("Chủ thể"),
        "category": _l("Nhóm sản phẩm"), "subgroup": _l("Phân nhóm"), "stars": _l("Số sao"),
        "decision_no": _l("Số quyết định"), "certified_on": _l("Ngày công nhận"),
        "expires_on": _l("Ngày hết hạn"), "withdrawn": _l("Đã thu hồi chứng nhận"),
    },
    "producer": {
        "name": _l("Tên chủ thể"), "kind": _l("Loại hình"), "tax_code": _l("Mã số thuế"),
        "representative": _l("Người đại diện"), "phone": _l("Điện thoại"),
        "email": _l("Thư điện tử"), "province": _l("Tỉnh"), "commune": _l("Xã/Phường"),
        "address": _l("Địa chỉ"),
    },
    "listing": {
        "product_id": _l("Sản phẩm"), "marketplace_id": _l("Sàn"), "url": _l("Đường dẫn"),
        "canonical_url": _l("Đường dẫn chuẩn hoá"), "item_id": _l("Mã mặt hàng trên sàn"),
        "approved": _l("Đã duyệt"), "refusal": _l("Lý do từ chối"),
    },
    "marketplace": {
        "name": _l("Tên sàn"), "slug": _l("Tên ngắn"), "adapter": _l("Bộ đọc"),
        "fetch": _l("Cách đọc trang"), "enabled": _l("Đang kiểm tra"),
        "concurrency": _l("Số yêu cầu đồng thời"),
        "min_interval": _l("Khoảng cách tối thiểu (giây)"), "hosts": _l("Tên miền"),
    },
    "user": {
        "email": _l("Thư điện tử"), "name": _l("Họ tên"), "role": _l("Vai trò"),
        "producer_id": _l("Chủ thể"), "active": _l("Đang hoạt động"),
        "password_hash": _l("Mật khẩu"), "language": _l("Ngôn ngữ"),
        "notify_email": _l("Nhận thông báo qua thư điện tử"),
    },
    "attestation": {
        "listing_id": _l("Gian hàng"), "seen_on": _l("Ngày thấy đang bán"),
        "note": _l("Ghi chú"), "media_type": _l("Loại ảnh"), "created_by": _l("Người xác nhận"),
        "counts_until": _l("Được tính đến"), "confirmed_at": _l("Cán bộ xác nhận lúc"),
        "confirmed_by_id": _l("Cán bộ xác nhận"), "withdrawn_at": _l("Rút lúc"),
        "withdrawn_by_id": _l("Người rút"), "withdrawal": _l("Lý do rút"),
    },
    "shop_connection": {
        "producer_id": _l("Chủ thể"), "marketplace_id": _l("Sàn"),
        "shop_id": _l("Mã gian hàng trên sàn"), "shop_name": _l("Tên gian hàng"),
        "state": _l("Tình trạng kết nối"),
    },
    "webhook": {"scope": _l("Phạm vi"), "user_id": _l("Tài khoản"), "url": _l("Địa chỉ")},
}
# Values stored as codes, shown with their names.
CODED = {"category": CATEGORIES, "kind": PRODUCER_KINDS, "role": ROLES, "fetch": FETCH_LABELS,
         "state": SHOP_STATES,
         "scope": {"user": _l("Của một tài khoản"), "province": _l("Của cả tỉnh")}}
DATES = frozenset({"certified_on", "expires_on", "seen_on"})
# Fields that hold the id of another record, and which one.
REFERENCES = {"producer_id": Producer, "product_id": Product, "marketplace_id": Marketplace,
              "listing_id": Listing, "confirmed_by_id": User, "withdrawn_by_id": User,
              "user_id": User}


def _day(text: str | None) -> date | None:
    """A yyyy-mm-dd date from a query argument, None when absent or nonsense."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@dataclass
class HistoryFilters:
    """What the officer asked the trail for; anything unrecognised is dropped, not obeyed."""

    entity: str = ""
    action: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_args(cls, args) -> "HistoryFilters":
        """Read the filters from query arguments."""
        entity, action = args.get("entity", ""), args.get("action", "")
        return cls(
            entity=entity if entity in ENTITIES else "",
            action=action if action in ACTIONS else "",
            actor=args.get("actor", "").strip()[:255],
            since=_day(args.get("since")),
            until=_day(args.get("until")),
        )

    def args(self, **changes) -> dict:
        """Query arguments for this list with `changes`, leaving out the empty ones."""
        values = {**asdict(self), **changes}
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items() if v}


def history_list(filters: HistoryFilters) -> Select:
    """Audit entries matching `filters`, newest first; the dates are days in Vietnam time."""
    query = select(AuditEntry)
    if filters.entity:
        query = query.where(AuditEntry.entity == filters.entity)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.actor:
        query = query.where(func.lower(AuditEntry.actor).contains(filters.actor.lower(),
                                                                    autoescape=True))
    if filters.since:
        query = query.where(AuditEntry.at >= to_utc(datetime.combine(filters.since, time.min)))
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time.min)
        query = query.where(AuditEntry.at < to_utc(end))
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def record_history(entity: str, entity_id: int) -> Select:
    """The entries of one record, newest first."""
    return (select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))


def current_record(entity: str, entity_id: int):
    """The record an entry speaks of, if it still exists."""
    return db.session.get(MODELS[entity], entity_id)


def record_url(entity: str, record, user: User) -> str | None:
    """Where `user` can see `record` today, if anywhere."""
    if record is None:
        return None
    if entity == "product":
        return url_for("products.show", code=record.code)
    if entity == "producer":
        return url_for("producers.show", producer_id=record.id)
    if entity == "listing":
        return url_for("products.show", code=record.product.code, _anchor=f"listing-{record.id}")
    if entity == "attestation":
        return url_for("listings.show", listing_id=record.listing_id,
                       _anchor=f"attestation-{record.id}")
    if entity == "shop_connection":
        return url_for("shops.producer", producer_id=record.producer_id)
    if not user.can("admin"):
        return None
    if entity == "webhook":  # a user's own is on their own page only
        return url_for("notify.webhook") if record.scope == "province" else None
    if entity == "marketplace":
        return url_for("marketplaces.update", marketplace_id=record.id)
    return url_for("users.update", user_id=record.id)


def referenced_names(entries: list[AuditEntry]) -> dict[tuple[str, int], str]:
    """(field, id) -> the name of the record an id field points at, for one page of entries."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        for name, values in (entry.changes or {}).items():
            if name in REFERENCES:
                wanted.setdefault(name, set()).update(v for v in values if isinstance(v, int))
    names = {}
    for field, ids in wanted.items():
        model = REFERENCES[field]
        for record in db.session.scalars(select(model).where(model.id.in_(ids))):
            names[(field, record.id)] = str(record)
    return names


def show_value(field: str, value, names: dict[tuple[str, int], str]) -> str | None:
    """A stored before or after value as an officer reads it; None for "no value"."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return str(_l("Có") if value else _l("Không"))
    if field in REFERENCES and isinstance(value, int):
        return names.get((field, value), f"#{value}")
    if field in CODED:
        return str(CODED[field].get(value, value))
    if field == "stars":
        return f"{value} ★"
    if field in DATES and isinstance(value, str):
        day = _day(value[:10])
        return day.strftime("%d/%m/%Y") if day else value
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or None
    if isinstance(value, float):
        return decimal(value)
    return str(value)


def changed_fields(entry: AuditEntry, names: dict[tuple[str, int], str]) -> list[tuple]:
    """(label, before, after) for each field of `entry`, in the order the record's form has."""
    changes = entry.changes or {}
    order = FIELDS.get(entry.entity, ())
    fields = [f for f in order if f in changes] + sorted(f for f in changes if f not in order)
    labels = FIELD_LABELS.get(entry.entity, {})
    return [(labels.get(f, f), show_value(f, changes[f][0], names),
             show_value(f, changes[f][1], names)) for f in fields]
