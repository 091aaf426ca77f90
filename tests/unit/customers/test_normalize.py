from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.customers.normalize import fold, name_key, normalize_domain


def test_name_key_ignores_case_punctuation_and_legal_suffix() -> None:
    assert name_key("Acme, Inc.") == name_key("ACME") == name_key("acme  ltd") == "acme"
    assert name_key("The Brightwave Foods GmbH") == "brightwave foods"
    assert name_key("Crème & Co") == "creme and"


def test_domain_normalisation() -> None:
    assert normalize_domain("https://www.Acme.com/about") == "acme.com"
    assert normalize_domain("Ops@Acme.COM") == "acme.com"


@given(st.text())
def test_fold_is_idempotent_and_ascii(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    assert once.isascii()
    assert once == once.strip()


# Company names in Latin script (Basic Latin through Latin Extended-B).
@given(st.text(alphabet=st.characters(categories=["L", "N", "P", "Zs"], max_codepoint=0x24F), max_size=60))
def test_name_key_stable_under_case_and_punctuation(text: str) -> None:
    assert name_key(text.upper() + ".") == name_key(text.lower())
