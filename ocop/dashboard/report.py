"""The monthly report: a workbook an officer attaches to the report sent to the provincial
People's Committee — the headline figures and the sentence to paste, every breakdown, each
product and listing as they stood at the month's end, and the runs the figures come from.
Always in Vietnamese, the language of that report (labels forced to it, texts written in it)."""

from flask import current_app
from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import case, func, literal, select

from .. import sample_history
from ..extensions import db
from ..localtime import wall_clock
from ..models import (
    CATEGORIES,
    LISTING_STATUSES,
    METHODS,
    PRODUCER_KINDS,
    RUN_SCOPES,
    RUN_STATES,
    Marketplace,
    Producer,
    Product,
)
from ..sample_markets import SAMPLE
from ..workbook.cells import guard
from ..workbook.export import BATCH, dated, styled
from . import figures
from .snapshot import Snapshot, run_rows

BOLD = Font(bold=True)
PERCENT = "0.0"


def listing_states(snapshot: Snapshot):
    """Each approved listing's state at the snapshot's moment, as a subquery."""
    states = snapshot.source.states()
    return select(states).where(states.c.approved).subquery()


def yes(flag) -> str:
    """A flag as the report writes it."""
    return "Có" if flag else "Không"


def write(target, snapshot: Snapshot) -> None:
    """The report into an .xlsx file (a path or a binary file object), streamed."""
    with force_locale("vi"):
        book = Workbook(write_only=True)
        summary_sheet(book, snapshot)
        for dimension, title in figures.DIMENSIONS.items():
            breakdown_sheet(book, str(title), snapshot.breakdowns[dimension])
        table_sheet(book, "Sản phẩm", PRODUCT_HEADERS, product_rows(snapshot))
        table_sheet(book, "Gian hàng", LISTING_HEADERS, listing_rows(snapshot))
        book.save(target)


def summary_sheet(book: Workbook, snapshot: Snapshot) -> None:
    """The headline figures with their numerators and denominators, the sentence, the runs."""
    sheet = book.create_sheet("Tổng hợp")
    for letter, width in zip("ABCDEF", (48, 14, 14, 14, 22, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    head = snapshot.head
    province = current_app.config["PROVINCE"]
    title = f"Sản phẩm OCOP trên sàn thương mại điện tử – tỉnh {province}"
    sheet.append([styled(sheet, title, font=BOLD)])
    sheet.append(["Tháng", f"{snapshot.month:%m/%Y}"])
    sheet.append(["Số liệu tính đến", dated(sheet, head.on)])
    sheet.append(["Nguồn", "Chốt sổ cuối tháng (không đổi về sau)" if snapshot.source.closing
                  else "Tháng chưa kết thúc: trạng thái hiện tại"])
    if sample_history.present():
        sheet.append(["Dữ liệu", f"{SAMPLE}: do lệnh ocop demo tạo ra, không phải số liệu thật"])
    sheet.append([])
    sheet.append([styled(sheet, "Câu báo cáo", font=BOLD)])
    sheet.append([snapshot.summary])
    sheet.append([])
    sheet.append([styled(sheet, v, font=BOLD) for v in
                  ("Chỉ tiêu", "Tử số", "Mẫu số", "Tỷ lệ (%)")])
    sheet.append(["Sản phẩm OCOP còn hiệu lực", head.counted])
    for stars, n in sorted(head.by_stars.items(), reverse=True):
        sheet.append([f"  trong đó {stars} sao", n])
    sheet.append(["Sản phẩm có gian hàng trên sàn", head.online.part, head.online.whole,
                  percent(sheet, head.online)])
    for method, phrase in figures.VERIFIED.items():
        part = figures.Figure(head.methods[method], head.counted)
        sheet.append([f"  trong đó {phrase}", part.part, part.whole, percent(sheet, part)])
    if head.unknown:
        sheet.append(["  trong đó chưa rõ cách xác minh", head.unknown])
    for label, figure in (("Sản phẩm được máy kiểm tra xác minh", head.machine),
                          ("Sản phẩm đang còn hàng để mua", head.buyable),
                          ("Chủ thể có gian hàng trên sàn", head.producers)):
        sheet.append([label, figure.part, figure.whole, percent(sheet, figure)])
    sheet.append(["Sản phẩm chưa có gian hàng nào", head.without_listing])
    sheet.append(["Gian hàng", head.listings])
    sheet.append(["Gian hàng quá hạn xác minh", head.stale])
    sheet.append(["Gian hàng chưa kiểm tra lần nào", head.unchecked])
    sheet.append([])
    sheet.append([styled(sheet, "Các lượt kiểm tra tạo nên số liệu (trong "
                                 f"{freshness(snapshot)} ngày trước ngày trên)", font=BOLD)])
    sheet.append([styled(sheet, v, font=BOLD) for v in
                  ("Lượt", "Phạm vi", "Bắt đầu", "Kết thúc", "Trạng thái",
                   "Lần kiểm tra trong kỳ")])
    for entry, run in run_rows(snapshot):
        if run is None:
            sheet.append([f"#{entry['id']}", "(đã xoá)", None, None, None, entry["checks"]])
            continue
        scope = str(RUN_SCOPES[run.scope]) + (f": {run.scope_label}" if run.scope_label else "")
        sheet.append([f"#{run.id}", guard(scope), dated(sheet, wall_clock(run.started_at)),
                      dated(sheet, wall_clock(run.finished_at)), str(RUN_STATES[run.state]),
                      entry["checks"]])
    sheet.append([])
    sheet.append([styled(sheet, "Cách tính", font=BOLD)])
    for line in ("Sản phẩm được tính: giấy chứng nhận OCOP còn hiệu lực vào ngày trên "
                 "(chưa hết hạn, không bị thu hồi).",
                 ("Gian hàng “có trên sàn”: lần kiểm tra quyết định gần nhất thấy đang bán "
                  f"hoặc tạm hết hàng, trong vòng {freshness(snapshot)} ngày trước ngày trên, "
                  "hoặc cán bộ đã xác nhận thấy gian hàng đang bán (có ảnh chụp; tính đến hết "
                  "tháng lập, trừ khi bị rút lại hoặc máy xác nhận đã gỡ sau đó); "
                  "“còn hàng để mua”: máy thấy đang bán."),
                 ("Cách xác minh: qua tài khoản sàn (sàn trả lời qua quyền chủ thể cấp), qua "
                  "trình duyệt, qua trang (HTTP), do cán bộ xác nhận; sản phẩm có nhiều gian "
                  "hàng được tính một lần, theo cách mạnh nhất (theo thứ tự đó)."),
                 "Tỷ lệ = tử số ÷ mẫu số, làm tròn một chữ số thập phân."):
        sheet.append([line])


def freshness(snapshot: Snapshot) -> int:
    """The freshness window the figures were computed with."""
    return snapshot.source.freshness_days


def percent(sheet, figure: figures.Figure):
    """The percentage as a number shown with one decimal (the reader's own decimal mark)."""
    return None if figure.percent is None else styled(sheet, figure.percent,
                                                      number_format=PERCENT)


def breakdown_sheet(book: Workbook, title: str, rows: list[figures.Row]) -> None:
    """One breakdown: each line's counted products, online and buyable, with percentages."""
    # Sheet names may not hold / and are at most 31 characters.
    sheet = book.create_sheet(f"Theo {title.lower()}".replace("/", "-")[:31])
    sheet.column_dimensions["A"].width = 48
    methods = [str(phrase).capitalize() for phrase in figures.VERIFIED.values()]
    sheet.append([styled(sheet, v, font=BOLD) for v in
                  (title, "Sản phẩm được tính", "Có trên sàn", "Tỷ lệ (%)", *methods,
                   "Chưa rõ cách xác minh", "Còn hàng để mua", "Tỷ lệ (%)")])
    for row in rows:
        sheet.append([guard(row.label), row.counted, row.online.part, percent(sheet, row.online),
                      *row.methods.values(), row.unknown, row.buyable.part,
                      percent(sheet, row.buyable)])


def table_sheet(book: Workbook, title: str, headers: tuple, rows) -> None:
    """A long table, streamed row by row."""
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    sheet.append([styled(sheet, h, font=BOLD) for h in headers])
    for row in rows:
        sheet.append([dated(sheet, v) for v in row])


PRODUCT_HEADERS = ("Mã sản phẩm", "Tên sản phẩm", "Chủ thể", "Loại hình chủ thể", "Xã/Phường",
                   "Nhóm sản phẩm", "Số sao", "Số quyết định", "Ngày công nhận", "Ngày hết hạn",
                   "Được tính", "Có trên sàn", "Còn hàng để mua", "Số gian hàng",
                   "Gian hàng có trên sàn")


def product_rows(snapshot: Snapshot):
    """Every product with its listings' states summed, ordered by code."""
    states = listing_states(snapshot)
    day = snapshot.head.on
    online = func.coalesce(func.sum(case((states.c.online, 1), else_=0)), 0)
    buyable = func.coalesce(func.sum(case((states.c.buyable, 1), else_=0)), 0)
    query = (select(Product.code, Product.name, Producer.name, Producer.kind, Producer.commune,
                    Product.category, Product.stars, Product.decision_no, Product.certified_on,
                    Product.expires_on, figures.counted(figures.Filters(), day),
                    func.count(states.c.listing_id), online, buyable)
             .select_from(Product).join(Producer)
             .outerjoin(states, states.c.product_id == Product.id)
             .group_by(Product.id, Producer.id).order_by(Product.code)
             .execution_options(yield_per=BATCH))
    kinds = {k: str(v) for k, v in PRODUCER_KINDS.items()}
    for (code, name, producer, kind, commune, category, stars, decision, certified, expires,
         counted, listings, up, buy) in db.session.execute(query):
        yield (guard(code), guard(name), guard(producer), kinds.get(kind, kind), guard(commune),
               str(CATEGORIES[category]), stars, guard(decision), certified, expires,
               yes(counted), yes(up), yes(buy), listings, up)


LISTING_HEADERS = ("Mã sản phẩm", "Tên sản phẩm", "Sàn", "Đường dẫn", "Trạng thái",
                   "Lần kiểm tra gần nhất thấy", "Kiểm tra lúc", "Xác minh lúc", "Có trên sàn",
                   "Cách xác minh", "Còn hàng để mua", "Quá hạn xác minh")


def listing_rows(snapshot: Snapshot):
    """Every approved listing's state at the snapshot's moment, ordered by product code."""
    states = listing_states(snapshot)
    query = (select(Product.code, Product.name, func.coalesce(Marketplace.name, literal("")),
                    states.c.url, states.c.status, states.c.verdict, states.c.checked_at,
                    states.c.verified_at, states.c.online, states.c.method, states.c.buyable,
                    states.c.stale)
             .select_from(states).join(Product, Product.id == states.c.product_id)
             .outerjoin(Marketplace, Marketplace.id == states.c.marketplace_id)
             .order_by(Product.code, states.c.listing_id)
             .execution_options(yield_per=BATCH))
    statuses = {k: str(v) for k, v in LISTING_STATUSES.items()}
    methods = {k: str(v) for k, v in METHODS.items()}
    for (code, name, marketplace, url, status, verdict, checked, verified, up, method, buy,
         stale) in db.session.execute(query):
        yield (guard(code), guard(name), guard(marketplace), guard(url),
               statuses.get(status, "Chưa có kết luận"), statuses.get(verdict, ""),
               wall_clock(checked), wall_clock(verified), yes(up),
               methods.get(method, "Chưa rõ" if up else ""), yes(buy), yes(stale))
