"""write_atomic: whole or not at all; a full disk, Ctrl-C, a read-only file or a link never cost the old file."""

import ast
import errno
import os
import stat
from pathlib import Path

import pytest
from conftest import says
from faults import python_with_full_disk, tiny_disk

from vae_lab import _checks as arguments
from vae_lab import _files as files
from vae_lab._files import write_atomic


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial"))


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("contents, expected", [(b"new \xff bytes", b"new \xff bytes"),
                                               ("new text, été", "new text, été".encode())])
def test_bytes_or_text(tmp_path, contents, expected):
    path = tmp_path / "a.txt"
    assert write_atomic(path, contents) == path
    assert path.read_bytes() == expected and leftovers(tmp_path) == []


def test_a_new_file_gets_the_umask_and_an_old_one_keeps_its_mode(tmp_path):
    old_umask = os.umask(0o022)
    try:
        assert mode(write_atomic(tmp_path / "new.txt", b"x")) == 0o644  # not mkstemp's 0600
        os.umask(0o077)
        assert mode(write_atomic(tmp_path / "private.txt", b"x")) == 0o600
    finally:
        os.umask(old_umask)
    shared = tmp_path / "shared.txt"
    shared.write_bytes(b"old")
    shared.chmod(0o664)
    assert mode(write_atomic(shared, b"new")) == 0o664


@pytest.mark.parametrize("failure", [RuntimeError("unexpected pos"), KeyboardInterrupt()])
def test_a_write_that_fails_halfway_keeps_the_old_file(tmp_path, failure, monkeypatch):
    path = tmp_path / "a.txt"
    path.write_bytes(b"old")

    def fail(descriptor):  # the new bytes are in the temporary file when the flush to the disk fails
        raise failure

    monkeypatch.setattr(files.os, "fsync", fail)
    with pytest.raises(type(failure)) as raised:
        write_atomic(path, b"the new contents")
    assert path.read_bytes() == b"old" and leftovers(tmp_path) == []
    says("".join(raised.value.__notes__), "nothing was written", str(path))


def test_a_full_disk_keeps_the_old_file_and_the_error_names_it(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old" * 100)
    code = f"from vae_lab._files import write_atomic\nwrite_atomic({str(path)!r}, bytes(100_000))"
    result = python_with_full_disk(code, 10_000, cwd=os.getcwd())
    assert result.returncode != 0
    error = result.stderr.strip().splitlines()[-2:]  # the error, then its note
    says(error[0], "OSError", "File too large", str(path))
    says(error[1], "nothing was written", str(path))
    assert ".partial" not in result.stderr
    assert path.read_bytes() == b"old" * 100 and leftovers(tmp_path) == []


def test_a_really_full_tmpfs(tmp_path):
    with tiny_disk(tmp_path / "disk", kib=64) as disk:
        path = disk / "a.bin"
        path.write_bytes(b"old")
        with pytest.raises(OSError) as raised:
            write_atomic(path, bytes(1_000_000))
        says(raised, "no space left", str(path))
        assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(path)
        assert path.read_bytes() == b"old" and leftovers(disk) == []


def test_a_read_only_file_is_refused_even_for_root(tmp_path):
    path = tmp_path / "keep.txt"
    path.write_bytes(b"mine")
    path.chmod(0o444)
    with pytest.raises(PermissionError) as error:
        write_atomic(path, b"theirs")
    says(error, str(path), "read-only", "444", "not replaced", "chmod u+w")
    assert path.read_bytes() == b"mine" and leftovers(tmp_path) == []


def test_a_link_is_written_through_to_its_target(tmp_path):
    target = tmp_path / "real.txt"
    target.write_bytes(b"old")
    link = tmp_path / "link.txt"
    link.symlink_to(target.name)
    assert write_atomic(link, b"new") == link
    assert link.is_symlink() and target.read_bytes() == b"new"


@pytest.mark.parametrize("aimed_at", ["a file", "a read-only file", "nothing", "a folder"])
def test_a_link_is_replaced_not_followed_when_asked(tmp_path, aimed_at):
    """follow_links=False (the model cache): the new file replaces the link itself; its target is never touched."""
    target = tmp_path / "theirs"
    if aimed_at in ("a file", "a read-only file"):
        target.write_bytes(b"old")
        target.chmod(0o444 if aimed_at == "a read-only file" else 0o644)
    if aimed_at == "a folder":
        target.mkdir()
    folder = tmp_path / "cache"
    folder.mkdir()
    link = folder / "entry.pt"
    link.symlink_to(target)
    assert write_atomic(link, b"new", follow_links=False) == link
    assert not link.is_symlink() and link.read_bytes() == b"new" and leftovers(folder) == []
    assert target.exists() == (aimed_at != "nothing") and (not target.is_file() or target.read_bytes() == b"old")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["cache"] + (["theirs"] if target.exists() else []))


def test_a_folder_or_a_missing_folder_is_named(tmp_path):
    with pytest.raises(IsADirectoryError) as error:
        write_atomic(tmp_path, b"x")
    says(error, str(tmp_path), "folder")
    with pytest.raises(FileNotFoundError) as error:
        write_atomic(tmp_path / "no" / "a.txt", b"x")
    says(error, str(tmp_path / "no"), "does not exist", "create")


def test_write_atomic_and_file_path_speak_of_folders_alike(tmp_path):
    """The two refusals are written once (files.refuse_place): the same sentence, naming what was given."""
    messages = []
    for call in (lambda p: write_atomic(p, b"x"), lambda p: arguments.file_path("path", p)):
        for place in (tmp_path, tmp_path / "no" / "a.txt"):
            with pytest.raises((OSError, ValueError)) as raised:
                call(place)
            messages.append(str(raised.value))
    says(messages[0], str(tmp_path), "folder")
    says(messages[2], "path", str(tmp_path), "folder")  # file_path names the argument too
    assert messages[0].split(str(tmp_path), 1)[1] == messages[2].split(repr(str(tmp_path)), 1)[1]
    says(messages[1], str(tmp_path / "no"), "does not exist")
    assert messages[1].split(":", 1)[1] == messages[3].split(":", 1)[1]  # "the folder ... does not exist. Create it"


def test_an_unwritable_folder_names_the_target_not_the_temporary_file(tmp_path, monkeypatch):
    def refused(name, *args):
        raise PermissionError(errno.EACCES, "Permission denied", str(name))

    monkeypatch.setattr(files.os, "open", refused)  # as a folder without write permission (root is never refused)
    with pytest.raises(PermissionError) as raised:
        write_atomic(tmp_path / "a.txt", b"x")
    assert raised.value.filename == str(tmp_path / "a.txt") and ".partial" not in str(raised.value)
    says(raised, "permission denied", str(tmp_path / "a.txt"))
    says(raised.value.__notes__[0], "unchanged")  # the file there before, if any


def test_contents_of_another_type_are_refused(tmp_path):
    with pytest.raises(TypeError) as error:
        write_atomic(tmp_path / "a.txt", 3)
    says(error, "contents", "bytes", "str", "int")
    assert leftovers(tmp_path) == [] and not (tmp_path / "a.txt").exists()


def test_it_is_the_lowest_floor():
    tree = ast.parse(Path(files.__file__).read_text())
    imported = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert not any(isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("vae_lab"))
                   for node in imported)
    assert not any(alias.name.startswith("vae_lab") for node in imported for alias in node.names)
