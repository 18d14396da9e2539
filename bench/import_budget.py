"""Hostile workbooks against the importer's budgets: each one refused or checked in bounded time.

Each file is checked by the real `ocop import --dry-run` in a child process (the same
`validate()` the web upload runs), against an empty SQLite registry; the report gives wall
seconds and the child's peak resident memory (ru_maxrss, read with os.wait4).

    .venv/bin/python -m bench.import_budget [--cases cap,lying,...] [--honest]
"""

import argparse
import sys
import time
import zipfile
from pathlib import Path

from bench.import_export import OUT, fresh_sqlite, measure

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
CAP = 512 * 2**20  # ocop.workbook.read.MAX_UNPACKED
LISTING_HEADERS = ("Mã sản phẩm", "Sàn", "Đường dẫn")
PRODUCT_HEADERS = ("Mã sản phẩm", "Tên sản phẩm", "Chủ thể", "Loại hình chủ thể", "Mã số thuế",
                   "Xã/Phường", "Tỉnh", "Nhóm sản phẩm", "Số sao", "Số quyết định",
                   "Ngày công nhận", "Ngày hết hạn")


def cell(value: str) -> str:
    """An inline-string cell without a reference, as some tools write them."""
    return f'<c t="inlineStr"><is><t>{value}</t></is></c>'


def row(values) -> str:
    """A row of inline strings, without a row number."""
    return "<row>" + "".join(cell(v) for v in values) + "</row>"


def write(path: Path, title: str, head: str, rows, limit: int = CAP - 2**20) -> int:
    """A one-sheet workbook: `head` (the dimension, if any), then chunks of rows from `rows`
    until the sheet reaches `limit` bytes unpacked. Returns the unpacked size."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
            '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" Type="{RELS}/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        archive.writestr("xl/workbook.xml", (
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets><sheet name="{title}" '
            'sheetId="1" r:id="rId1"/></sheets></workbook>'))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" Type="{RELS}/'
            'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'))
        tail = b"</sheetData></worksheet>"
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            size = sheet.write(f'<worksheet xmlns="{MAIN}">{head}<sheetData>'.encode())
            for chunk in rows:
                if size + len(chunk) + len(tail) > limit:
                    break
                size += sheet.write(chunk)
            size += sheet.write(tail)
    return size


def repeated(first: str, chunk: str):
    """`first`, then `chunk` for ever."""
    yield first.encode()
    data = chunk.encode()
    while True:
        yield data


def numbered(first: str, make, per_chunk: int = 2000):
    """`first`, then rows made by make(n) for n = 2, 3, …, in chunks."""
    yield first.encode()
    n = 2
    while True:
        yield "".join(make(i) for i in range(n, n + per_chunk)).encode()
        n += per_chunk


def product(n: int) -> list[str]:
    """A valid, distinct products row of a new producer."""
    return [f"LC-{n}", f"Sản phẩm {n}", f"HTX Số {n}", "HTX", f"{5300000000 + n}",
            "Bắc Hà", "Lào Cai", "1", "3", f"{n}/QĐ-UBND", "15/12/2021", ""]


def most_products(first: str, count: int):
    """`first`, then `count` valid products with long names, in chunks."""
    yield first.encode()
    for start in range(2, count + 2, 2000):
        yield "".join(row([*product(n)[:1], f"Sản phẩm {n} " + "đặc sản " * 23,
                           *product(n)[2:]]) for n in range(start, min(start + 2000, count + 2))
                      ).encode()


def build(case: str, path: Path) -> tuple[str, int]:
    """Write the workbook of `case`; what it is and its unpacked size."""
    listings_head = row(LISTING_HEADERS)
    if case == "cap":
        what = "unpacks to the cap: rows of empty strings (blank), no dimension"
        size = write(path, "Gian hàng", "", repeated(listings_head,
                                                      row(["", "", ""]) * 1000))
    elif case == "lying":
        what = "dimension A1:L2, then valid distinct products (new producers) to the cap"
        size = write(path, "Sản phẩm", '<dimension ref="A1:L2"/>',
                     numbered(row(PRODUCT_HEADERS), lambda n: row(product(n))))
    elif case == "declared":
        what = "dimension A1:C1048576 (refused before any row is read)"
        size = write(path, "Gian hàng", '<dimension ref="A1:C1048576"/>',
                     repeated(listings_head, row(["", "", ""]) * 1000))
    elif case == "wide":
        what = "rows of 16,384 empty styled cells each, to the cap"
        size = write(path, "Gian hàng", "", repeated(
            listings_head, "<row>" + '<c s="1"/>' * 16384 + "</row>"))
    elif case == "one-row":
        what = "one row of empty cells without references, to the cap"
        size = write(path, "Gian hàng", "", repeated(listings_head + "<row>",
                                                      "<c/>" * 100_000))
    elif case == "products":
        what = ("the most a file may hold within every limit: 49,999 valid distinct products, "
                "each of a new producer, names of 200 characters")
        size = write(path, "Sản phẩm", "", most_products(row(PRODUCT_HEADERS), 49_999))
    elif case == "errors":
        what = "listings of unknown products: every row an error, to the cap"
        size = write(path, "Gian hàng", "", numbered(listings_head, lambda n: row(
            [f"X-{n}", "Tiki", f"https://tiki.vn/x-p{n}.html"])))
    else:
        raise SystemExit(f"unknown case {case}")
    return what, size


def run(uri: str, *args: str) -> tuple[float, float, float, int, str]:
    """`ocop ARGS` measured, with the last two lines of its output."""
    seconds, cpu, megabytes, code, output = measure(uri, *args)
    return seconds, cpu, megabytes, code, " / ".join(output.splitlines()[-2:])


CASES = ("cap", "lying", "declared", "wide", "one-row", "errors", "products")


def main() -> None:
    """Build each hostile workbook, then time its check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--honest", action="store_true",
                        help="also check the generated 20,000/100,000 workbook (dry run)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    uri = fresh_sqlite()
    run(uri, "init")
    rows = []
    for case in args.cases.split(","):
        path = OUT / f"budget-{case}.xlsx"
        started = time.perf_counter()
        what, size = build(case, path)
        print(f"built {path.name}: {path.stat().st_size / 2**10:,.0f} KB, unpacks to "
              f"{size / 2**20:,.0f} MB, in {time.perf_counter() - started:.1f} s", flush=True)
        seconds, cpu, megabytes, code, output = run(uri, "import", "--dry-run", str(path))
        rows.append((case, what, path.stat().st_size, size, seconds, cpu, megabytes, code))
        print(f"{case:<9} {seconds:6.2f} s {cpu:6.2f} CPU s {megabytes:6.0f} MB  exit {code}  "
              f"{output[-200:]}", flush=True)
        path.unlink()
    if args.honest:
        from bench.dataset import generate, write_workbook

        path = OUT / "ocop-20000-5000-100000.xlsx"  # the import/export bench's
        if not path.exists():
            write_workbook(generate(20_000, 5_000, 100_000), path)
        with zipfile.ZipFile(path) as archive:
            size = sum(m.file_size for m in archive.infolist())
        seconds, cpu, megabytes, code, output = run(uri, "import", "--dry-run", str(path))
        rows.append(("honest", "the generated 20,000 products / 100,000 listings",
                     path.stat().st_size, size, seconds, cpu, megabytes, code))
        print(f"honest    {seconds:6.2f} s {cpu:6.2f} CPU s {megabytes:6.0f} MB  exit {code}  "
              f"{output[-200:]}")
    print("\n| case | workbook | file KB | unpacked MB | wall s | CPU s | peak MB | exit |"
          "\n|---|---|---:|---:|---:|---:|---:|---:|")
    for case, what, packed, size, seconds, cpu, megabytes, code in rows:
        print(f"| {case} | {what} | {packed / 2**10:,.0f} | {size / 2**20:,.0f} | "
              f"{seconds:.1f} | {cpu:.1f} | {megabytes:.0f} | {code} |")
    print(f"\npython {sys.version.split()[0]}; exit 1 = refused with a message, 0 = clean")


if __name__ == "__main__":
    main()
