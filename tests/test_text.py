import pytest

from ocop.text import breakable, fold, search_terms


@pytest.mark.parametrize(("text", "folded"), [
    ("Nước mắm", "nuoc mam"),
    ("  Trà   HOA sen ", "tra hoa sen"),
    ("Đặc sản Đà Lạt", "ddac san dda lat"),
    ("Bưởi Múc Thái Niên", "buoi muc thai nien"),
    (None, ""),
])
def test_fold(text, folded):
    assert fold(text) == folded


def test_dd_and_d_both_find_the_letter_d_with_stroke():
    folded = fold("Đào")
    assert "dd" in folded and "dao" in folded
    assert search_terms("ĐÀO  tiên") == ["ddao", "tien"]


def test_a_long_address_may_wrap_between_its_parts_only():
    html = breakable("https://tiki.vn/tra-sen-p3.html?spid=1&a=<b>")
    assert str(html) == ("https://<wbr>tiki.<wbr>vn/<wbr>tra-<wbr>sen-<wbr>p3.<wbr>html?<wbr>"
                         "spid=<wbr>1&amp;<wbr>a=<wbr>&lt;b&gt;")
    assert breakable("LC-2021-01") == "LC-<wbr>2021-<wbr>01"
    assert breakable(42) == "42"
