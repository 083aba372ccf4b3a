"""The translated editions keep in step with the English notebooks (vae_lab.course.translations)."""

import shutil
from pathlib import Path

import nbformat
import pytest

from vae_lab.course import translations
from vae_lab.course.student_copies import TYPE_ALONG_LINE

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
EDITIONS = translations.editions(NOTEBOOKS)


def test_there_is_a_vietnamese_edition_of_the_pre_work_and_the_lecture():
    assert [path.relative_to(NOTEBOOKS).as_posix() for path in EDITIONS] == [
        "vi/00_prework_autoencoder.ipynb", "vi/01_lecture_vae.ipynb"]


@pytest.mark.parametrize("edition", EDITIONS, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_every_cell_is_in_step_with_the_english(edition):
    found = translations.problems(edition)
    assert not found, "\n".join(map(str, found)) + "\n(python -m vae_lab.course.translations shows them all)"


@pytest.mark.parametrize("edition", EDITIONS, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_the_type_along_lines_stay_as_the_tool_reads_them(edition):
    english = nbformat.read(translations.english_of(edition), 4).cells
    translated = nbformat.read(edition, 4).cells
    checked = 0
    for en, tr in zip(english, translated):
        first_line = en.source.splitlines()[0] if en.source else ""
        if en.cell_type == "code" and TYPE_ALONG_LINE.match(first_line):
            assert tr.source.splitlines()[0] == first_line
            checked += 1
    assert checked >= 5  # the pre-work's six definitions, the lecture's five


@pytest.fixture
def pair(tmp_path):
    """A copy of the English lecture notebook and of its Vietnamese edition, to change."""
    (tmp_path / "vi").mkdir()
    shutil.copy(NOTEBOOKS / "01_lecture_vae.ipynb", tmp_path)
    shutil.copy(NOTEBOOKS / "vi" / "01_lecture_vae.ipynb", tmp_path / "vi")
    return tmp_path / "01_lecture_vae.ipynb", tmp_path / "vi" / "01_lecture_vae.ipynb"


def change(path, index, old, new, key="source"):
    notebook = nbformat.read(path, 4)
    cell = notebook.cells[index]
    text = cell.source if key == "source" else cell.metadata[key]
    assert old in text
    if key == "source":
        cell.source = text.replace(old, new, 1)
    else:
        cell.metadata[key] = text.replace(old, new, 1)
    nbformat.write(notebook, path)


def first(path, kind, test=lambda cell: True):
    return next(i for i, cell in enumerate(nbformat.read(path, 4).cells) if cell.cell_type == kind and test(cell))


def test_a_one_word_change_to_an_english_cell_names_that_cell_with_its_english_before_and_after(pair, capsys):
    english, translated = pair
    index = first(english, "markdown", lambda cell: " video" in cell.source)
    change(english, index, " video", " recording")
    found = translations.problems(translated)
    assert [(problem.cell, "changed since it was translated" in problem.what) for problem in found] == [(index, True)]
    shown = str(found[0])
    assert f"cell {index}" in shown and "-" in shown and "recording" in shown
    assert translations.main(["--folder", str(english.parent)]) == 1
    assert f"cell {index}: the English markdown changed" in capsys.readouterr().out
    translations.stamp(translated, [index])  # the translator brought the cell up to date
    assert translations.problems(translated) == []


def test_a_changed_alt_text_is_flagged(pair):
    english, translated = pair
    index = first(english, "code", lambda cell: "alt" in cell.metadata)
    word = nbformat.read(english, 4).cells[index].metadata["alt"].split()[0]
    change(english, index, word, word + "s", key="alt")
    assert [(p.cell, "alt text changed" in p.what) for p in translations.problems(translated)] == [(index, True)]


def test_code_must_be_the_english_code_token_for_token_but_comments_may_differ(pair):
    english, translated = pair
    index = first(translated, "code", lambda cell: "epochs=3" in cell.source)
    change(translated, index, "epochs=3", "epochs=4")
    found = translations.problems(translated)
    assert [(p.cell, "code differs" in p.what) for p in found] == [(index, True)]
    assert "epochs=4" in str(found[0])
    assert translations.sync(translated) == [f"cell {index}: the English code copied (its comments are English again)"]
    change(translated, index, "epochs=3)", "epochs=3)   # ba epoch: chú thích có thể là tiếng Việt")
    assert translations.problems(translated) == []


def test_a_new_english_cell_is_added_by_sync_and_flagged_until_translated(pair):
    english, translated = pair
    notebook = nbformat.read(english, 4)
    notebook.cells.insert(2, nbformat.v4.new_markdown_cell("A new paragraph."))
    nbformat.write(notebook, english)
    assert "is missing here" in translations.problems(translated)[0].what
    assert translations.sync(translated) == ["cell 2: added from the English, to translate"]
    assert [(p.cell, "not translated yet" in p.what) for p in translations.problems(translated)] == [(2, True)]
    translations.stamp(translated, [2])  # stamped, but still the English text: not a translation
    assert "still the English one" in translations.problems(translated)[0].what


def test_a_notebook_whose_cells_have_no_ids_is_refused_before_anything_is_written(pair):
    english, translated = pair
    notebook = nbformat.read(translated, 4)
    for cell in notebook.cells:
        del cell["id"]
    notebook.nbformat_minor = 4
    nbformat.write(notebook, translated)
    before = translated.read_bytes()
    for action in (translations.problems, translations.sync, lambda path: translations.stamp(path, [0])):
        with pytest.raises(SystemExit) as caught:
            action(translated)
        assert "no id" in str(caught.value) and "JupyterLab" in str(caught.value)
    assert translated.read_bytes() == before


def test_stamp_names_a_cell_that_is_not_there_and_takes_a_path_from_the_repository(pair, capsys):
    english, translated = pair
    with pytest.raises(SystemExit) as caught:
        translations.stamp(translated, [10_000])
    assert "no cell 10000" in str(caught.value) and "from 0" in str(caught.value)
    index = first(english, "markdown", lambda cell: "$" in cell.source)
    change(english, index, "$", "$ ")
    assert translations.main(["--folder", "elsewhere", "--stamp", str(translated), str(index)]) == 0
    assert translations.problems(translated) == []


def test_a_cell_moved_in_the_english_keeps_its_translation_when_synced(pair):
    english, translated = pair
    notebook = nbformat.read(english, 4)
    moved = notebook.cells.pop(5)
    notebook.cells.insert(8, moved)
    nbformat.write(notebook, english)
    assert any("moved in" in problem.what and "keeps the translation" in problem.what
               for problem in translations.problems(translated))
    assert translations.sync(translated) == ["cells put in the English order"]
    assert translations.problems(translated) == []


@pytest.mark.parametrize("edition", sorted({path.parent for path in EDITIONS}), ids=lambda path: path.name)
def test_each_edition_has_the_slides_stylesheet_rise_reads_from_its_folder(edition):
    assert (edition / "rise.css").read_bytes() == (NOTEBOOKS / "rise.css").read_bytes()
