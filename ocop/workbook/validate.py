"""Whole-file validation: every row checked against the registry before anything is written."""

import re
from collections import defaultdict, deque
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from scrapers.share import share_adapter

from ..extensions import db
from ..listings.resolve import (
    ListingUrlError,
    Pending,
    Resolver,
    duplicate_message,
    share_resolver,
)
from ..models import Listing, Producer, Product
from ..products.forms import CODE_PATTERN
from ..products.operations import default_expiry
from .cells import (
    CellError,
    Vocabulary,
    is_formula,
    kind_in_name,
    parse_date,
    parse_stars,
    text,
)
from .headers import PRODUCTS, key
from .plan import ListingDraft, Plan, Problem, ProducerDraft, ProductDraft, TooManyProblems
from .read import Budget, Table, UnreadableFile, open_tables

_CODE = re.compile(CODE_PATTERN)
# The product columns an import may set; subgroup and withdrawn are edited in the app only.
PRODUCT_FIELDS = ("name", "producer_id", "category", "stars", "decision_no", "certified_on",
                  "expires_on")
PRODUCER_FIELDS = ("kind", "tax_code", "commune", "province")
MAX_URL = 2000
# Listing rows held back while their share links are followed (on IMPORT_SHARE_WORKERS threads,
# within IMPORT_SHARE_SECONDS for the whole file): rows are finished in file order, so the
# first of two rows naming one listing is still the one the second is told about.
SHARE_WINDOW = 64


def validate(path: str | Path, name: str | None = None) -> Plan:
    """Read the whole file and say what importing it would do, or what is wrong with it: every
    problem up to the budget's limit, where validation stops (`plan.stopped`)."""
    budget = Budget.from_config()
    plan = Plan(max_problems=budget.errors)
    try:
        with open_tables(path, name, budget) as tables, Checker(plan) as checker:
            for table in tables:
                checker.table(table)
            checker.finish()
    except UnreadableFile as exc:
        plan.refuse(Problem(exc.sheet or name or Path(path).name, exc.row, "", "", str(exc)))
    except TooManyProblems:
        pass  # plan.stopped tells the report
    plan.problems = in_file_order(plan.problems, plan.sheets)
    return plan


def in_file_order(problems: list[Problem], sheets: list[str]) -> list[Problem]:
    """Row problems put back in file order, since a row held back for its share link reports
    late; a problem of a whole sheet or file (no row) stays where it was found."""
    order = {sheet: n for n, sheet in enumerate(sheets)}

    def ordered(run: list[Problem]) -> list[Problem]:
        return sorted(run, key=lambda p: (order.get(p.sheet, len(order)), p.row))

    result: list[Problem] = []
    run: list[Problem] = []
    for problem in problems:
        if problem.row is None:
            result += ordered(run) + [problem]
            run = []
        else:
            run.append(problem)
    return result + ordered(run)


class Row:
    """One row being checked: reads its cells and records what is wrong with them."""

    def __init__(self, plan: Plan, table: Table, number: int, cells: tuple):
        self.plan, self.table, self.number = plan, table, number
        self.raw = {f: (cells[i] if i < len(cells) else None) for f, i in table.columns.items()}
        self.ok = True

    def fail(self, name: str, message: str, value=None) -> None:
        """Record a problem with this row's `name` cell."""
        self.ok = False
        shown = text(self.raw.get(name)) if value is None else value
        self.plan.add_problem(Problem(self.table.sheet, self.number, self.table.column(name),
                                      str(shown)[:200], message))

    def has(self, name: str) -> bool:
        """Whether the file has a column for `name`."""
        return name in self.raw

    def text(self, name: str, required: bool = False, limit: int = 255) -> str | None:
        """A text cell; None when empty."""
        value = text(self.raw.get(name))
        if not value:
            if required:
                self.fail(name, _("Ô này không được để trống."))
            return None
        if len(value) > limit:
            self.fail(name, _("Dài quá %(n)d ký tự.", n=limit))
            return None
        return value

    def parsed(self, name: str, parse, required: bool = False):
        """A cell read by `parse`; None when empty or unreadable (the problem is recorded)."""
        value = self.raw.get(name)
        if value is None or text(value) == "":
            if required:
                self.fail(name, _("Ô này không được để trống."))
            return None
        try:
            return parse(value)
        except CellError as exc:
            self.fail(name, str(exc))
            return None

    def refuse_formulas(self) -> bool:
        """Refuse any cell holding a formula; whether there were none."""
        for name, value in self.raw.items():
            if is_formula(value):
                self.fail(name, _("Ô chứa công thức; hãy dán giá trị (Paste Values) thay cho "
                                  "công thức."), value)
        return self.ok


class Checker:
    """Holds what the registry already has, loaded once in bulk, and checks rows against it."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.vocabulary = Vocabulary()
        config = current_app.config
        self.resolver = Resolver(
            shares=lambda: share_resolver(budget=float(config["IMPORT_SHARE_SECONDS"]),
                                          workers=int(config["IMPORT_SHARE_WORKERS"])),
            known={url: (mp, item, canonical) for url, mp, item, canonical in db.session.execute(
                select(Listing.url, Listing.marketplace_id, Listing.item_id, Listing.canonical_url)
                .where(Listing.url != Listing.canonical_url)) if share_adapter(url)})
        self.waiting: deque[tuple[Row, str, object, Pending]] = deque()
        self.province = current_app.config["PROVINCE"]
        self.marketplaces = {}
        for marketplace in self.resolver.by_host.values():
            plan.marketplace_names[marketplace.id] = marketplace.name
            self.marketplaces[key(marketplace.name)] = marketplace
            self.marketplaces[key(marketplace.slug)] = marketplace
        self.by_tax: dict[str, ProducerDraft] = {}
        self.by_name: dict[str, list[ProducerDraft]] = defaultdict(list)
        for row in db.session.execute(select(
                Producer.id, Producer.name, Producer.kind, Producer.tax_code, Producer.commune,
                Producer.province)):
            self.remember(ProducerDraft(*row))
            plan.producer_names[row.id] = row.name
        self.existing = {row.code.lower(): row for row in db.session.execute(select(
            Product.id, Product.code, *(getattr(Product, f) for f in PRODUCT_FIELDS)))}
        self.labels = {row.id: f"{row.code} – {row.name}" for row in self.existing.values()}
        self.listed = {(mp, item): pid for mp, item, pid in db.session.execute(
            select(Listing.marketplace_id, Listing.item_id, Listing.product_id))}
        self.codes: dict[str, int] = {}  # product code (lower case) -> its row in the file
        self.new_products: dict[str, ProductDraft] = {}
        self.listings: dict[tuple[int, str], int] = {}  # listing -> its row in the file
        self.products_table: Table | None = None

    def remember(self, producer: ProducerDraft) -> None:
        """Index a producer by tax code and by folded name."""
        if producer.tax_code:
            self.by_tax[producer.tax_code] = producer
        self.by_name[key(producer.name)].append(producer)

    def table(self, table: Table) -> None:
        """Check one table: its columns, then each row."""
        self.plan.sheets.append(table.sheet)
        if table.kind == PRODUCTS:
            self.products_table = table
        for cell in table.duplicates:
            self.plan.add_problem(Problem(table.sheet, 1, cell, "", _(
                "Cột này xuất hiện hai lần.")))
        missing = table.missing()
        for column in missing:
            self.plan.add_problem(Problem(table.sheet, None, column, "", _(
                "Thiếu cột “%(column)s”.", column=column)))
        if missing or table.duplicates:
            return
        check = self.product if table.kind == PRODUCTS else self.listing
        for number, cells in table.rows:
            row = Row(self.plan, table, number, cells)
            if row.refuse_formulas():
                check(row)
        self.settle(0)

    def product(self, row: Row) -> None:
        """Check a products row and plan its product and producer."""
        code = row.text("code", required=True, limit=40)
        if code and not _CODE.match(code):
            row.fail("code", _("Mã sản phẩm chỉ dùng chữ không dấu, số và . _ / -"))
        elif code:
            first = self.codes.setdefault(code.lower(), row.number)
            if first != row.number:
                row.fail("code", _("Mã sản phẩm %(code)s trùng với dòng %(row)d.",
                                   code=code, row=first))
        values = {
            "name": row.text("name", required=True),
            "category": row.parsed("category", self.vocabulary.category, required=True),
            "stars": row.parsed("stars", parse_stars, required=True),
            "decision_no": row.text("decision_no", limit=100),
            "certified_on": row.parsed("certified_on", parse_date, required=True),
            "expires_on": row.parsed("expires_on", parse_date),
        }
        if values["certified_on"] and values["expires_on"] and (
                values["expires_on"] <= values["certified_on"]):
            row.fail("expires_on", _("Ngày hết hạn phải sau ngày công nhận."))
        producer = self.producer(row)
        if not row.ok or producer is None:
            return
        stored = self.existing.get(code.lower())
        if not row.has("decision_no"):
            del values["decision_no"]  # no such column: the stored one stays
        if values["expires_on"] is None:
            if stored is None or row.has("expires_on"):
                values["expires_on"] = default_expiry(values["certified_on"])
            elif stored.expires_on <= values["certified_on"]:
                row.fail("certified_on", _("Ngày hết hạn phải sau ngày công nhận."))
                return
            else:
                del values["expires_on"]  # no such column: the stored one stays
        self.plan_product(row, code, values, producer, stored)

    def producer(self, row: Row) -> ProducerDraft | None:
        """The producer a products row names, matched by tax code, else by folded name."""
        name = row.text("producer", required=True)
        tax_code = row.text("tax_code", limit=20)
        given = {"kind": row.parsed("producer_kind", self.vocabulary.kind),
                 "commune": row.text("commune", limit=100),
                 "province": row.text("province", limit=100)}
        if not row.ok or name is None:
            return None
        if tax_code and (producer := self.by_tax.get(tax_code)) is not None:
            if key(producer.name) != key(name):
                row.fail("tax_code", _("Mã số thuế %(tax_code)s đã thuộc về %(name)s.",
                                       tax_code=tax_code, name=producer.name))
                return None
        else:
            namesakes = self.by_name.get(key(name), [])
            if tax_code:  # a namesake with another tax code is another producer
                namesakes = [p for p in namesakes if not p.tax_code]
            if len(namesakes) > 1:
                row.fail("producer", _(
                    "Có %(n)d chủ thể cùng tên %(name)s; hãy ghi mã số thuế để chỉ rõ.",
                    n=len(namesakes), name=name))
                return None
            producer = namesakes[0] if namesakes else self.new_producer(name, row.number)
            if tax_code:
                self.give(row, producer, "tax_code", tax_code)
                self.by_tax[tax_code] = producer
        for field, value in given.items():
            if value:
                self.give(row, producer, field, value)
        return producer if row.ok else None

    def new_producer(self, name: str, row: int) -> ProducerDraft:
        """A producer the import creates."""
        producer = ProducerDraft(None, name, row=row)
        self.plan.producers_new.append(producer)
        self.remember(producer)
        return producer

    def give(self, row: Row, producer: ProducerDraft, name: str, value: str) -> None:
        """Set a producer field from the file; two rows disagreeing about it is a problem."""
        first = producer.given.setdefault(name, (row.number, value))
        if first[1] != value:
            column = "producer_kind" if name == "kind" else name
            row.fail(column, _("Chủ thể %(producer)s: dòng %(row)d ghi “%(other)s”, "
                               "khác với dòng này.", producer=producer.name, row=first[0],
                               other=self.plan.shown(name, first[1])))
            return
        before = getattr(producer, name)
        if before == value:
            return
        if producer.id is not None:
            if not producer.changes:
                self.plan.producers_changed.append(producer)
            producer.changes.setdefault(name, [before, value])[1] = value
        setattr(producer, name, value)

    def plan_product(self, row: Row, code: str, values: dict, producer: ProducerDraft,
                     stored) -> None:
        """Plan to create, change or leave the product."""
        if stored is None:
            draft = ProductDraft(None, code, values, producer, row.number)
            self.plan.products_new.append(draft)
            self.new_products[code.lower()] = draft
            return
        changes = {name: [getattr(stored, name), value] for name, value in values.items()
                   if getattr(stored, name) != value}
        if producer.id != stored.producer_id:  # a new producer has no id yet: always a move
            changes["producer_id"] = [stored.producer_id, producer.id]
        if changes:
            self.plan.products_changed.append(
                ProductDraft(stored.id, stored.code, values, producer, row.number, changes))
        else:
            self.plan.products_unchanged += 1

    def listing(self, row: Row) -> None:
        """Check a listings row and plan its listing."""
        code = row.text("code", required=True, limit=40)
        url = row.text("url", required=True, limit=MAX_URL)
        marketplace = None
        if name := row.text("marketplace", limit=100):
            marketplace = (self.marketplaces.get(key(name))
                           or self.resolver.by_host.get(name.lower()))
            if marketplace is None:
                row.fail("marketplace", _("Không có sàn “%(name)s” trong danh sách sàn.",
                                          name=name))
        if not row.ok:
            return
        product = self.product_for(row, code)
        self.waiting.append((row, code, product, self.resolver.start(url, marketplace)))
        self.settle(SHARE_WINDOW)

    def settle(self, keep: int) -> None:
        """Finish the listing rows held back, in file order: those resolved already, and then
        the oldest until no more than `keep` are left waiting on a share link."""
        while self.waiting and (len(self.waiting) > keep or self.waiting[0][3].done()):
            row, code, product, pending = self.waiting.popleft()
            self.planned_listing(row, code, product, pending)

    def planned_listing(self, row: Row, code: str, product, pending: Pending) -> None:
        """Plan a listings row once its URL is resolved."""
        try:
            found, parsed = pending.result()
        except ListingUrlError as exc:
            row.fail("url", str(exc))
            return
        if len(parsed.item_id) > 500:
            row.fail("url", _("Đường dẫn quá dài."))
            return
        listing = (found.id, parsed.item_id)
        first = self.listings.setdefault(listing, row.number)
        if first != row.number:
            row.fail("url", _("Gian hàng này đã có ở dòng %(row)d.", row=first))
            return
        owner = self.listed.get(listing)
        if product is None:
            return
        if owner is not None:
            if owner != product:
                row.fail("url", duplicate_message(self.labels[owner]))
            else:
                self.plan.listings_unchanged += 1
            return
        if not found.enabled:
            row.fail("url", _("Sàn %(name)s đang tạm ngừng theo dõi.", name=found.name))
            return
        self.plan.listings_new.append(ListingDraft(
            product, code, found.id, parsed.entered, parsed.canonical, parsed.item_id,
            row.number))

    def product_for(self, row: Row, code: str) -> "int | ProductDraft | None":
        """The product a listings row names: in the registry, or created by this file."""
        lower = code.lower()
        if lower in self.existing:
            return self.existing[lower].id
        if lower in self.new_products:
            return self.new_products[lower]
        if lower not in self.codes:  # a product row with problems is reported already
            row.fail("code", _("Không có sản phẩm mã %(code)s trong sổ đăng ký hay trong "
                               "tệp.", code=code))
        return None

    def __enter__(self) -> "Checker":
        return self

    def __exit__(self, *exc_info) -> None:
        """Stop following share links: the file is done with, or given up on."""
        self.resolver.close()

    def finish(self) -> None:
        """Checks that need the whole file: what a new producer must have."""
        self.settle(0)
        for producer in self.plan.producers_new:
            producer.province = producer.province or self.province
            if producer.kind:
                continue
            table = self.products_table
            if "producer_kind" in table.columns:
                message = _("Chủ thể mới %(name)s cần loại hình: Hợp tác xã, Doanh nghiệp, "
                            "Hộ kinh doanh hoặc Tổ hợp tác.", name=producer.name)
            elif kind := kind_in_name(producer.name):  # no such column: the name may say
                producer.kind = kind
                continue
            else:
                message = _("Tệp không có cột “%(column)s” và tên %(name)s không cho biết "
                            "loại hình; hãy thêm cột đó và ghi Hợp tác xã, Doanh nghiệp, Hộ "
                            "kinh doanh hoặc Tổ hợp tác.", column=table.column("producer_kind"),
                            name=producer.name)
            self.plan.add_problem(Problem(table.sheet, producer.row,
                                          table.column("producer_kind"), "", message))
