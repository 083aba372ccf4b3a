"""Faults the tests inject: a full disk (a file-size limit, or a tiny tmpfs where mounting is allowed)."""

import contextlib
import resource
import signal
import subprocess
import sys

import pytest


def file_size_limit(max_bytes: int):
    """A ``preexec_fn`` that makes every file the child writes stop at ``max_bytes`` (EFBIG), as a full disk does.

    SIGXFSZ is ignored in the child, so that the write fails with an error instead of killing the process.
    """
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    return limit


def python_with_full_disk(code: str, max_bytes: int, cwd, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -c code`` with files limited to ``max_bytes``; its stdout and stderr as text."""
    return subprocess.run([sys.executable, "-c", code], preexec_fn=file_size_limit(max_bytes), cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


@contextlib.contextmanager
def tiny_disk(folder, kib: int = 64, read_only: bool = False):
    """``folder`` as a ``kib``-KiB tmpfs for the duration (a really full disk: ENOSPC), or an empty read-only one (which
    even root cannot write); skip where mount is refused."""
    folder.mkdir(exist_ok=True)
    options = f"size={kib}k" + (",ro" if read_only else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root); the RLIMIT_FSIZE tests cover a full disk")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)
