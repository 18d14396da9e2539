"""People's attestations: real uploads made with Pillow (EXIF with GPS stripped, PNG kept as
PNG, a text file named .jpg and oversized files refused), which listings may be attested and
by whom, the day's month, one live attestation a listing a month, officers' confirmation from
the waiting list with its menu count, withdrawal and refusal with a reason, the states shown on
the listing's page, the image served only to those who may see the listing, and the audit."""

import io
from datetime import date, datetime, timedelta

import pytest
from PIL import Image

from ocop.attestations import operations
from ocop.attestations.rules import State, state
from ocop.errors import Invalid
from ocop.extensions import db
from ocop.localtime import local_date, month_end, month_of
from ocop.models import Attestation, AuditEntry, Check, Listing, User, utcnow

from .helpers import HTMX, assert_fragment, assert_full_page, soup

GPS = {1: "N", 2: (22.0, 20.0, 5.0), 3: "E", 4: (103.0, 50.0, 30.0)}  # Sa Pa, give or take


def jpeg_with_gps(size=(320, 200)) -> bytes:
    """A JPEG whose EXIF names the camera and where it was."""
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x8825] = GPS
    out = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(out, "JPEG", exif=exif.tobytes())
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the test's own premise
    return data


def png(size=(240, 160), mode="RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (20, 120, 60, 200) if mode == "RGBA" else (20, 120, 60)).save(out,
                                                                                       "PNG")
    return out.getvalue()


def today(app) -> date:
    with app.app_context():
        return local_date(utcnow())


def tea_id(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Listing.id).filter_by(item_id="1.2"))


def set_verdict(app, verdict: str | None, status: str | None = None) -> int:
    """Give the tea's Shopee listing a latest check with `verdict`."""
    with app.app_context():
        listing = db.session.scalar(db.select(Listing).filter_by(item_id="1.2"))
        listing.last_verdict, listing.status = verdict, status
        listing.last_checked_at = utcnow() - timedelta(hours=1) if verdict else None
        db.session.commit()
        return listing.id


@pytest.fixture
def blocked(app, catalogue) -> int:
    """The tea's listing, last seen blocked: a person may attest it."""
    return set_verdict(app, "blocked", "active")


def multipart(fields: dict[str, str], image: tuple[bytes, str] | None) -> tuple[bytes, str]:
    """A multipart/form-data body written out here: the test client spools a body over 500 kB
    to a temporary file it never closes."""
    boundary = "----ocop-attestation-test"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
             f"{value}\r\n".encode() for name, value in fields.items()]
    if image is not None:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
                     f'filename="{image[1]}"\r\nContent-Type: application/octet-stream'
                     f"\r\n\r\n".encode() + image[0] + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def attest(client, listing_id: int, data: bytes | None = None, name="man-hinh.jpg",
           seen_on: date | str | None = None, note="", headers=HTMX):
    body, boundary = multipart({"seen_on": str(seen_on) if seen_on else "", "note": note},
                               None if data is None else (data, name))
    return client.post(f"/listings/{listing_id}/attestations", data=body, headers=headers,
                       content_type=f"multipart/form-data; boundary={boundary}")


def rows(app) -> list[Attestation]:
    with app.app_context():
        items = db.session.scalars(db.select(Attestation).order_by(Attestation.id)).all()
        for item in items:
            db.session.expunge(item)
        return items


def stored_image(app, attestation_id: int) -> tuple[bytes, str]:
    with app.app_context():
        a = db.session.get(Attestation, attestation_id)
        return a.image, a.media_type


def audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(AuditEntry))


def menu_count(client) -> str:
    mark = soup(client.get("/products/")).find(id="attestations-menu").find("mark")
    return mark.text if mark else ""


# Uploads --------------------------------------------------------------------------------------

def test_an_officers_jpeg_is_stripped_of_its_gps_re_encoded_and_counts_at_once(app, officer,
                                                                              blocked):
    day = today(app)
    response = attest(officer, blocked, jpeg_with_gps(), seen_on=day, note="Thấy trên app Shopee")
    html = assert_fragment(response, "attestations")
    assert "Đã ghi xác nhận" in html.find(id="attestation-flashes").text
    assert "HX-Trigger" not in response.headers  # nothing new waits for an officer
    [a] = rows(app)
    assert a.seen_on == day and a.note == "Thấy trên app Shopee"
    assert a.confirmed_at == a.created_at and a.created_by == "officer@example.vn"
    with app.app_context():
        assert a.counts_until == month_end(month_of(a.created_at))
    data, media_type = stored_image(app, a.id)
    assert media_type == "image/jpeg"
    kept = Image.open(io.BytesIO(data))
    assert kept.format == "JPEG" and kept.size == (320, 200)
    assert not kept.getexif() and "exif" not in kept.info
    assert b"Canon" not in data
    row = html.find(id=f"attestation-{a.id}")
    assert "Đang được tính đến hết" in row.text and row.find("img")["src"].endswith("/image")


def test_a_png_stays_a_png_with_its_transparency(app, officer, blocked):
    attest(officer, blocked, png(), name="anh.png", seen_on=today(app))
    [a] = rows(app)
    data, media_type = stored_image(app, a.id)
    kept = Image.open(io.BytesIO(data))
    assert (media_type, kept.format, kept.mode, kept.size) == ("image/png", "PNG", "RGBA",
                                                               (240, 160))


def test_a_webp_is_accepted(app, officer, blocked):
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(out, "WEBP")
    attest(officer, blocked, out.getvalue(), name="anh.webp", seen_on=today(app))
    assert stored_image(app, rows(app)[0].id)[1] == "image/webp"


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"<script>alert(1)</script> not a picture at all", "man-hinh.jpg", "không phải ảnh JPEG"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "man-hinh.jpg", "không phải ảnh JPEG"),  # header only
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "anh.gif", "không phải ảnh JPEG"),
    (None, None, "Hãy chọn ảnh chụp màn hình"),
])
def test_what_is_not_a_jpeg_png_or_webp_is_refused_and_nothing_is_stored(app, officer, blocked,
                                                                         data, name, message):
    audited = audit_count(app)
    response = attest(officer, blocked, data, name=name or "x", seen_on=today(app))
    html = assert_fragment(response, "attestations")
    assert message in html.find(id="error-image").text
    assert html.find(id="attest-form") is not None  # the form stays, with the day typed
    assert rows(app) == [] and audit_count(app) == audited


def test_a_file_over_the_size_cap_is_refused(app, officer, blocked):
    app.config["ATTESTATION_MAX_BYTES"] = 2000
    data = jpeg_with_gps((900, 900))
    assert len(data) > 2000
    html = soup(attest(officer, blocked, data, seen_on=today(app)))
    assert "Ảnh quá lớn: tối đa 0.0019" in html.find(id="error-image").text
    assert rows(app) == []


def test_the_default_size_cap_is_five_megabytes(app, officer, blocked):
    assert app.config["ATTESTATION_MAX_BYTES"] == 5 * 1024 * 1024
    html = soup(attest(officer, blocked, b"\xff\xd8" + b"\x00" * (5 * 1024 * 1024),
                       seen_on=today(app)))
    assert "Ảnh quá lớn: tối đa 5 MB" in html.find(id="error-image").text
    assert rows(app) == []


def test_a_decompression_bomb_is_refused_before_its_pixels_are_decoded(app, officer, blocked):
    out = io.BytesIO()
    Image.new("L", (7000, 7000)).save(out, "PNG")  # 49 million pixels in a few dozen kB
    assert len(out.getvalue()) < app.config["ATTESTATION_MAX_BYTES"]
    html = soup(attest(officer, blocked, out.getvalue(), name="bom.png", seen_on=today(app)))
    assert "tối đa 40 triệu điểm ảnh" in html.find(id="error-image").text
    assert rows(app) == []


# Which listings, which days, who ------------------------------------------------------------

@pytest.mark.parametrize(("verdict", "status", "allowed", "message"), [
    ("blocked", "active", True, None),
    ("unreachable", None, True, None),
    ("unknown", "out_of_stock", True, None),
    ("active", "active", False, "Máy vừa thấy gian hàng này đang bán"),
    ("out_of_stock", "out_of_stock", False, "Máy vừa thấy gian hàng này đang bán"),
    ("removed", "removed", False, "đã gỡ hoặc ẩn khỏi sàn"),
    ("unlisted", "unlisted", False, "đã gỡ hoặc ẩn khỏi sàn"),
    (None, None, False, "chưa được kiểm tra lần nào"),
])
def test_only_a_listing_no_machine_could_see_may_be_attested(app, officer, catalogue, verdict,
                                                            status, allowed, message):
    listing_id = set_verdict(app, verdict, status)
    page = soup(officer.get(f"/listings/{listing_id}"))
    assert (page.find(id="attest-form") is not None) is allowed
    response = attest(officer, listing_id, png(), name="a.png", seen_on=today(app))
    assert len(rows(app)) == (1 if allowed else 0)
    if not allowed:
        assert message in page.find(class_="attest-refusal").text
        assert message in soup(response).find(id="attestations").find(
            class_="flash error").text


def test_a_proposal_not_yet_approved_cannot_be_attested(app, officer, blocked):
    with app.app_context():
        db.session.get(Listing, blocked).approved = False
        db.session.commit()
    html = soup(attest(officer, blocked, png(), seen_on=today(app)))
    assert "chưa được duyệt" in html.find(class_="flash error").text and rows(app) == []


def test_the_day_must_be_in_this_month_and_not_in_the_future(app, officer, blocked):
    day = today(app)
    for seen_on, message in ((day + timedelta(days=1), "không được ở tương lai"),
                             (day.replace(day=1) - timedelta(days=1), "phải trong tháng này"),
                             ("", "Hãy nhập ngày"), ("03/12/2026", "Ngày không hợp lệ")):
        html = soup(attest(officer, blocked, png(), seen_on=seen_on))
        assert message in html.find(id="error-seen_on").text, seen_on
    assert rows(app) == []
    both = soup(attest(officer, blocked, b"not an image", seen_on=day + timedelta(days=1)))
    assert "tương lai" in both.find(id="error-seen_on").text  # both told at once
    assert "không phải ảnh" in both.find(id="error-image").text
    attest(officer, blocked, png(), seen_on=day.replace(day=1))  # the month's first day is fine
    assert len(rows(app)) == 1


def test_a_producer_cannot_attest_another_producers_listing(app, catalogue):
    from .conftest import sign_in

    listing_id = set_verdict(app, "blocked", "active")
    other = sign_in(app, "other@example.vn")
    assert attest(other, listing_id, png(), seen_on=today(app)).status_code == 404
    assert other.get(f"/listings/{listing_id}").status_code == 404
    with app.app_context():  # the rule itself, whatever the page in front of it
        user = db.session.scalar(db.select(User).filter_by(email="other@example.vn"))
        with pytest.raises(Invalid, match="Chỉ cán bộ hoặc chủ thể của sản phẩm này"):
            operations.attest(db.session.get(Listing, listing_id), user, today(app),
                              io.BytesIO(png()))
    assert rows(app) == []


def test_one_live_attestation_a_listing_a_month(app, officer, producer_client, blocked):
    attest(producer_client, blocked, png(), seen_on=today(app))
    page = soup(officer.get(f"/listings/{blocked}"))
    assert page.find(id="attest-form") is None  # no form for what would be refused
    assert "đã có một xác nhận trong tháng này" in page.find(class_="attest-refusal").text
    html = soup(attest(officer, blocked, jpeg_with_gps(), seen_on=today(app)))
    assert "đã có một xác nhận trong tháng này" in html.find(class_="flash error").text
    assert len(rows(app)) == 1
    first = rows(app)[0].id
    producer_client.post(f"/attestations/{first}/withdraw", headers=HTMX, data={"reason": ""})
    attest(officer, blocked, jpeg_with_gps(), seen_on=today(app))
    assert [a.withdrawn_at is None for a in rows(app)] == [False, True]


def test_the_database_keeps_one_live_attestation_a_month_even_in_a_race(app, blocked):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        now = utcnow()
        until = month_end(month_of(now))
        for _ in range(2):
            db.session.add(Attestation(listing_id=blocked, seen_on=local_date(now), image=b"x",
                                       created_by="a", created_at=now, counts_until=until))
        with pytest.raises(IntegrityError):
            db.session.commit()


# Producers' attestations wait for an officer ----------------------------------------------------

def test_a_producers_attestation_waits_for_an_officer_who_confirms_it_from_the_list(
        app, officer, producer_client, blocked):
    assert menu_count(officer) == ""
    response = attest(producer_client, blocked, png(), seen_on=today(app), note="Ảnh từ app")
    assert response.headers["HX-Trigger"] == "attestationsChanged"
    html = assert_fragment(response, "attestations")
    assert "cán bộ sẽ xem ảnh" in html.find(id="attestation-flashes").text
    [a] = rows(app)
    assert a.confirmed_at is None and a.created_by == "producer@example.vn"
    assert "Chờ cán bộ xác nhận" in html.find(id=f"attestation-{a.id}").text
    assert menu_count(officer) == "1"
    assert soup(producer_client.get("/products/")).find(id="attestations-menu") is None
    # The product's page says so in the listing's row.
    row = soup(producer_client.get("/products/LC-001")).find(id=f"listing-{blocked}")
    assert "Chờ cán bộ xác nhận" in row.find(class_="attested").text
    # The officers' list, as a page and as its fragment; producers may not see it.
    page = assert_full_page(officer.get("/attestations"), "waiting")
    assert page.find(id=f"waiting-{a.id}").find("img") is not None
    assert "Ảnh từ app" in page.find(id=f"waiting-{a.id}").text
    assert_fragment(officer.get("/attestations", headers=HTMX), "waiting")
    assert producer_client.get("/attestations").status_code == 403
    assert producer_client.post(f"/attestations/{a.id}/confirm").status_code == 403
    assert rows(app)[0].confirmed_at is None
    response = officer.post(f"/attestations/{a.id}/confirm?in=list", headers=HTMX)
    assert response.headers["HX-Trigger"] == "attestationsChanged"
    assert "Đang được tính đến hết" in soup(response).find(id=f"waiting-{a.id}").text
    confirmed = rows(app)[0]
    assert confirmed.confirmed_at is not None
    with app.app_context():
        assert confirmed.confirmed_by_id == db.session.scalar(
            db.select(User.id).filter_by(email="officer@example.vn"))
    assert menu_count(officer) == ""
    assert "Không có xác nhận nào đang chờ" in officer.get("/attestations").text
    menu = soup(officer.get("/attestations/count", headers=HTMX)).find(id="attestations-menu")
    assert menu.find("mark") is None
    # Confirmed once is enough.
    again = soup(officer.post(f"/attestations/{a.id}/confirm", headers=HTMX))
    assert "không còn chờ duyệt" in again.find(class_="flash error").text


def test_an_officer_refuses_with_a_reason_the_producer_reads(app, officer, producer_client,
                                                             blocked):
    attest(producer_client, blocked, png(), seen_on=today(app))
    [a] = rows(app)
    audited = audit_count(app)
    response = officer.post(f"/attestations/{a.id}/withdraw?in=list", headers=HTMX,
                            data={"reason": "  "})
    assert "HX-Trigger" not in response.headers
    row = soup(response).find(id=f"waiting-{a.id}")
    assert "Hãy ghi lý do" in row.find(id=f"error-reason-{a.id}").text
    assert row.find("details").has_attr("open")
    assert rows(app)[0].withdrawn_at is None and audit_count(app) == audited
    reason = "Ảnh là trang của người bán khác."
    response = officer.post(f"/attestations/{a.id}/withdraw?in=list", headers=HTMX,
                            data={"reason": reason})
    assert response.headers["HX-Trigger"] == "attestationsChanged"
    assert "Cán bộ không xác nhận" in soup(response).find(id=f"waiting-{a.id}").text
    refused = rows(app)[0]
    assert refused.withdrawal == reason and refused.confirmed_at is None
    row = soup(producer_client.get(f"/listings/{blocked}")).find(id=f"attestation-{a.id}")
    assert "Cán bộ không xác nhận" in row.text and reason in row.find(class_="refusal").text
    assert menu_count(officer) == ""
    # A producer may not refuse from the officers' list.
    assert producer_client.post(f"/attestations/{a.id}/withdraw?in=list").status_code == 403


def test_its_author_withdraws_it_without_a_reason_but_not_someone_elses(app, officer,
                                                                       producer_client, blocked):
    attest(officer, blocked, png(), seen_on=today(app))
    [a] = rows(app)
    html = soup(producer_client.post(f"/attestations/{a.id}/withdraw", headers=HTMX))
    assert "Chỉ người đã xác nhận hoặc cán bộ" in html.find(class_="flash error").text
    assert rows(app)[0].withdrawn_at is None
    html = soup(officer.post(f"/attestations/{a.id}/withdraw", headers=HTMX))
    assert "Đã rút xác nhận" in html.find(id="attestation-flashes").text
    assert "Đã rút ngày" in html.find(id=f"attestation-{a.id}").text
    assert rows(app)[0].withdrawn_at is not None and rows(app)[0].withdrawal is None
    again = soup(officer.post(f"/attestations/{a.id}/withdraw", headers=HTMX))
    assert "đã được rút" in again.find(class_="flash error").text


# States on the listing's page -------------------------------------------------------------------

def add_check(app, listing_id: int, at: datetime, verdict: str, status_after: str) -> None:
    with app.app_context():
        db.session.add(Check(listing_id=listing_id, at=at, verdict=verdict,
                             status_after=status_after, evidence={}))
        db.session.commit()


def test_a_removal_a_machine_confirms_later_overrides_it(app, officer, producer_client, blocked):
    attest(producer_client, blocked, png(), seen_on=today(app))
    [a] = rows(app)
    with app.app_context():  # made three days ago (in this month or the last: no matter here)
        attestation = db.session.get(Attestation, a.id)
        attestation.created_at = made = utcnow() - timedelta(days=3)
        attestation.counts_until = utcnow() + timedelta(days=3)
        db.session.commit()

    def shown() -> str:
        return soup(officer.get(f"/listings/{blocked}")).find(id=f"attestation-{a.id}").text

    add_check(app, blocked, made - timedelta(days=1), "removed", "removed")  # before it: no
    # A blocked check of a listing removed long ago keeps its status, but saw nothing.
    add_check(app, blocked, made + timedelta(days=1), "blocked", "removed")
    assert "Chờ cán bộ xác nhận" in shown()
    assert f"waiting-{a.id}" in officer.get("/attestations").text
    add_check(app, blocked, made + timedelta(days=2), "removed", "removed")
    with app.app_context():
        day = local_date(made + timedelta(days=2)).strftime("%d/%m/%Y")
    assert f"máy xác nhận gian hàng đã gỡ ngày {day}" in shown()
    assert "Không có xác nhận nào đang chờ" in officer.get("/attestations").text
    html = soup(officer.post(f"/attestations/{a.id}/confirm", headers=HTMX))
    assert "không còn chờ duyệt" in html.find(class_="flash error").text
    assert rows(app)[0].confirmed_at is None


def test_last_months_attestation_has_ended(app, officer, blocked):
    attest(officer, blocked, png(), seen_on=today(app))
    [a] = rows(app)
    with app.app_context():
        attestation = db.session.get(Attestation, a.id)
        first = month_of(attestation.created_at)
        attestation.created_at = attestation.confirmed_at = month_end(
            first - timedelta(days=1)) - timedelta(days=3)
        attestation.counts_until = month_end((first - timedelta(days=1)).replace(day=1))
        db.session.commit()
        shown = local_date(attestation.counts_until).strftime("%d/%m/%Y")
    row = soup(officer.get(f"/listings/{blocked}")).find(id=f"attestation-{a.id}")
    assert f"Đã hết hạn ngày {shown}" in row.text and row.find("form") is None
    # A new month: a new attestation may be made.
    attest(officer, blocked, png(), seen_on=today(app))
    assert len(rows(app)) == 2


def test_the_state_rule():
    made = datetime(2026, 12, 3, 3)
    until = datetime(2026, 12, 31, 16, 59, 59)
    a = Attestation(created_at=made, counts_until=until, created_by_id=7)
    assert state(a, made, None) == State("waiting")
    a.confirmed_at = made
    assert state(a, made, None) == State("counting", until)
    assert state(a, until, None) == State("counting", until)  # its last moment counts
    assert state(a, until + timedelta(microseconds=1), None) == State("ended", until)
    removal = made + timedelta(days=2)
    assert state(a, made + timedelta(days=1), removal) == State("counting", until)
    assert state(a, made + timedelta(days=3), removal) == State("overridden", removal)
    a.withdrawn_at, a.withdrawn_by_id = made + timedelta(days=1), 7
    assert state(a, made + timedelta(days=3), removal) == State("withdrawn", a.withdrawn_at)
    b = Attestation(created_at=made, counts_until=until, created_by_id=7,
                    withdrawn_at=made + timedelta(hours=1), withdrawn_by_id=8)
    assert state(b, made + timedelta(days=1), None).name == "refused"


# The image, the pages, the audit -----------------------------------------------------------------

def test_the_image_is_served_only_to_those_who_may_see_the_listing(app, client, officer,
                                                                   producer_client, blocked):
    from .conftest import sign_in

    attest(officer, blocked, jpeg_with_gps(), seen_on=today(app))
    [a] = rows(app)
    for viewer in (officer, producer_client):
        response = viewer.get(f"/attestations/{a.id}/image")
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.headers["Content-Disposition"].startswith("inline; filename=")
        assert response.data == stored_image(app, a.id)[0]
    assert sign_in(app, "other@example.vn").get(f"/attestations/{a.id}/image").status_code == 404
    assert client.get(f"/attestations/{a.id}/image").status_code == 302  # to the sign-in page


def test_the_block_is_a_page_or_a_fragment(app, producer_client, blocked):
    assert_full_page(producer_client.get(f"/listings/{blocked}/attestations"), "attestations")
    html = assert_fragment(producer_client.get(f"/listings/{blocked}/attestations",
                                               headers=HTMX), "attestations")
    assert html.find(id="attest-form")["hx-encoding"] == "multipart/form-data"
    row = soup(producer_client.get("/products/LC-001")).find(id=f"listing-{blocked}")
    assert row.find(class_="attest-link")["href"].endswith(f"/listings/{blocked}#attestations")


def test_without_htmx_a_success_goes_back_to_the_listings_page(app, officer, blocked):
    response = attest(officer, blocked, png(), seen_on=today(app), headers={})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/listings/{blocked}#attestations")


def test_every_change_is_audited_without_the_image(app, officer, producer_client, blocked):
    attest(producer_client, blocked, jpeg_with_gps(), seen_on=today(app), note="ghi chú")
    [a] = rows(app)
    officer.post(f"/attestations/{a.id}/confirm", headers=HTMX)
    officer.post(f"/attestations/{a.id}/withdraw", headers=HTMX, data={"reason": "Nhầm"})
    with app.app_context():
        entries = db.session.scalars(db.select(AuditEntry).filter_by(
            entity="attestation", entity_id=a.id).order_by(AuditEntry.id)).all()
        assert [(e.action, e.actor) for e in entries] == [
            ("create", "producer@example.vn"), ("update", "officer@example.vn"),
            ("update", "officer@example.vn")]
        assert entries[0].changes["note"] == [None, "ghi chú"]
        assert entries[0].changes["media_type"] == [None, "image/jpeg"]
        assert set(entries[1].changes) == {"confirmed_at", "confirmed_by_id"}
        assert entries[2].changes["withdrawal"] == [None, "Nhầm"]
        assert all("image" not in e.changes for e in entries)
    history = soup(officer.get(f"/history/attestation/{a.id}"))
    assert "Lý do rút" in history.text and "Nhầm" in history.text


class TestWithCsrf:
    @pytest.fixture
    def app_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_every_change_needs_the_token(self, app, client, blocked):
        import re

        from .conftest import PASSWORD

        login = client.get("/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login)[1]
        client.post("/login", data={"email": "officer@example.vn", "password": PASSWORD,
                                    "csrf_token": token})
        page = client.get(f"/listings/{blocked}").text
        header = {"X-CSRFToken": re.search(r'"X-CSRFToken": "([^"]+)"', page)[1], **HTMX}
        assert attest(client, blocked, png(), seen_on=today(app)).status_code == 400
        assert rows(app) == []
        assert attest(client, blocked, png(), seen_on=today(app),
                      headers=header).status_code == 200
        [a] = rows(app)
        assert client.post(f"/attestations/{a.id}/withdraw", headers=HTMX).status_code == 400
        assert client.post(f"/attestations/{a.id}/withdraw", headers=header).status_code == 200
        assert rows(app)[0].withdrawn_at is not None


@pytest.mark.parametrize("path", ["/listings/{listing}/attestations", "/attestations/1/confirm",
                                  "/attestations/1/withdraw"])
def test_signed_out_nothing_changes(app, client, officer, blocked, path):
    attest(officer, blocked, png(), seen_on=today(app))
    response = client.post(path.format(listing=blocked))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/attestations").status_code == 302
    [a] = rows(app)
    assert a.withdrawn_at is None and len(rows(app)) == 1
