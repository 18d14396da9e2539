"""What the engine's rule names mean, in words an officer can read beside the evidence."""

from flask_babel import lazy_gettext as _l

RULES = {
    "http-404": _l("Sàn trả mã 404: trang không tồn tại"),
    "http-410": _l("Sàn trả mã 410: trang đã bị xoá"),
    "api-not-found": _l("API của sàn cho biết sản phẩm không tồn tại"),
    "redirect-away": _l("Bị chuyển về trang chủ, trang tìm kiếm hoặc danh mục"),
    "redirect-other-item": _l("Bị chuyển sang một sản phẩm khác"),
    "soft-404": _l("Trang báo sản phẩm không tồn tại và không có sản phẩm nào"),
    "jsonld-availability": _l("Dữ liệu sản phẩm (JSON-LD) ghi tình trạng hàng"),
    "microdata-availability": _l("Dữ liệu sản phẩm (microdata) ghi tình trạng hàng"),
    "og-availability": _l("Thẻ OpenGraph ghi tình trạng hàng"),
    "page-data-stock": _l("Dữ liệu của sàn trong trang ghi số hàng còn"),
    "api-stock": _l("API của sàn cho biết số hàng còn"),
    "api-inventory-status": _l("API của sàn cho biết tình trạng kho"),
    "api-item-status": _l("API của sàn ghi một trạng thái sản phẩm chưa rõ nghĩa"),
    "phrase-out-of-stock": _l("Trang ghi “hết hàng”"),
    "phrase-discontinued": _l("Trang ghi “ngừng kinh doanh” nhưng vẫn còn"),
    "phrase-in-stock": _l("Trang có nút mua hàng"),
    "product-entity": _l("Trang có sản phẩm kèm giá"),
    "captcha": _l("Sàn đòi xác minh không phải máy (captcha)"),
    "login-wall": _l("Sàn đòi đăng nhập"),
    "cloudflare-challenge": _l("Trang chặn máy tự động (Cloudflare)"),
    "fetch-timeout": _l("Sàn không trả lời kịp"),
    "fetch-connection": _l("Không kết nối được tới sàn"),
    "fetch-status": _l("Sàn báo lỗi tạm thời nhiều lần liền"),
    "fetch-robots": _l("robots.txt của sàn không cho kiểm tra trang này"),
    "fetch-robots_unreadable": _l("Không đọc được robots.txt của sàn (sàn lỗi hoặc không trả "
                                  "lời) nên chưa mở trang gian hàng"),
    "fetch-refused_address": _l("Địa chỉ nội bộ hoặc bị cấm: không truy cập"),
    "fetch-off_site": _l("Bị chuyển ra ngoài tên miền của sàn"),
    "fetch-too_large": _l("Trang quá lớn"),
    "fetch-too_many_redirects": _l("Bị chuyển hướng quá nhiều lần"),
    "fetch-bad_url": _l("Đường dẫn không dùng được"),
    "fetch-browser_missing": _l("Máy kiểm tra chưa cài trình duyệt Chromium nên không đọc được "
                                "trang cần trình duyệt"),
    "fetch-browser_crashed": _l("Trình duyệt bị hỏng khi mở trang (trang quá nặng hoặc lỗi)"),
    "fetch-browser_failed": _l("Trình duyệt không mở được trang"),
    "app-shell": _l("Trang chỉ là khung ứng dụng, không có thông tin sản phẩm"),
    "no-signals": _l("Không thấy dấu hiệu nào về sản phẩm"),
    "truncated": _l("Trang bị cắt cụt"),
    "invalid-jsonld": _l("Dữ liệu sản phẩm không đọc được"),
    "invalid-json": _l("API trả dữ liệu không đọc được"),
    "content-type": _l("Sàn không trả về trang web"),
    "empty-body": _l("Trang trống"),
    "api-shape": _l("API của sàn trả lời không như thường lệ"),
    "api-error": _l("API của sàn trả lỗi (thường là chặn máy tự động)"),
    "adapter-error": _l("Lỗi khi đọc trang"),
    "seller_api-item-absent": _l("Sàn trả lời qua tài khoản của chủ thể: gian hàng không có "
                                 "sản phẩm này"),
    "seller_api-stock-0": _l("Sàn trả lời qua tài khoản của chủ thể: sản phẩm đang bán nhưng "
                             "hết hàng"),
    "seller_api-stock-missing": _l("Sàn trả lời qua tài khoản của chủ thể nhưng không cho biết "
                                   "số hàng còn"),
}


def rule_text(rule: str | None) -> str:
    """The rule in words; HTTP statuses by their number; the name itself when unknown."""
    if not rule:
        return ""
    if rule in RULES:
        return str(RULES[rule])
    if rule.startswith("seller_api-"):  # seller_api-<field>-<status>: the marketplace's word
        status = rule.rsplit("-", 1)[1]
        return str(_l("Sàn trả lời qua tài khoản của chủ thể: trạng thái %(status)s",
                      status=status))
    if rule.startswith(("http-", "api-http-")):
        return str(_l("Sàn trả mã HTTP %(status)s", status=rule.rsplit("-", 1)[1]))
    return rule
