import pytest

from ocop.text import fold, search_terms


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
