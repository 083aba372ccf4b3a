"""JupyterLab and RISE driven in headless Chromium: what tests/test_jupyterlab.py and benchmarks/jupyterlab.py share.

``jupyter_lab(folder)`` starts a real JupyterLab server on a free local port with a token; ``browser()`` gives a
playwright page in Debian's Chromium (playwright's own browser download is not needed) whose every request to
another machine is refused, so that what works here works in a classroom without internet. ``run_all`` clicks
Run ▸ Run All Cells as a student does; ``slide_fits`` walks a notebook's RISE slides at 1280 × 720.
"""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlparse

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREEN = {"width": 1280, "height": 720}  # a projector
LOCAL = ("127.0.0.1", "localhost")

# The ink of the slide on screen: text (by ranges, not by the boxes around it) and pictures that are visible.
# A slide fits when all of it lies within the window.
MEASURE = """() => {
  const slides = [...document.querySelectorAll('.reveal .slides section.present')];
  const slide = slides.filter(s => !s.querySelector('section'))[0];
  if (!slide) return null;
  let top = Infinity, bottom = -Infinity, left = Infinity, right = -Infinity;
  const add = r => {
    if (r.width <= 0 || r.height <= 0) return;
    top = Math.min(top, r.top); bottom = Math.max(bottom, r.bottom);
    left = Math.min(left, r.left); right = Math.max(right, r.right);
  };
  const shown = el => {
    for (let e = el; e && e !== slide; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || s.opacity === '0') return false;
    }
    return true;
  };
  const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim() || !shown(node.parentElement)) continue;
    const range = document.createRange(); range.selectNodeContents(node);
    for (const r of range.getClientRects()) add(r);
  }
  for (const el of slide.querySelectorAll('img, svg, canvas, video')) if (shown(el)) add(el.getBoundingClientRect());
  return {slide: location.hash, top, bottom, left, right, width: innerWidth, height: innerHeight,
          text: slide.innerText.trim().slice(0, 70).replace(/\\s+/g, ' ')};
}"""
NO_MOTION = "*, *::before, *::after { transition: none !important; animation: none !important; }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter_lab(folder: Path, log: Path, env: dict | None = None):
    """A JupyterLab server for ``folder``; yields ``(base URL, token)`` once it answers, stops it (and its kernels)."""
    port, token = free_port(), os.urandom(8).hex()
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
               "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               f"--LabApp.workspaces_dir={log.parent / 'workspaces'}"]  # not the user's saved tabs
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI's container runs as root
    with open(log, "w") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"jupyter lab stopped at start (exit {server.returncode}); see {log}") from None
                time.sleep(0.5)
        else:
            raise RuntimeError(f"jupyter lab did not answer in 120 s; see {log}")
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


@contextlib.contextmanager
def browser(executable: str | None = None):
    """A playwright page at 1280 × 720 in Chromium (``executable``, else CHROMIUM); requests to any other machine are
    refused and counted."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable or CHROMIUM,
                                              args=["--no-sandbox", "--disable-gpu"])
        try:
            context = chromium.new_context(viewport=SCREEN)
            page = context.new_page()
            page.refused = []

            def route(r):
                host = urlparse(r.request.url).hostname
                if r.request.url.startswith(("data:", "blob:", "file:")) or host in LOCAL:
                    return r.continue_()
                page.refused.append(r.request.url)
                return r.abort()

            context.route("**/*", route)
            yield page
        finally:
            chromium.close()


def session(base: str, token: str, name: str) -> dict | None:
    """The server's session of notebook ``name`` (its kernel's state in ``["kernel"]["execution_state"]``)."""
    with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=5) as answer:
        return next((s for s in json.load(answer) if s["path"] == name), None)


def wait_idle(page, base: str, token: str, name: str, timeout: float) -> float:
    """Seconds until ``name``'s kernel is idle with no cell waiting (``[*]``), checked twice in a row."""
    start, calm = time.perf_counter(), 0
    while time.perf_counter() - start < timeout:
        found = session(base, token, name)
        idle = found is not None and found["kernel"]["execution_state"] == "idle"
        calm = calm + 1 if idle and page.locator(".jp-InputPrompt:has-text('[*]')").count() == 0 else 0
        if calm == 2:
            return time.perf_counter() - start
        page.wait_for_timeout(250)
    raise TimeoutError(f"{name}: the kernel was still busy after {timeout:.0f} s")


def open_notebook(page, base: str, token: str, name: str) -> None:
    """``name`` (a path under the server's root) open in JupyterLab, its kernel started and idle."""
    page.goto(f"{base}/lab/tree/{quote(name)}?token={token}&reset")  # reset: this notebook alone, no earlier tabs
    page.wait_for_selector(".jp-Notebook .jp-Cell:visible", timeout=120_000)
    select = page.locator(".jp-Dialog button:has-text('Select')")  # "Select Kernel", asked on some starts
    with contextlib.suppress(Exception):
        select.click(timeout=5_000)
    wait_idle(page, base, token, name, timeout=120)


def run_all(page, base: str, token: str, name: str, timeout: float = 900) -> float:
    """Run ▸ Run All Cells from JupyterLab's menu; the seconds until the kernel is idle with no cell waiting."""
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
    start = time.perf_counter()
    page.wait_for_timeout(500)
    wait_idle(page, base, token, name, timeout)
    return time.perf_counter() - start


def shut_down(base: str, token: str, name: str) -> None:
    """Stop ``name``'s kernel (each holds its models in memory), as File ▸ Close and Shut Down Notebook does."""
    found = session(base, token, name)
    if found:
        request = urllib.request.Request(f"{base}/api/sessions/{found['id']}?token={token}", method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


def save(page) -> None:
    """File ▸ Save, waited for: the notebook on disk then holds what the browser shows."""
    page.keyboard.press("Control+s")
    page.wait_for_selector(".jp-mod-dirty", state="detached", timeout=60_000)


def errors(path: Path) -> list[str]:
    """The error outputs of a saved notebook, and its code cells that did not run, a line each."""
    notebook = json.loads(path.read_text())
    found = []
    for number, cell in enumerate((c for c in notebook["cells"] if c["cell_type"] == "code"), 1):
        if not "".join(cell["source"]).strip():
            continue
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                found.append(f"{path.name} code cell {number}: {output['ename']}: {output['evalue'][:200]}")
        if cell.get("execution_count") is None:
            found.append(f"{path.name} code cell {number} did not run")
    return found


def slide_fits(page, base: str, token: str, name: str, limit: int = 400) -> list[dict]:
    """Each slide and sub-slide of ``name`` as RISE shows it, measured: where its text and pictures lie."""
    page.goto(f"{base}/rise/{quote(name)}?token={token}")
    page.wait_for_selector(".reveal .slides section.present", timeout=120_000)
    page.add_style_tag(content=NO_MOTION)
    page.wait_for_timeout(1500)  # figures and formulas settle
    seen = []
    for _ in range(limit):
        measured = page.evaluate(MEASURE)
        if measured and (not seen or measured["slide"] != seen[-1]["slide"]):
            seen.append(measured)
        before = page.evaluate("() => location.hash + '|' + document.querySelectorAll('.fragment.visible').length")
        page.keyboard.press("Space")  # the next fragment, sub-slide or slide
        page.wait_for_timeout(120)
        if page.evaluate("() => location.hash + '|' + document.querySelectorAll('.fragment.visible').length") == before:
            page.wait_for_timeout(600)  # a slow slide, or the end: look again
            if page.evaluate("() => location.hash + '|' + document.querySelectorAll('.fragment.visible').length") \
                    == before:
                break
    return seen


def overflows(measured: dict, margin: float = 2) -> bool:
    return (measured["top"] < -margin or measured["bottom"] > measured["height"] + margin
            or measured["left"] < -margin or measured["right"] > measured["width"] + margin)
