"""Reading and writing a workspace without following anything the candidate made.

The worker is trusted and often root; the workspace belongs to the candidate's uid, which can plant
a symlink, a FIFO, a device node or a huge file under any name the worker will later open. Every
access here starts from a directory descriptor held since the workspace was made, walks one path
component at a time with `O_NOFOLLOW` (a symlink anywhere on the way is refused), opens with
`O_NONBLOCK` (a FIFO cannot hang the worker) and accepts only regular files, read up to a cap. A
name is relative and has no `..`: nothing can lead outside the directory the descriptor holds.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator

_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
_DIR_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC


class UnsafeWorkspaceFile(OSError):
    """A workspace entry the worker will not read or write: a link, a FIFO, a device, a directory
    where a file was expected, or a name that leaves the workspace. The message says which and why."""


def _components(name: str) -> list[str]:
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if name.startswith("/") or ".." in parts or not parts:
        raise UnsafeWorkspaceFile(errno.EINVAL, f"{name!r} is not a plain relative name inside the workspace")
    return parts


def _open_parent(root_fd: int, parts: list[str]) -> int:
    """A descriptor of the directory holding the last component, every step without following links."""
    fd = os.dup(root_fd)
    try:
        for part in parts[:-1]:
            next_fd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = next_fd
    except OSError as error:
        os.close(fd)
        if error.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafeWorkspaceFile(error.errno, f"{'/'.join(parts)!r}: a link or a file on the way") from None
        raise
    return fd


def _check_regular(name: str, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeWorkspaceFile(errno.EINVAL, f"{name!r} is not a regular file (mode {stat.filemode(info.st_mode)})")
    if info.st_nlink > 1:  # a hard link to a file elsewhere (where fs.protected_hardlinks is off)
        raise UnsafeWorkspaceFile(errno.EMLINK, f"{name!r} has {info.st_nlink} hard links")


def read_beneath(root_fd: int, name: str, limit: int) -> bytes | None:
    """The first `limit` bytes of regular file `name` under `root_fd`; None when it does not exist.
    Raises `UnsafeWorkspaceFile` for anything that is not a regular file reached without a link."""
    parts = _components(name)
    parent = _open_parent(root_fd, parts)
    try:
        fd = os.open(parts[-1], _READ_FLAGS, dir_fd=parent)
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnsafeWorkspaceFile(error.errno, f"{name!r} is a symbolic link") from None
        if error.errno == errno.ENOTDIR:
            return None
        raise
    finally:
        os.close(parent)
    try:
        _check_regular(name, os.fstat(fd))
        chunks, left = [], limit
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def file_size_beneath(root_fd: int, name: str) -> int | None:
    """The size of regular file `name` (None when absent), by the same rules as `read_beneath`."""
    parts = _components(name)
    parent = _open_parent(root_fd, parts)
    try:
        info = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return None
    finally:
        os.close(parent)
    _check_regular(name, info)
    return info.st_size


def list_beneath(root_fd: int, directory: str = ".") -> Iterator[str]:
    """Names of the regular files directly in `directory` (links and everything else skipped)."""
    fd = os.dup(root_fd) if directory in ("", ".") else _open_parent(root_fd, [*_components(directory), "x"])
    try:
        for entry in os.scandir(fd):
            if entry.is_file(follow_symlinks=False):
                yield entry.name
    finally:
        os.close(fd)


def write_beneath(root_fd: int, name: str, data: bytes, mode: int = 0o644) -> None:
    """Create `name` under `root_fd` with `data`. Fails rather than replace or follow an existing
    entry: the caller writes only into a workspace no candidate has run in yet."""
    parts = _components(name)
    parent = _open_parent(root_fd, parts)
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(parts[-1], flags, mode, dir_fd=parent)
    finally:
        os.close(parent)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def make_directory_beneath(root_fd: int, name: str, mode: int = 0o755) -> None:
    """Create directory `name` under `root_fd` (its parents must exist, reached without links)."""
    parts = _components(name)
    parent = _open_parent(root_fd, parts)
    try:
        os.mkdir(parts[-1], mode, dir_fd=parent)
    finally:
        os.close(parent)
