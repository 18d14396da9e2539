"""What a listing's state means to its producer, and what they should do about it."""

from flask_babel import lazy_gettext as _l

from ..models import Listing

ADVICE = {
    "waiting": _l("Đang chờ duyệt: cán bộ sẽ xem đường dẫn này rồi duyệt, hoặc cho biết lý do "
                  "nếu từ chối. Bạn có thể rút đề xuất trong lúc chờ."),
    "refused": _l("Cán bộ đã từ chối đề xuất này (lý do ở trên). Hãy sửa theo lý do, rút đề "
                  "xuất này rồi gửi lại đường dẫn đúng."),
    "unchecked": _l("Chưa kiểm tra: gian hàng sẽ được kiểm tra trong lần kiểm tra tới. Bạn "
                    "không cần làm gì."),
    "confirming": _l("Lần kiểm tra vừa rồi không thấy gian hàng; máy sẽ kiểm tra lại để xác "
                     "nhận. Nếu gian hàng vẫn bán, bạn không cần làm gì; nếu đã bị gỡ, hãy đăng "
                     "lại rồi gửi đường dẫn mới."),
    "active": _l("Đang bán: gian hàng được tính là sản phẩm có mặt trên sàn. Bạn không cần làm "
                 "gì."),
    "out_of_stock": _l("Hết hàng: gian hàng còn nhưng người mua chưa đặt được. Hãy cập nhật số "
                       "lượng hàng trên sàn."),
    "unlisted": _l("Ẩn khỏi sàn: bạn (người bán) đang ẩn sản phẩm này nên người mua không thấy "
                   "và sản phẩm không được tính là có mặt trên sàn. Nếu vẫn bán, hãy hiện lại "
                   "sản phẩm trong trang người bán của sàn."),
    "removed": _l("Đã gỡ: sàn cho biết gian hàng không còn. Hãy đăng lại sản phẩm rồi gửi "
                  "đường dẫn mới."),
    # A person's word counts where no machine can see (ocop/attestations/rules.py).
    "blocked": _l("Bị chặn: sàn chặn máy kiểm tra, cán bộ sẽ xác nhận. Nếu bạn thấy sản phẩm "
                  "vẫn đang bán, hãy gửi xác nhận kèm ảnh chụp màn hình."),
    "unreachable": _l("Không truy cập được: trang không mở được lúc kiểm tra, máy sẽ thử lại. "
                      "Hãy xem đường dẫn có còn mở được không; nếu sản phẩm vẫn đang bán, hãy "
                      "gửi xác nhận kèm ảnh chụp màn hình."),
    "unknown": _l("Chưa xác định: máy chưa đọc được trang này; cán bộ sẽ xem lại. Nếu bạn thấy "
                  "sản phẩm vẫn đang bán, hãy gửi xác nhận kèm ảnh chụp màn hình."),
}


def state(listing: Listing) -> str:
    """The one state that decides the advice: the proposal's fate first, then what the latest
    check saw (a blocked check matters to the producer even when an older one was decisive)."""
    if not listing.approved:
        return "waiting" if listing.waiting else "refused"
    if listing.removal_seen_at:
        return "confirming"
    return listing.last_verdict or "unchecked"


def advice(listing: Listing) -> str:
    """The sentence shown beside a listing on its product's page."""
    return str(ADVICE[state(listing)])
