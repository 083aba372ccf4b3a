"""One safe way to write a file: whole or not at all, never half.

``write_atomic(path, contents)`` writes to a new temporary file in the target's own
folder, flushes it to the disk (fsync) and renames it over the target, which POSIX
does in one step: readers see the old file or the new one, never part of one. On any
failure (a full disk, Ctrl-C) the temporary file is
removed, the old file is left as it was, and the error names the target.

It imports nothing from vae_lab, so that every writer of the library can use it.
"""

import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

NEW_FILE_MODE = 0o666  # before the umask: 0644 with the usual umask 022, as open(path, "w") gives


def write_atomic(path: str | os.PathLike, contents: bytes | str, *,
                 before_replace: Callable[[], None] | None = None, follow_links: bool = True) -> Path:
    """Write ``contents`` to ``path`` atomically; return ``path``.

    Args:
        path: the file to write. A symbolic link is written through (its target is replaced, the link stays)
            unless ``follow_links`` is False; an existing file keeps its permissions, a new one gets the user's
            umask (0644 by default).
        contents: the bytes, or a str (written as UTF-8).
        before_replace: called once the contents are on the disk, just before the rename; an exception it raises
            (e.g. "the target changed meanwhile") leaves the target as it is and removes the temporary file.
        follow_links: False: a link at ``path`` is never followed: the new file replaces the link itself (the
            rename replaces whatever is at ``path`` then, a link made meanwhile included) and its target is left
            as it was. The folders above ``path`` are followed either way.

    Raises:
        PermissionError: ``path`` is read-only (no write permission for anyone, or none for this user).
        OSError: the file could not be written (full disk, missing folder...): its ``filename`` is ``path``
            (never the temporary file) and the file there before, if any, is unchanged.
    """
    if follow_links:
        target = Path(os.path.realpath(path))
        mode = writable_mode(target, path)
    else:
        target = Path(os.path.realpath(os.path.dirname(os.path.abspath(path)))) / os.path.basename(path)
        mode = None if target.is_symlink() else writable_mode(target, path)  # a link is replaced like a new file
    temporary = None
    try:
        temporary, handle = create_temporary(target)
        with os.fdopen(handle, "wb") as file:
            write_contents(file, contents)
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        if before_replace is not None:
            before_replace()
        os.replace(temporary, target)
    except OSError as error:
        remove(temporary)
        raise renamed(error, path) from error
    except BaseException as error:  # Ctrl-C, or any other error: leave no temporary file behind
        remove(temporary)
        error.add_note(f"Nothing was written to {path}; the file there before, if any, is unchanged.")
        raise
    return Path(path)


def writable_mode(target: Path, given: str | os.PathLike) -> int | None:
    """The permission bits ``target`` has now (None if it does not exist); refuse a folder or a read-only file."""
    refuse_place(target, given)
    if not target.exists():
        return None
    mode = stat.S_IMODE(target.stat().st_mode)
    # root may write anywhere, so the mode bits are checked too: chmod 444 means "keep this file" for everyone
    if not os.access(target, os.W_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise PermissionError(f"{given} is read-only (mode {mode:o}), so it was not replaced. Make it writable "
                              f"(chmod u+w {given}) or write to another file name.")
    return mode


def refuse_place(target: Path, given: object, folder_error: type[Exception] = IsADirectoryError) -> None:
    """Refuse a folder given for a file (``folder_error``), or a file whose folder does not exist
    (FileNotFoundError), in a sentence that names ``given`` and says what to do instead."""
    if target.is_dir():
        raise folder_error(f"{given} is a folder; give the name of a file inside it.")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"Cannot write {given}: the folder {target.parent} does not exist. Create it first.")


def create_temporary(target: Path) -> tuple[Path, int]:
    """A new, empty, hidden file beside ``target`` and its open descriptor; the kernel applies the umask to it."""
    for _ in range(100):
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
        try:
            return temporary, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE)
        except FileExistsError:
            continue
    raise FileExistsError(f"Could not create a temporary file beside {target}: 100 names were taken.")


def write_contents(file: BinaryIO, contents: bytes | str) -> None:
    """Write bytes, or text as UTF-8."""
    if isinstance(contents, str):
        contents = contents.encode("utf-8")
    if not isinstance(contents, (bytes, bytearray, memoryview)):
        raise TypeError(f"contents must be bytes or a str, got {type(contents).__name__}.")
    file.write(contents)


def remove(temporary: Path | None) -> None:
    """Delete the temporary file, if it was created."""
    if temporary is not None:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass  # the original error is the one to report


def renamed(error: OSError, path: str | os.PathLike) -> OSError:
    """An error of the same kind whose file name is ``path``, not the temporary file's, as in
    ``[Errno 28] No space left on device: 'outputs/page.html'``; a note says that the old file is unchanged."""
    try:
        new = type(error)(error.errno, error.strerror or str(error), str(path))
    except TypeError:  # an OSError subclass with a constructor of its own
        new = OSError(error.errno, error.strerror or str(error), str(path))
    new.add_note(f"Nothing was written to {path}; the file there before, if any, is unchanged.")
    return new
