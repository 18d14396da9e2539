def test_product_list(officer, catalogue):
    r = officer.get("/products/?q=nuoc+mam")
    assert r.status_code == 200
    assert "Nước mắm" in r.text
    assert "Chè Bát" not in r.text
