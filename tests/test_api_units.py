"""Small pieces of the search API that need no model: Range parsing, snippets, tokens, signed links."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from vidlib.search_api.errors import RangeError
from vidlib.search_api.links import LinkSigner
from vidlib.search_api.ranges import parse_range
from vidlib.search_api.snippets import highlight_snippet
from vidlib.search_api.tokens import TokenBook, create_token, hash_token, parse_token_setting, tokens_file
from vidlib.settings import Settings


def test_parse_range() -> None:
    assert parse_range(None, 100) is None
    assert parse_range("bytes=0-9", 100) == (0, 9)
    assert parse_range("bytes=90-", 100) == (90, 99)
    assert parse_range("bytes=-10", 100) == (90, 99)
    assert parse_range("bytes=-1000", 100) == (0, 99)
    assert parse_range("bytes=50-5000", 100) == (50, 99)
    assert parse_range("bytes=0-1,4-5", 100) is None  # several ranges: the whole object
    assert parse_range("items=0-1", 100) is None
    assert parse_range("bytes=9-2", 100) is None
    assert parse_range("bytes=-" + "9" * 5000, 100) == (0, 99)
    assert parse_range("bytes=\u0663-", 100) is None  # a digit of another script is no byte position
    for bad in ("bytes=100-", "bytes=200-300", "bytes=-0", "bytes=" + "9" * 5000 + "-"):
        with pytest.raises(RangeError):
            parse_range(bad, 100)


def test_snippet_marks_stemmed_matches_and_escapes() -> None:
    text = "Au début j'étais <b>stagiaire</b>, puis les métiers du bois m'ont plu. " + "mot " * 60 + "fin"
    out = highlight_snippet(text, "le métier de menuisier")
    assert "<mark>métiers</mark>" in out and "&lt;b&gt;stagiaire&lt;/b&gt;" in out and "<b>" not in out
    assert out.endswith("…")
    far = highlight_snippet("mot " * 80 + "salaire et horaires", "horaires")
    assert far.startswith("… ") and "<mark>horaires</mark>" in far
    assert "<mark>" not in highlight_snippet("rien à voir", "horaires")


def test_tokens_are_hashed_at_rest(tmp_path: Path) -> None:
    static = "vl_static-token"
    settings = Settings(home=tmp_path, api_tokens=f"moderator:{hashlib.sha256(static.encode()).hexdigest()}")
    token = create_token(settings, "student", "Élève A")
    assert token not in tokens_file(settings).read_text() and hash_token(token) in tokens_file(settings).read_text()
    book = TokenBook(settings)
    assert book.lookup(token).role == "student" and book.lookup(token).name == "Élève A"
    assert book.lookup(static).role == "moderator"
    assert book.lookup("vl_nope") is None
    later = create_token(settings, "admin", "ops")  # picked up without a restart
    assert book.lookup(later).role == "admin"
    with pytest.raises(ValueError, match="role:sha256hex"):
        parse_token_setting("moderator:not-a-hash")
    with pytest.raises(ValueError, match="role:sha256hex"):
        parse_token_setting(f"root:{'0' * 64}")
    with pytest.raises(ValueError):
        create_token(settings, "root", "x")  # type: ignore[arg-type]


def test_signed_links() -> None:
    signer = LinkSigner(Settings(media_link_expiry_s=60))
    q = dict(part.split("=") for part in signer.query("clip_a", "student").split("&"))
    assert signer.verify("clip_a", "student", int(q["exp"]), q["sig"]) == "student"
    assert signer.verify("clip_b", "student", int(q["exp"]), q["sig"]) is None
    assert signer.verify("clip_a", "moderator", int(q["exp"]), q["sig"]) is None
    assert signer.verify("clip_a", "student", int(q["exp"]) + 1, q["sig"]) is None
    old = dict(part.split("=") for part in signer.query("clip_a", "student", now=0).split("&"))
    assert signer.verify("clip_a", "student", int(old["exp"]), old["sig"]) is None  # expired


def test_a_hit_must_come_near_the_best_one_that_is_no_greeting() -> None:
    from vidlib.search_api.search import GREETING, RankParams, _best, _floor
    from vidlib.storage.index import Hit

    payloads = {
        c: Hit(c, 0.0, {"topic": t}) for c, t in (("hello", GREETING), ("pay", "salaire"), ("hours", "horaires"))
    }
    best = _best({"hello": 0.95, "pay": 0.88, "hours": 0.83}, payloads)
    assert _floor(RankParams(floor=0.81, gap=0.04), best) == 0.88 - 0.04  # the greeting sets nothing
    assert _floor(RankParams(floor=0.86, gap=0.04), best) == 0.86  # never under the floor
    assert _floor(RankParams(floor=0.81, gap=None), best) == 0.81
