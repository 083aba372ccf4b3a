"""The notebooks' structure: what nbval cannot see when it runs them (CI runs them with nbval too)."""

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
# With the Vietnamese edition (notebooks/vi/), for the rules that hold in any language; its slides' word count is
# not (Vietnamese writes a word in several syllables): RISE's walk in tests/test_jupyterlab.py measures that they fit.
EVERY = NOTEBOOKS + sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("vi/*.ipynb"))
LECTURE = NOTEBOOKS[0].parent / "01_lecture_vae.ipynb"  # the one notebook that follows the video
PREWORK = NOTEBOOKS[0].parent / "00_prework_autoencoder.ipynb"
LECTURE_LENGTH = 21 * 60 + 9  # seconds: the transcript ends at 0:21:09
# Tags that make nbval skip a cell or expect it to fail; JupyterLab's Run All honours no tag.
EXECUTION_TAGS = {"raises-exception", "nbval-raises-exception", "nbval-skip", "skip-execution"}
TIME = r"(\d):(\d\d):(\d\d)"


def cells(path):
    return nbformat.read(path, as_version=4).cells


def seconds(hours, minutes, secs):
    return int(hours) * 3600 + int(minutes) * 60 + int(secs)


@pytest.mark.parametrize("path", EVERY, ids=lambda p: p.parent.name + "/" + p.name)
def test_run_all_never_stops_so_nbval_runs_what_jupyterlab_runs(path):
    """With no tag that nbval honours and JupyterLab does not, nbval's run of a notebook is JupyterLab's Run All."""
    tagged = [(i, t) for i, c in enumerate(cells(path)) if (t := EXECUTION_TAGS & set(c.metadata.get("tags", [])))]
    assert tagged == []
    assert not any("NotImplementedError" in c.source for c in cells(path) if c.cell_type == "code")


@pytest.mark.parametrize("path", EVERY, ids=lambda p: p.parent.name + "/" + p.name)
def test_exercise_cells_mark_their_solution(path):
    for cell in cells(path):
        if "exercise" in cell.metadata.get("tags", []):
            assert "# BEGIN SOLUTION" in cell.source and "# END SOLUTION" in cell.source, cell.source


def lecture_spans(path):
    """(start, end) in seconds of each section heading that names a stretch of the video, in the notebook's order."""
    spans = []
    for cell in cells(path):
        heading = next((line for line in cell.source.splitlines() if line.startswith("## ")), "")
        for span in re.findall(rf"Lecture {TIME}–{TIME}", heading):
            spans.append((seconds(*span[:3]), seconds(*span[3:]), cell))
    return spans


def test_one_notebook_follows_the_video_in_its_order():
    """The lecture notebook's sections name the video's stretches from 0:00:14 to 0:21:09, in the order it plays them,
    each with a Vietnamese line; no other notebook has a heading with a lecture time."""
    assert [path.name for path in NOTEBOOKS if lecture_spans(path)] == [LECTURE.name]
    spans = lecture_spans(LECTURE)
    assert spans[0][0] == 14 and spans[-1][1] == LECTURE_LENGTH
    for (start, end, cell), (next_start, _, _) in zip(spans, spans[1:]):
        assert start < end <= next_start, cell.source[:80]  # in the video's order, never back
    for _, _, cell in spans:
        assert "> **Tiếng Việt:** *" in cell.source, cell.source[:80]
    assert any("GLOSSARY.md" in c.source for c in cells(LECTURE) if c.cell_type == "markdown")


def test_the_prework_says_so_first():
    first = cells(PREWORK)[0].source
    assert "Pre-work" in first and "before the video" in first and "01_lecture_vae" in first


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_vietnamese_lines_use_a_marker_that_renders_everywhere(path):
    """The flag emoji renders as two empty boxes in Chromium on Linux and as letters on Windows."""
    assert not any("🇻🇳" in c.source for c in cells(path))


@pytest.mark.parametrize("path", EVERY, ids=lambda p: p.parent.name + "/" + p.name)
def test_markdown_math_is_balanced(path):
    for cell in cells(path):
        if cell.cell_type == "markdown":
            text = re.sub(r"`[^`]*`", "", cell.source)  # code spans may hold dollars
            assert text.count("$$") % 2 == 0, cell.source
            assert text.replace("$$", "").count("$") % 2 == 0, cell.source


@pytest.mark.parametrize("path", EVERY, ids=lambda p: p.parent.name + "/" + p.name)
def test_every_figure_has_alternative_text(path):
    """A sentence describing each figure: the HTML versions carry it for screen readers (the cell's "alt")."""
    for cell in cells(path):
        data = [key for output in cell.get("outputs", []) for key in output.get("data", {})]
        if any(key.startswith("image/") for key in data):
            assert len(cell.metadata.get("alt", "")) > 20, cell.source


def slides(path):
    """(first cell index, words of markdown) for each slide and sub-slide; speaker notes and skipped cells excluded."""
    found, words = [], None
    for index, cell in enumerate(cells(path)):
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if kind in ("slide", "subslide") or words is None:
            found.append([index, 0])
            words = found[-1]
        if cell.cell_type == "markdown" and kind not in ("notes", "skip"):
            text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " x ", cell.source, flags=re.S)  # a formula counts as a word
            words[1] += len(re.findall(r"[\w'’-]+", text))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_section_starts_a_slide_and_every_slide_fits(path):
    for cell in cells(path):
        if cell.cell_type == "markdown" and re.search(r"^## ", cell.source, flags=re.M):
            assert cell.source.startswith("## "), f"a section heading inside a cell: {cell.source[:80]!r}"
            assert cell.metadata.get("slideshow", {}).get("slide_type") == "slide", cell.source[:80]
    assert [(index, words) for index, words in slides(path) if words > 150] == []


@pytest.mark.parametrize("path", EVERY, ids=lambda p: p.parent.name + "/" + p.name)
def test_rise_uses_a_theme_whose_fonts_come_with_it(path):
    """RISE's default theme ("simple") fetches its fonts from Google; "white" carries its own: offline, no request."""
    assert nbformat.read(path, as_version=4).metadata.get("rise", {}).get("theme") == "white"


@pytest.mark.parametrize("path", EVERY, ids=lambda p: p.parent.name + "/" + p.name)
def test_saved_cells_carry_no_execution_timestamps(path):
    """A re-run must not rewrite every cell's metadata: the diff of a one-word change stays one word."""
    stamped = [i for i, cell in enumerate(cells(path)) if "execution" in cell.metadata]
    assert stamped == [], f"cells {stamped} carry execution timestamps; run python -m vae_lab.series, which drops them"


READING_CHECK = "reading-check"  # asserts pinning a reading to the saved run (student_copies drops them)
ASSERT = re.compile(r"\s*assert\b")
VISIBLE_ASSERTS = 10  # the asserts that teach (a hand-made result equal to the library's, ...) stay in sight


@pytest.mark.parametrize("path", EVERY, ids=lambda p: p.parent.name + "/" + p.name)
def test_reading_checks_are_hidden_skipped_on_slides_and_show_nothing(path):
    for index, cell in enumerate(cells(path)):
        if READING_CHECK in cell.metadata.get("tags", []):
            where = f"cell {index}: {cell.source[:80]!r}"
            assert cell.cell_type == "code", where
            assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, where
            assert cell.metadata.get("slideshow", {}).get("slide_type") == "skip", where
            assert cell.outputs == [], f"{where} shows {cell.outputs}: a reading check prints nothing"


def test_at_most_ten_asserts_stand_in_the_students_way():
    """The asserts that only pin a reading to the saved run live in hidden ``reading-check`` cells."""
    visible = {path.name: [line.strip() for cell in cells(path)
                           if cell.cell_type == "code" and READING_CHECK not in cell.metadata.get("tags", [])
                           for line in cell.source.splitlines() if ASSERT.match(line)]
               for path in NOTEBOOKS}
    count = sum(len(lines) for lines in visible.values())
    listing = "\n".join(f"{name} ({len(lines)}):" + "".join(f"\n    {line}" for line in lines)
                        for name, lines in visible.items() if lines)
    assert count <= VISIBLE_ASSERTS, (f"{count} asserts in visible code cells (at most {VISIBLE_ASSERTS}); move those "
                                      f"that pin a reading into a cell tagged '{READING_CHECK}':\n{listing}")
