"""Where an export's files are: a zip (read in memory, never extracted) or a folder tree.

Both are searched recursively; file names match case-insensitively with spaces and
underscores alike; when a file appears twice (a nested copy) the first in sorted path order
wins. Every read is bounded by :class:`ReadLimits`, counted on the bytes actually produced.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import stat
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from adviser_analytics.errors import BadExportError

from .layouts import CANONICAL_NAMES, kind_of
from .limits import ReadLimits, human_size

_CHUNK = 1 << 20
_EXPORT_DATE = re.compile(r"_(\d{1,2})-(\d{1,2})-(\d{4})(?!\d)")

GIVE_EXPORT = ("Give this tool the .zip file you downloaded from LinkedIn (Settings, Data "
               "privacy, Get a copy of your data), or the folder you unzipped it into")
REDOWNLOAD_ZIP = ("Download the export again from LinkedIn (the download link lasts 72 hours; "
                  "otherwise request a new copy under Settings, Data privacy, Get a copy of "
                  "your data) and give this tool the new zip")


def clean_member_name(name: str) -> str | None:
    """A zip member name as a safe relative POSIX path, or ``None`` to ignore the member."""
    name = name.replace("\\", "/")
    if not name or name.endswith("/") or name.startswith("/") or "\x00" in name:
        return None
    if re.match(r"^[A-Za-z]:", name):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts) or parts[0] == "__MACOSX":
        return None
    return "/".join(parts)


def _sort_key(name: str):
    return PurePosixPath(name).parts


def choose_files(names) -> dict[str, str]:
    """kind -> relative name, the first in sorted path order when a kind appears twice."""
    chosen: dict[str, str] = {}
    for name in sorted(names, key=_sort_key):
        kind = kind_of(name.rsplit("/", 1)[-1])
        if kind and kind not in chosen:
            chosen[kind] = name
    return chosen


def export_date_from(*names: str) -> dt.date | None:
    """The date in a ``..._MM-DD-YYYY`` name, from the first of ``names`` that has one."""
    for name in names:
        for match in _EXPORT_DATE.finditer(name or ""):
            month, day, year = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                continue
    return None


class Digest:
    """A SHA-256 hex digest, possibly still being computed in a background thread (hashing
    releases the GIL, so a large file is hashed while it is parsed)."""

    def __init__(self, value: str | None = None):
        self._value = value
        self._thread: threading.Thread | None = None

    @classmethod
    def in_background(cls, data) -> Digest:
        digest = cls()
        if len(data) < _CHUNK:
            digest._value = hashlib.sha256(data).hexdigest()
            return digest

        def work():
            digest._value = hashlib.sha256(data).hexdigest()

        digest._thread = threading.Thread(target=work, name="sha256", daemon=True)
        digest._thread.start()
        return digest

    def hexdigest(self) -> str:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        assert self._value is not None
        return self._value


class Source:
    """A zip or folder being read; use as a context manager."""

    display: str
    names: list[str]

    def __init__(self, path: Path, limits: ReadLimits):
        self.path = path
        self.limits = limits
        self.total = 0

    def where(self, name: str) -> str:
        """How a file is named in messages to the adviser."""
        return f"{name} in {self.display}"

    def read(self, name: str, *, keep: bool = True) -> tuple[bytes | bytearray, Digest]:
        """``(bytes, sha256)`` of a file; with ``keep=False`` the bytes are left empty."""
        raise NotImplementedError  # pragma: no cover - abstract

    def stream(self, name: str, digest, piece: int = 16 * _CHUNK) -> Iterator[bytes]:
        """The bytes of a file in pieces of about ``size`` bytes, never the whole file at
        once, under the same limits as :meth:`read`; ``digest`` (a ``hashlib`` object) is
        updated with every piece (``piece``: bytes asked for at a time)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _too_big(self, name: str, size: int) -> BadExportError:
        return BadExportError(
            f"this file is larger than the safety limit of "
            f"{human_size(self.limits.max_file_bytes)} ({human_size(size)} or more), far "
            "larger than any LinkedIn export file", file=self.where(name),
            what_to_do=REDOWNLOAD_ZIP)

    def _count(self, name: str, size: int) -> None:
        if size > self.limits.max_file_bytes:
            raise self._too_big(name, size)
        if self.total + size > self.limits.max_total_bytes:
            raise BadExportError(
                f"the files of this export add up to more than the safety limit of "
                f"{human_size(self.limits.max_total_bytes)}", file=self.where(name),
                what_to_do=REDOWNLOAD_ZIP)

    def _pieces(self, handle, digest, piece: int,
                check: Callable[[int], None]) -> Iterator[bytes]:
        """The bytes of an open ``handle`` in pieces of ``piece`` bytes, each added to
        ``digest`` after ``check`` has seen the size read so far (it raises to stop the
        read); the bytes count towards the export's total once the file is read through."""
        size = 0
        while chunk := handle.read(piece):
            size += len(chunk)
            check(size)
            digest.update(chunk)
            yield chunk
        self.total += size


class ZipSource(Source):
    def __init__(self, path: Path, limits: ReadLimits):
        super().__init__(path, limits)
        self.display = path.name
        try:
            self.archive_size = path.stat().st_size
            self.zip = zipfile.ZipFile(path)
            infos = self.zip.infolist()
        except BadExportError:
            raise
        except Exception as exc:  # zipfile parses hostile bytes: any failure means "corrupt"
            raise self._corrupt(exc) from None
        if len(infos) > limits.max_entries:
            self.zip.close()
            raise BadExportError(
                f"this zip lists {len(infos)} files, far more than a LinkedIn export "
                f"(the safety limit is {limits.max_entries})", file=self.display,
                what_to_do=GIVE_EXPORT)
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = clean_member_name(info.filename)
            if name is not None and not info.is_dir() and name not in self.infos:
                self.infos[name] = info
        self.names = list(self.infos)

    def _corrupt(self, exc: BaseException) -> BadExportError:
        if isinstance(exc, zipfile.BadZipFile) and "not a zip file" in str(exc).lower():
            problem = ("this file is not a zip archive (or only its first part was "
                       "downloaded)")
        elif isinstance(exc, PermissionError):
            return BadExportError("this file cannot be opened: permission denied",
                                  file=self.display,
                                  what_to_do="Check the file's permissions, or copy it to "
                                             "your own folder first")
        else:
            problem = "this zip file is damaged or incomplete (the download may have been cut off)"
        return BadExportError(problem, file=self.display, what_to_do=REDOWNLOAD_ZIP)

    def read(self, name: str, *, keep: bool = True) -> tuple[bytearray, Digest]:
        digest = hashlib.sha256()
        buffer = bytearray()
        for chunk in self.stream(name, digest, _CHUNK):
            if keep:
                buffer += chunk
        return buffer, Digest(digest.hexdigest())

    def stream(self, name: str, digest, piece: int = 16 * _CHUNK) -> Iterator[bytes]:
        info = self.infos[name]
        limits = self.limits
        if info.flag_bits & 0x1:
            raise BadExportError("this file in the zip is password-protected",
                                 file=self.where(name), what_to_do=REDOWNLOAD_ZIP)
        if info.file_size > limits.max_file_bytes:
            raise self._too_big(name, info.file_size)
        # The compressed bytes a member can really use are bounded by the archive itself.
        compressed = max(1, min(info.compress_size, self.archive_size))

        def check(size: int) -> None:
            self._count(name, size)
            if size > limits.ratio_min_bytes and size > limits.max_ratio * compressed:
                raise BadExportError(
                    f"this file unpacks to more than {limits.max_ratio:g} times its "
                    f"packed size ({human_size(size)} from {human_size(compressed)} "
                    "so far), which is how a 'zip bomb' looks, not a LinkedIn export; "
                    "it was not unpacked further", file=self.where(name),
                    what_to_do=REDOWNLOAD_ZIP)

        try:
            with self.zip.open(info) as member:
                yield from self._pieces(member, digest, piece, check)
        except BadExportError:
            raise
        except Exception as exc:  # hostile bytes inside zipfile/zlib
            raise BadExportError(
                "this file in the zip is damaged or incomplete (the download may have been "
                "cut off)", file=self.where(name), what_to_do=REDOWNLOAD_ZIP) from exc

    def close(self) -> None:
        try:
            self.zip.close()
        except Exception:  # pragma: no cover - closing a damaged zip
            pass


class FolderSource(Source):
    """A folder tree. Links are never followed out of it: a linked folder is not entered, a
    link to a file inside the folder is read like the file, and a link to a file outside is
    left out (``outside``); when that file is one this tool reads (``messages.csv`` ...),
    reading the export stops with a message naming the link, rather than quietly leaving the
    file out or reading a file that is not part of the export."""

    def __init__(self, path: Path, limits: ReadLimits):
        super().__init__(path, limits)
        self.root = Path(os.path.realpath(path))
        self.display = self.root.name or str(path)
        self.names = []
        self.outside: list[str] = []
        stack = [""]
        seen = 0
        while stack:
            relative = stack.pop()
            try:
                with os.scandir(path / relative if relative else path) as entries:
                    for entry in entries:
                        seen += 1
                        if seen > limits.max_entries:
                            raise BadExportError(
                                f"this folder holds more than {limits.max_entries} files and "
                                "folders, far more than a LinkedIn export", file=str(path),
                                what_to_do=GIVE_EXPORT)
                        child = f"{relative}/{entry.name}" if relative else entry.name
                        if entry.is_dir(follow_symlinks=False):
                            if entry.name != "__MACOSX":
                                stack.append(child)
                        elif entry.is_file():
                            if entry.is_symlink() and not self._inside(path / child):
                                self.outside.append(child)
                            else:
                                self.names.append(child)
            except OSError:
                continue  # an unreadable sub-folder holds nothing this tool can use
        for child in self.outside:
            if kind_of(child.rsplit("/", 1)[-1]):
                raise self._link_out(child)

    def _inside(self, full: Path) -> bool:
        """Whether ``full``, links resolved, is inside the export folder."""
        real = os.path.realpath(full)
        return os.path.commonpath([real, self.root]) == str(self.root)

    def _link_out(self, name: str) -> BadExportError:
        return BadExportError(
            "this is a link to a file outside the export folder, and this tool reads only what "
            "is inside the export", file=self.where(name),
            what_to_do="Copy the file itself into the export folder in place of the link, or "
                       "give this tool the .zip you downloaded from LinkedIn")

    @contextlib.contextmanager
    def _open(self, name: str):
        """``(handle, size)`` of a regular file inside the folder, counted against the limits;
        a failure to read it, then or while it is read, is worded for the adviser."""
        full = self.path / name
        if not self._inside(full):  # (swapped for a link since the folder was listed)
            raise self._link_out(name)
        try:
            with open(full, "rb") as handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode):
                    raise BadExportError("this is not a regular file", file=self.where(name),
                                         what_to_do=GIVE_EXPORT)
                self._count(name, info.st_size)
                yield handle, info.st_size
        except OSError as exc:
            raise BadExportError(f"this file cannot be read ({exc.strerror or exc})",
                                 file=self.where(name),
                                 what_to_do="Check the file's permissions and that the disk is "
                                            "readable, then try again") from None

    def _changed(self, name: str) -> BadExportError:
        return BadExportError("this file changed while it was being read",
                              file=self.where(name),
                              what_to_do="Close any program writing to it and try again")

    def read(self, name: str, *, keep: bool = True) -> tuple[bytes, Digest]:
        with self._open(name) as (handle, size):
            if not keep:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
                self.total += size
                return b"", Digest(digest)
            data = handle.read(size + 1)
        if len(data) > size:
            raise self._changed(name)
        self.total += len(data)
        return data, Digest.in_background(data)

    def stream(self, name: str, digest, piece: int = 16 * _CHUNK) -> Iterator[bytes]:
        with self._open(name) as (handle, expected):

            def check(size: int) -> None:
                if size > expected:
                    raise self._changed(name)

            yield from self._pieces(handle, digest, piece, check)


def open_source(path, limits: ReadLimits) -> Source:
    """The zip or folder at ``path``; :class:`BadExportError` when it is neither."""
    try:
        path = Path(path)
        exists = path.exists()
    except (OSError, ValueError, TypeError):
        exists = False
    if not exists:
        raise BadExportError("there is no file or folder at this path", file=str(path),
                             what_to_do="Check the path for typing mistakes; then g" + GIVE_EXPORT[1:])
    if path.is_dir():
        return FolderSource(path, limits)
    if not path.is_file():
        raise BadExportError("this is neither a zip file nor a folder", file=str(path),
                             what_to_do=GIVE_EXPORT)
    if kind_of(path.name):
        raise BadExportError(
            "this is a single file of an export, not the whole export", file=str(path),
            what_to_do="Give this tool the folder that holds it, or the .zip you downloaded "
                       "from LinkedIn")
    return ZipSource(path, limits)


def describe_missing() -> str:
    names = ", ".join(CANONICAL_NAMES[k] for k in ("connections", "messages", "invitations",
                                                   "profile"))
    return f"it holds none of {names}"
