"""What an import would do: records to create and change, and every problem found."""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from ..models import CATEGORIES, PRODUCER_KINDS
from .read import MAX_ERRORS


class TooManyProblems(Exception):
    """Raised by Plan.add_problem past its limit: validation stops there."""


@dataclass(slots=True)
class Problem:
    """One thing wrong with the file, located the way the officer will look for it."""

    sheet: str
    row: int | None  # None for the file or a whole sheet
    column: str
    value: str
    message: str


@dataclass(slots=True, eq=False)
class ProducerDraft:
    """A producer as the file leaves it; `id` is None for one the import creates."""

    id: int | None
    name: str
    kind: str | None = None
    tax_code: str | None = None
    commune: str | None = None
    province: str | None = None
    row: int | None = None  # where the file first names it
    changes: dict = field(default_factory=dict)  # field -> [before, after]
    given: dict = field(default_factory=dict)  # field -> (row, value) the file first gave


@dataclass(slots=True, eq=False)
class ProductDraft:
    """A product to create (`id` None) or to change, with the producer it belongs to."""

    id: int | None
    code: str
    values: dict  # the product's columns as they will be stored
    producer: ProducerDraft
    row: int
    changes: dict = field(default_factory=dict)  # field -> [before, after], for a change


@dataclass(slots=True, eq=False)
class ListingDraft:
    """A listing to add to an existing product (an id) or to one the file creates."""

    product: "int | ProductDraft"
    code: str
    marketplace_id: int
    url: str
    canonical_url: str
    item_id: str
    row: int


@dataclass
class Plan:
    """The outcome of validating a file: apply it only when it has no problems."""

    producers_new: list[ProducerDraft] = field(default_factory=list)
    producers_changed: list[ProducerDraft] = field(default_factory=list)
    products_new: list[ProductDraft] = field(default_factory=list)
    products_changed: list[ProductDraft] = field(default_factory=list)
    products_unchanged: int = 0
    listings_new: list[ListingDraft] = field(default_factory=list)
    listings_unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    max_problems: int = MAX_ERRORS  # validation stops at the next one
    stopped: bool = False  # it did: the file may have more problems than those listed
    sheets: list[str] = field(default_factory=list)  # the tables read, as the file names them
    producer_names: dict[int, str] = field(default_factory=dict)  # for showing a move
    marketplace_names: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the file may be applied."""
        return self.problem_count == 0

    @property
    def changes_anything(self) -> bool:
        """Whether applying would write anything at all."""
        return self.rows_written > 0

    @property
    def rows_written(self) -> int:
        """How many records applying creates or changes."""
        return sum(map(len, (self.producers_new, self.producers_changed, self.products_new,
                             self.products_changed, self.listings_new)))

    def add_problem(self, problem: Problem) -> None:
        """Record a problem; past `max_problems`, stop the validation (TooManyProblems): a
        hostile file must not cost a check of every row."""
        if self.problem_count >= self.max_problems:
            self.stopped = True
            raise TooManyProblems
        self.refuse(problem)

    def refuse(self, problem: Problem) -> None:
        """Record a problem whatever the limit: the one that ends the reading of the file."""
        self.problem_count += 1
        self.problems.append(problem)

    def counts(self) -> dict[str, int]:
        """How many records of each kind the import creates, changes and leaves alone."""
        return {
            "producers_new": len(self.producers_new),
            "producers_changed": len(self.producers_changed),
            "products_new": len(self.products_new),
            "products_changed": len(self.products_changed),
            "products_unchanged": self.products_unchanged,
            "listings_new": len(self.listings_new),
            "listings_unchanged": self.listings_unchanged,
        }

    def summary(self) -> str:
        """What the import does (or would do), in one sentence per kind of record."""
        c = self.counts()
        return _("Chủ thể: %(pn)d mới, %(pc)d thay đổi. Sản phẩm: %(n)d mới, %(c)d thay đổi, "
                 "%(u)d giữ nguyên. Gian hàng: %(ln)d mới, %(lu)d giữ nguyên.",
                 pn=c["producers_new"], pc=c["producers_changed"], n=c["products_new"],
                 c=c["products_changed"], u=c["products_unchanged"], ln=c["listings_new"],
                 lu=c["listings_unchanged"])

    def shown(self, name: str, value) -> str:
        """A value as a preview shows it."""
        if value is None:
            return ""
        if name == "producer_id":
            return self.producer_names.get(value, str(value))
        if name == "kind":
            return str(PRODUCER_KINDS.get(value, value))
        if name == "category":
            return f"{value}. {CATEGORIES.get(value, '')}"
        if isinstance(value, date):
            return value.strftime("%d/%m/%Y")
        return str(value)
