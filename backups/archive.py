"""The backup file: a zip archive holding one newline-delimited JSON member per model
(`<app_label>.<model>.ndjson`, rows in primary-key order, see backups.sections for the
encoding) and `manifest.json`, written last, which lists every member with its model,
columns, SHA-256 and size, the row count per model, the sections, the applied migrations
and the versions that wrote it. Optionally the whole file is encrypted (backups.crypto).

Members are written and read as streams, so memory stays flat whatever the table sizes.
The reader trusts nothing: every member must be listed, have its size, hash and row count,
belong to a model this version knows with the same columns, and the manifest must not come
from a newer format.
"""
import contextlib
import hashlib
import json
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any, BinaryIO

from backups import crypto
from backups.sections import known_models, model_spec

FORMAT_NAME = "stockroom-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
MEMBER_SUFFIX = ".ndjson"
MANIFEST_MAX_BYTES = 16 * 1024 * 1024
READ_CHUNK = 1024 * 1024
COMPRESS_LEVEL = 1
# How deep JSON may nest (brackets outside strings), checked on the bytes before anything is
# parsed: the manifest needs 4 levels (members, an entry, its columns); a row needs 1 plus
# what its JSON columns hold (Stripe event payloads, import previews: a few levels).
MANIFEST_MAX_DEPTH = 8
ROW_MAX_DEPTH = 64
ROW_MAX_BYTES = 64 * 1024 * 1024


class ArchiveError(Exception):
    """The file cannot be read as a backup; the message says why."""


@dataclass
class MemberVerdict:
    name: str
    ok: bool
    message: str


@dataclass
class VerifyReport:
    ok: bool
    message: str
    manifest: dict | None = None
    members: list[MemberVerdict] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message,
                "members": [{"name": m.name, "ok": m.ok, "message": m.message} for m in self.members]}


# --- writing ------------------------------------------------------------------------------

class MemberSink:
    """Receives a member's bytes; hashes them and counts rows on the way into the archive."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self._hash = hashlib.sha256()
        self.size = 0
        self.rows = 0

    def write(self, data: bytes) -> None:
        self._stream.write(data)
        self._hash.update(data)
        self.size += len(data)
        self.rows += data.count(b"\n")

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class ArchiveWriter:
    def __init__(self, fileobj: BinaryIO):
        self._zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL,
                                    allowZip64=True)
        self.members: dict[str, dict[str, Any]] = {}
        self.counts: dict[str, int] = {}

    @contextlib.contextmanager
    def member(self, spec) -> Iterator[MemberSink]:
        # Opened by name, the member takes the archive's compression and level.
        with self._zip.open(spec.member, "w", force_zip64=True) as stream:
            sink = MemberSink(stream)
            yield sink
        self.members[spec.member] = {"model": spec.label, "columns": list(spec.columns), "sha256": sink.sha256,
                                     "bytes": sink.size}
        self.counts[spec.label] = sink.rows

    def discard(self) -> None:
        """Close after a failure; the caller throws the file away."""
        try:
            self._zip.close()
        except (OSError, ValueError):
            pass

    def finish(self, manifest: dict[str, Any]) -> dict[str, Any]:
        manifest = {**manifest, "counts": self.counts, "members": self.members}
        info = zipfile.ZipInfo(MANIFEST_NAME, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        self._zip.writestr(info, json.dumps(manifest, indent=1, sort_keys=True).encode())
        self._zip.close()
        return manifest


# --- reading ------------------------------------------------------------------------------

class ArchiveReader:
    """An opened backup file (decrypted when needed). Use `open_archive`."""

    def __init__(self, fileobj: BinaryIO, *, encrypted: bool):
        self.encrypted = encrypted
        self._file = fileobj
        self._zip: zipfile.ZipFile | None = None
        self.manifest: dict[str, Any] | None = None
        # Set when a stored backup's file no longer matches the checksum recorded for it.
        self.stored_problem: str | None = None

    def _open_zip(self) -> zipfile.ZipFile:
        if self._zip is None:
            self._file.seek(0)
            head = self._file.read(4)
            self._file.seek(0)
            try:
                self._zip = zipfile.ZipFile(self._file)
            except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError):
                if head == b"PK\x03\x04":
                    raise ArchiveError("the file is truncated or damaged: its archive index is missing") from None
                raise ArchiveError("not a Stockroom backup file") from None
        return self._zip

    def read_manifest(self) -> dict[str, Any]:
        archive = self._open_zip()
        try:
            info = archive.getinfo(MANIFEST_NAME)
        except KeyError:
            raise ArchiveError(f"{MANIFEST_NAME} is missing: not a Stockroom backup file") from None
        if info.file_size > MANIFEST_MAX_BYTES:
            raise ArchiveError(f"{MANIFEST_NAME} is too large ({info.file_size} bytes)")
        try:
            with archive.open(info) as stream:
                data = stream.read(MANIFEST_MAX_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
            raise ArchiveError(f"{MANIFEST_NAME} is damaged (its compressed data does not check out)") from None
        if json_nesting(data) > MANIFEST_MAX_DEPTH:
            raise ArchiveError(f"{MANIFEST_NAME} nests deeper than {MANIFEST_MAX_DEPTH} levels: not a Stockroom "
                               f"backup manifest")
        try:
            manifest = json.loads(data)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ArchiveError(f"{MANIFEST_NAME} is not valid JSON") from None
        _check_manifest_shape(manifest)
        self.manifest = manifest
        return manifest

    def member_names(self) -> list[str]:
        return self._open_zip().namelist()

    def member_labels(self) -> list[str]:
        """Models in the archive, in restore order."""
        present = {entry["model"] for entry in (self.manifest or self.read_manifest())["members"].values()}
        return [label for label in known_models() if label in present]

    @contextlib.contextmanager
    def open_member(self, label: str) -> Iterator[BinaryIO]:
        with self._open_zip().open(f"{label}{MEMBER_SUFFIX}") as stream:
            yield stream

    def verify(self) -> VerifyReport:
        try:
            manifest = self.read_manifest()
        except ArchiveError as error:
            return VerifyReport(ok=False, message=str(error), manifest=None,
                                members=[MemberVerdict(MANIFEST_NAME, False, str(error))])
        verdicts = [MemberVerdict(MANIFEST_NAME, True, f"format {manifest['format_version']}")]
        problems = _manifest_problems(manifest)
        if problems:
            verdicts[0] = MemberVerdict(MANIFEST_NAME, False, "; ".join(problems))
        names = set(self.member_names())
        for name in sorted(names - set(manifest["members"]) - {MANIFEST_NAME}):
            verdicts.append(MemberVerdict(name, False, f"{name}: unexpected member, not listed in the manifest"))
        known = set(known_models())
        total_rows = 0
        for name, entry in manifest["members"].items():
            label = entry.get("model")
            if label not in known:
                verdicts.append(MemberVerdict(name, False, f"{name}: unknown model {label!r}"))
                continue
            if name != f"{label}{MEMBER_SUFFIX}":
                verdicts.append(MemberVerdict(name, False, f"{name}: member name does not match its model {label}"))
                continue
            if name not in names:
                verdicts.append(MemberVerdict(name, False, f"{name}: missing from the archive"))
                continue
            message = self._check_member(name, label, entry, manifest["counts"].get(label))
            if message:
                verdicts.append(MemberVerdict(name, False, f"{name}: {message}"))
            else:
                rows = manifest["counts"][label]
                total_rows += rows
                verdicts.append(MemberVerdict(name, True, f"{rows} rows, checksum OK"))
        for label in sorted(set(manifest["counts"]) - {e.get("model") for e in manifest["members"].values()}):
            verdicts.append(MemberVerdict(f"{label}{MEMBER_SUFFIX}", False,
                                          f"{label}{MEMBER_SUFFIX}: counted in the manifest but missing"))
        if self.stored_problem:
            verdicts.insert(0, MemberVerdict("file", False, self.stored_problem))
        failed = [v for v in verdicts if not v.ok]
        if failed:
            message = "; ".join(v.message if v.name in v.message else f"{v.name}: {v.message}" for v in failed[:5])
            if len(failed) > 5:
                message += f"; and {len(failed) - 5} more problems"
            return VerifyReport(ok=False, message=message, manifest=manifest, members=verdicts)
        members = len(manifest["members"])
        return VerifyReport(ok=True, message=f"OK: {members} members, {total_rows} rows verified",
                            manifest=manifest, members=verdicts)

    def _check_member(self, name: str, label: str, entry: dict, count: Any) -> str | None:
        if not isinstance(count, int) or count < 0:
            return "no row count in the manifest"
        size, sha = entry.get("bytes"), entry.get("sha256")
        if not isinstance(size, int) or not isinstance(sha, str):
            return "size or checksum missing from the manifest"
        columns = list(model_spec(label).columns)
        if entry.get("columns") != columns:
            theirs = entry.get("columns") or []
            missing = [c for c in columns if c not in theirs]
            extra = [c for c in theirs if c not in columns]
            return (f"columns differ from this version's {label} (missing {missing or 'none'}, "
                    f"unknown {extra or 'none'})")
        info = self._open_zip().getinfo(name)
        if info.file_size != size:
            return f"size {info.file_size} bytes in the archive, {size} in the manifest"
        digest = hashlib.sha256()
        nesting = RowNestingCheck()
        read = rows = 0
        last = b"\n"
        try:
            with self._open_zip().open(info) as stream:
                while chunk := stream.read(READ_CHUNK):
                    read += len(chunk)
                    if read > size:
                        return f"longer than the {size} bytes the manifest gives"
                    digest.update(chunk)
                    rows += chunk.count(b"\n")
                    last = chunk[-1:]
                    problem = nesting.feed(chunk)
                    if problem:
                        return problem
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            return f"damaged ({error})"
        problem = nesting.finish()
        if problem:
            return problem
        if read != size:
            return f"{read} bytes, the manifest gives {size}"
        if digest.hexdigest() != sha:
            return "checksum mismatch (SHA-256 differs from the manifest)"
        if last != b"\n":
            return "the last row is cut off"
        if rows != count:
            return f"holds {rows} rows, the manifest counts {count}"
        return None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


# --- nesting, measured without parsing -----------------------------------------------------

_KEEP = b'[]{}"\n'
_DROP = bytes(sorted(set(range(256)) - set(_KEEP)))
_STRING = re.compile(rb'"[^"\n]*"')
_SIGNS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def _brackets(data: bytes) -> memoryview:
    """The brackets of JSON text outside its strings, as +1 (opening) and -1 (closing).

    Escaped backslashes and quotes go first, so every quote left starts or ends a string;
    then all but brackets, quotes and newlines; then the strings, most of them "" by then.
    Strings never span lines in JSON, so a broken line cannot hide the next one's brackets.
    """
    text = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    text = text.translate(None, _DROP).replace(b'""', b"")
    if b'"' in text:
        text = _STRING.sub(b"", text)
    return memoryview(text.translate(_SIGNS, b'"\n')).cast("b")


def json_nesting(data: bytes) -> int:
    """How deep the brackets of JSON text nest outside its strings (what parsing it recurses)."""
    return max(accumulate(_brackets(data)), default=0)


class RowNestingCheck:
    """Follows a newline-delimited JSON member as it is read, chunk by chunk, and names the
    first row that nests deeper than ROW_MAX_DEPTH or is longer than ROW_MAX_BYTES."""

    def __init__(self):
        self._pending = b""
        self._rows = 0

    def feed(self, chunk: bytes) -> str | None:
        data = self._pending + chunk
        cut = data.rfind(b"\n") + 1
        self._pending = data[cut:]
        problem = self._check(data[:cut]) if cut else None
        if problem is None and len(self._pending) > ROW_MAX_BYTES:
            problem = f"row {self._rows + 1} is longer than {ROW_MAX_BYTES // (1024 * 1024)} MB"
        return problem

    def finish(self) -> str | None:
        problem = self._check(self._pending) if self._pending else None
        self._pending = b""
        return problem

    def _check(self, lines: bytes) -> str | None:
        signs = _brackets(lines)
        # Rows that each close what they open: the running depth across them is each row's own.
        if max(accumulate(signs), default=0) > ROW_MAX_DEPTH or min(accumulate(signs), default=0) < 0 \
                or sum(signs) != 0:
            for offset, line in enumerate(lines.split(b"\n")):
                if json_nesting(line) > ROW_MAX_DEPTH:
                    return f"row {self._rows + offset + 1} nests deeper than {ROW_MAX_DEPTH} levels"
        self._rows += lines.count(b"\n")
        return None


def _check_manifest_shape(manifest: Any) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ArchiveError(f"{MANIFEST_NAME} is not a Stockroom backup manifest")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ArchiveError(f"{MANIFEST_NAME}: format_version is missing or invalid")
    if version > FORMAT_VERSION:
        raise ArchiveError(f"made by a newer version of Stockroom (format {version}; this version reads format "
                           f"{FORMAT_VERSION} and older)")
    if not isinstance(manifest.get("members"), dict) or not isinstance(manifest.get("counts"), dict):
        raise ArchiveError(f"{MANIFEST_NAME}: the member list or the counts are missing")
    for name, entry in manifest["members"].items():
        if not isinstance(entry, dict):
            raise ArchiveError(f"{MANIFEST_NAME}: the entry for {name} is invalid")
    if not isinstance(manifest.get("sections"), list):
        raise ArchiveError(f"{MANIFEST_NAME}: sections are missing")


def _manifest_problems(manifest: dict[str, Any]) -> list[str]:
    """Migration compatibility: a backup may not hold migrations this version does not know."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    problems = []
    migrations = manifest.get("migrations")
    if not isinstance(migrations, dict):
        return [f"{MANIFEST_NAME}: applied migrations are missing"]
    loader = MigrationLoader(connection, ignore_no_migrations=True, load=False)
    loader.load_disk()
    known = set(loader.disk_migrations)
    for app_label, names in sorted(migrations.items()):
        unknown = [name for name in names if (app_label, name) not in known]
        if unknown:
            problems.append(f"made with migrations this version does not have: {app_label}.{unknown[0]}"
                            + (f" and {len(unknown) - 1} more" if len(unknown) > 1 else ""))
    return problems


# --- opening a source ---------------------------------------------------------------------

@contextlib.contextmanager
def open_archive(source: Any, *, key: bytes | None = None, use_setting_key: bool = True) -> Iterator[ArchiveReader]:
    """Open a backup from a Backup, a path or a binary file object; decrypt it when needed.

    Raises ArchiveError when the file cannot be opened or decrypted.
    """
    from backups.models import Backup
    from backups.storage import backup_file_open

    with contextlib.ExitStack() as stack:
        if isinstance(source, Backup):
            if not source.file_name:
                raise ArchiveError(f"backup {source.pk} has no file")
            try:
                stream = stack.enter_context(backup_file_open(backup=source))
            except (FileNotFoundError, OSError):
                raise ArchiveError(f"the file of backup {source.pk} ({source.file_name}) is missing") from None
        elif isinstance(source, (str, Path)):
            try:
                stream = stack.enter_context(open(source, "rb"))
            except OSError as error:
                raise ArchiveError(f"cannot open {source}: {error.strerror}") from None
        elif hasattr(source, "read"):
            stream = source
            if hasattr(stream, "seek"):
                with contextlib.suppress(OSError, ValueError):
                    stream.seek(0)
        else:
            raise ArchiveError("no backup file given")
        stored_problem = None
        if isinstance(source, Backup) and source.checksum and _seekable(stream):
            digest = hashlib.sha256()
            while chunk := stream.read(READ_CHUNK):
                digest.update(chunk)
            stream.seek(0)
            if digest.hexdigest() != source.checksum:
                stored_problem = (f"the stored file of backup {source.pk} has changed since it was taken "
                                  "(its SHA-256 differs from the one recorded)")
        head = stream.read(len(crypto.MAGIC))
        encrypted = crypto.is_encrypted(head)
        if encrypted:
            if key is None and use_setting_key:
                try:
                    key = crypto.key_from_setting()
                except crypto.CryptoError as error:
                    raise ArchiveError(str(error)) from None
            plain = stack.enter_context(tempfile.TemporaryFile())
            try:
                crypto.decrypt_stream(_Prefixed(head, stream), plain, key=key)
            except crypto.CryptoError as error:
                raise ArchiveError(f"cannot decrypt: {error}") from None
            fileobj = plain
        elif _seekable(stream):
            stream.seek(0)
            fileobj = stream
        else:
            fileobj = stack.enter_context(tempfile.TemporaryFile())
            fileobj.write(head)
            shutil.copyfileobj(stream, fileobj, READ_CHUNK)
        fileobj.seek(0)
        reader = ArchiveReader(fileobj, encrypted=encrypted)
        reader.stored_problem = stored_problem
        try:
            yield reader
        finally:
            reader.close()


def _seekable(stream: Any) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


class _Prefixed:
    """A stream whose first bytes were already read."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self._head = head
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0:
                data, self._head = self._head + self._stream.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            if len(data) < size:
                data += self._stream.read(size - len(data))
            return data
        return self._stream.read(size)
