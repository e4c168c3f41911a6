"""Writing output files safely (level 0): regular files only, no symlink surprises, the umask respected.

:func:`write_file` is what every command that writes a file uses (``export``,
``plot``, …):

* it writes only regular files: a FIFO, a device node, a socket or a directory
  at the path is refused with a one-line :class:`~rfsym.RfsymError`, with or
  without ``force``;
* it never follows or replaces a symbolic link, dangling or not;
* an existing regular file is replaced only with ``force``; without it the
  file is created atomically (``os.link`` of a complete temporary file, which
  fails if the name appeared in between);
* the data goes to a temporary file in the same directory first and is renamed
  into place, so a reader never sees half a file; the new file gets mode
  ``0o666 & ~umask`` (an overwritten file keeps its permission bits);
* every ``OSError`` (empty name, missing or unwritable directory, name too
  long, disk full) becomes one line naming the path.

:func:`write_stdout` writes to standard output and turns a closed stdout or
a full device into the same kind of one-line error.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile

from ._display import term_text
from .errors import RfsymError

__all__ = ["write_file", "write_stdout"]

_KIND = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _why(e: OSError) -> str:
    if e.errno == errno.ENAMETOOLONG:
        return "file name too long"
    return e.strerror or str(e)


def _check_target(path: str, force: bool) -> os.stat_result | None:
    """The lstat of an existing regular file that may be replaced, None when there is none; else raise."""
    shown = term_text(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise RfsymError(f"{shown}: cannot write ({_why(e)})") from None
    if stat.S_ISLNK(st.st_mode):
        raise RfsymError(f"{shown}: is a symbolic link; not writing through it (remove it or choose another name)")
    for test, kind in _KIND:
        if test(st.st_mode):
            raise RfsymError(f"{shown}: is {kind}, not a regular file; not writing to it")
    if not stat.S_ISREG(st.st_mode):
        raise RfsymError(f"{shown}: is not a regular file; not writing to it")
    if not force:
        raise RfsymError(f"{shown}: file exists (use --force to overwrite)")
    return st


def write_file(path: str | os.PathLike[str], data: str | bytes, *, force: bool = False) -> None:
    """Write ``data`` (str as UTF-8) to ``path``: see the module docstring for what is refused."""
    path = os.fspath(path)
    shown = term_text(path)
    if not path:
        raise RfsymError("output file name is empty")
    if "\x00" in path:
        raise RfsymError(f"{shown}: a file name cannot contain a NUL character")
    existing = _check_target(path, force)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise RfsymError(f"{shown}: directory {term_text(folder)} does not exist")
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=".rfsym-", suffix=".tmp", dir=folder)
    except OSError as e:
        raise RfsymError(f"{shown}: cannot write in {term_text(folder)} ({_why(e)})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            f.write(raw)
        if existing is None:
            _link_new(tmp, path)
        else:
            _check_target(path, force)  # still a regular file (not swapped for a link or a FIFO)
            os.replace(tmp, path)
    except FileExistsError:
        raise RfsymError(f"{shown}: file exists (it appeared while writing; use --force to overwrite)") from None
    except OSError as e:
        raise RfsymError(f"{shown}: cannot write ({_why(e)})") from None
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def _link_new(tmp: str, path: str) -> None:
    """Give the complete temporary file its name, failing if the name exists (no clobbering)."""
    try:
        os.link(tmp, path)  # atomic: FileExistsError if something appeared at the path meanwhile
    except FileExistsError:
        raise
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if os.path.lexists(path):  # a file system without hard links: check, then rename
            raise FileExistsError(errno.EEXIST, "file exists", path) from None
        os.rename(tmp, path)
        return
    os.unlink(tmp)


def write_stdout(text: str) -> None:
    """Write ``text`` to standard output and flush; a closed or failing stdout is a one-line RfsymError."""
    stream = sys.stdout
    if stream is None:
        raise RfsymError("cannot write to standard output: it is closed")
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as e:
        why = _why(e) if isinstance(e, OSError) else "it is closed"
        _silence_stdout()
        raise RfsymError(f"cannot write to standard output ({why})") from None


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so that the interpreter's final flush does not print a second error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
