import io
import json
import os

import pytest
from django.db import connection

from backups import crypto
from backups.archive import ArchiveError, open_archive
from backups.sections import encode_json_value


def _encrypt(data: bytes, key: bytes) -> bytes:
    out = io.BytesIO()
    crypto.encrypt_stream(io.BytesIO(data), out, key=key)
    return out.getvalue()


def _decrypt(data: bytes, key: bytes | None) -> bytes:
    out = io.BytesIO()
    crypto.decrypt_stream(io.BytesIO(data), out, key=key)
    return out.getvalue()


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(crypto, "CHUNK_SIZE", 64)


def _chunks(sealed: bytes) -> tuple[bytes, list[bytes]]:
    header, rest, chunks = sealed[:crypto.HEADER_SIZE], sealed[crypto.HEADER_SIZE:], []
    while rest:
        length = int.from_bytes(rest[:4], "big")
        chunks.append(rest[:4 + length])
        rest = rest[4 + length:]
    return header, chunks


@pytest.mark.smoke
@pytest.mark.parametrize("size", [0, 1, 64, 65, 1000])
def test_crypto_round_trip(small_chunks, size):
    key = os.urandom(32)
    data = os.urandom(size)
    sealed = _encrypt(data, key)
    assert sealed.startswith(crypto.MAGIC)
    assert _decrypt(sealed, key) == data


@pytest.mark.smoke
def test_crypto_refuses_truncation_reordering_and_changes(small_chunks):
    key = os.urandom(32)
    sealed = _encrypt(os.urandom(300), key)
    header, chunks = _chunks(sealed)
    assert len(chunks) == 5
    cases = {
        "cut at a chunk boundary": header + b"".join(chunks[:3]),
        "cut inside a chunk": sealed[:-10],
        "chunks swapped": header + chunks[1] + chunks[0] + b"".join(chunks[2:]),
        "a byte changed": sealed[:100] + bytes([sealed[100] ^ 1]) + sealed[101:],
        "data appended": sealed + b"more",
    }
    for case, damaged in cases.items():
        with pytest.raises(crypto.CryptoError):
            _decrypt(damaged, key)
            pytest.fail(case)


@pytest.mark.smoke
def test_crypto_wrong_or_missing_key_is_named():
    sealed = _encrypt(b"secret rows", os.urandom(32))
    with pytest.raises(crypto.CryptoError, match="different key"):
        _decrypt(sealed, os.urandom(32))
    with pytest.raises(crypto.CryptoError, match="not set"):
        _decrypt(sealed, None)


@pytest.mark.smoke
def test_crypto_key_setting_is_checked(settings):
    settings.BACKUP_ENCRYPTION_KEY = ""
    assert crypto.key_from_setting() is None
    settings.BACKUP_ENCRYPTION_KEY = crypto.generate_key()
    assert len(crypto.key_from_setting()) == 32
    for bad in ("short", "!!!!", "YWJj"):
        settings.BACKUP_ENCRYPTION_KEY = bad
        with pytest.raises(crypto.CryptoError, match="BACKUP_ENCRYPTION_KEY"):
            crypto.key_from_setting()


@pytest.mark.smoke
@pytest.mark.parametrize("content, message", [
    (b"", "not a Stockroom backup"),
    (b"hello, this is not a backup at all" * 10, "not a Stockroom backup"),
    (b"PK\x03\x04" + os.urandom(200), "truncated"),
])
def test_open_archive_refuses_garbage(db, content, message):
    with pytest.raises(ArchiveError, match=message):
        with open_archive(io.BytesIO(content)) as reader:
            reader.read_manifest()


class _Unseekable(io.RawIOBase):
    def __init__(self, data):
        self._stream = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._stream.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


@pytest.mark.smoke
def test_open_archive_reads_an_unseekable_upload(db, settings):
    from backups.services.backups import archive_write

    buffer = io.BytesIO()
    archive_write(buffer, sections=["catalogue"])
    with open_archive(_Unseekable(buffer.getvalue())) as reader:
        assert reader.verify().ok


JSON_VALUES = [
    {"size": "M", "colour": "Blue"},
    {"b": 1, "aa": 2, "a": {"zz": [1, 2.5, None, True, False], "y": "é\u2028\"\\/\n\t\x01"}},
    [1, -0.25, 1e-07, 123456789012345678901234567890, 1.0, 3.14159],
    "plain string",
    {"ключ": 1, "k": 2, "\u00e9": 3, "e": 4},
    [],
    {},
]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compares with PostgreSQL's jsonb output")
@pytest.mark.django_db
@pytest.mark.parametrize("value", JSON_VALUES)
def test_encode_json_value_matches_postgresql_jsonb(value):
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::jsonb::text", [json.dumps(value)])
        (printed,) = cursor.fetchone()
    assert encode_json_value(value) == printed
    assert encode_json_value(json.loads(printed)) == printed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compares with PostgreSQL's to_json output")
@pytest.mark.django_db
def test_text_encoding_matches_postgresql_to_json():
    text = "tab\there \"quote\" back\\slash \x01\x1f \x7f é ☃ \u2028 end\r\n"
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_json(%s::text)::text", [text])
        (printed,) = cursor.fetchone()
    assert json.dumps(text, ensure_ascii=False) == printed


# --- nesting, measured without parsing ------------------------------------------------------

@pytest.mark.smoke
@pytest.mark.parametrize("text, depth", [
    (b"", 0),
    (b"12", 0),
    (b'{"a": 1}', 1),
    (b'{"a": [1, {"b": []}]}', 4),
    (b'{"a": "[[[[{{{{", "b": ["]]]"]}', 2),  # brackets in strings do not count
    (b'{"a": "quote \\" [[[", "b": "\\\\", "c": [[]]}', 3),  # nor after escaped quotes and backslashes
    (b'["\xc3\xa9[", {"\xe2\x80\x9c": [{}]}]', 4),
    (b"[" * 100_000, 100_000),  # never closed: parsing would still recurse this deep
], ids=["empty", "number", "object", "nested", "brackets in strings", "escapes", "utf-8", "unclosed"])
def test_json_nesting_counts_brackets_outside_strings(text, depth):
    from backups.archive import json_nesting

    assert json_nesting(text) == depth


@pytest.mark.smoke
def test_row_nesting_check_names_the_row_across_chunks():
    from backups.archive import ROW_MAX_DEPTH, RowNestingCheck

    at_limit = b"[" * (ROW_MAX_DEPTH - 1) + b"]" * (ROW_MAX_DEPTH - 1)  # the row itself is one level
    rows = [b'{"id": 1, "note": "[[[["}', b'{"id": 2, "a": ' + at_limit + b"}",
            b'{"id": 3}', b'{"id": 4, "a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"]
    data = b"\n".join(rows) + b"\n"
    check = RowNestingCheck()

    problems = [check.feed(data[start:start + 1000]) for start in range(0, len(data), 1000)]

    assert [problem for problem in problems if problem] == [f"row 4 nests deeper than {ROW_MAX_DEPTH} levels"]
    assert RowNestingCheck().feed(b"\n".join(rows[:3]) + b"\n") is None
