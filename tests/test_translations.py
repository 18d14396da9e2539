"""Vietnamese is the source language; every sentence must also exist in English."""

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "ocop/translations/en/LC_MESSAGES/messages.po"


def source_messages() -> set[str]:
    method_map = [("ocop/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    found = extract_from_dir(str(ROOT), method_map, keywords=keywords)
    return {msg if isinstance(msg, str) else msg[0] for _f, _n, msg, _c, _x in found}


def test_every_message_has_an_english_translation():
    with CATALOGUE.open("rb") as f:
        catalogue = read_po(f)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalogue
        if m.id and all(m.string if isinstance(m.string, tuple) else (m.string,))
    }
    messages = source_messages()
    assert len(messages) > 200  # the extraction itself worked
    missing = sorted(messages - translated)
    assert not missing, f"run `make messages` and translate: {missing[:10]}"
