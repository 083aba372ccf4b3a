import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import says
from lecture_code import LECTURE, PREWORK
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from vae_lab.course.student_copies import (
    EXERCISE_TAG,
    READING_TAG,
    SOLUTION_TAG,
    TYPE_ALONG,
    CopyError,
    main,
    make_student_copies,
    student_copy,
)


def notebook():
    stub = new_code_cell("def f():\n    raise NotImplementedError", metadata={"tags": ["raises-exception"]})
    solution = new_code_cell("def f():\n    return 1", metadata={"tags": [SOLUTION_TAG]})
    answers = new_markdown_cell("Answers: ...", metadata={"tags": [SOLUTION_TAG]})
    check = new_code_cell("check(f)", execution_count=3, outputs=[new_output("stream", text="✓")])
    return new_notebook(cells=[new_markdown_cell("# Title"), stub, solution, check, answers])


def test_solutions_go_and_outputs_are_cleared():
    original = notebook()
    copy = student_copy(original)
    assert [c.source for c in copy.cells] == ["# Title", original.cells[1].source, "check(f)"]
    assert copy.cells[2].outputs == [] and copy.cells[2].execution_count is None
    assert len(original.cells) == 5 and original.cells[3].outputs  # the original is untouched


def test_the_command_writes_one_copy_per_notebook(tmp_path, capsys):
    (tmp_path / "src").mkdir()
    for name in ("01_a.ipynb", "02_b.ipynb"):
        nbformat.write(notebook(), tmp_path / "src" / name)
    main([str(tmp_path / "src"), str(tmp_path / "out")])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["01_a.ipynb", "02_b.ipynb"]
    assert len(nbformat.read(tmp_path / "out" / "01_a.ipynb", 4).cells) == 3
    printed = capsys.readouterr().out
    assert all(str(tmp_path / "out" / name) in printed for name in ("01_a.ipynb", "02_b.ipynb"))


def test_no_notebooks_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        make_student_copies(tmp_path, tmp_path / "out")
    says(error, "no notebooks", "*.ipynb", str(tmp_path))


def test_the_series_has_exercises_with_solutions(tmp_path):
    notebooks = Path(__file__).resolve().parent.parent / "notebooks"
    written = make_student_copies(notebooks, tmp_path)
    assert {what for _, what, _ in written} == {"wrote"}
    solutions = 0
    for path, _, _ in written:
        full = nbformat.read(notebooks / path.name, 4)
        solutions += sum(SOLUTION_TAG in c.metadata.get("tags", []) for c in full.cells)
        student = nbformat.read(path, 4)
        assert not any(SOLUTION_TAG in c.metadata.get("tags", []) for c in student.cells)
    assert solutions >= 3


TYPED = "# TYPE ALONG: Encoder\n# Type the class.\nclass Encoder:\n    pass"


def exercise(source):
    return new_code_cell(source, metadata={"tags": [EXERCISE_TAG]})


def test_type_along_cells_keep_only_their_comment_lines():
    lecture = "# TYPE ALONG: train — lecture 0:08:52–0:09:59\n# Type the loop.\ndef train():\n    # a comment\n    pass"
    copy = student_copy(new_notebook(cells=[new_code_cell(TYPED), new_code_cell(lecture)]))
    assert [c.source for c in copy.cells] == ["# TYPE ALONG: Encoder\n# Type the class.\n",
                                              "# TYPE ALONG: train — lecture 0:08:52–0:09:59\n# Type the loop.\n"]


def test_a_type_along_cell_of_any_name_is_emptied_the_names_are_the_notebooks():
    """The copy reads the notebook's markers: no table of names to keep in step with the checks."""
    source = "# TYPE ALONG: Sampler — lecture 0:10:00–0:11:00\n# Type the function.\ndef sampler():\n    pass"
    copy = student_copy(new_notebook(cells=[new_code_cell(source)]))
    assert copy.cells[0].source == "# TYPE ALONG: Sampler — lecture 0:10:00–0:11:00\n# Type the function.\n"


@pytest.mark.parametrize("source, parts", [  # the line at fault, and the form a first line must have
    ("# TYPE ALONG: Encoder-1\n# Type it.\nclass Encoder: pass", ["'# TYPE ALONG: Encoder-1'", "<name>"]),
    ("# TYPE ALONG:\n# Type it.\nclass Encoder: pass", ["'# TYPE ALONG:'", "<name>"]),
    ("# TYPE ALONG: Encoder\nclass Encoder: pass", ["second comment line"]),
    ("# TYPE ALONG: train — lecture 8:52\n# Type it.\ndef train(): pass", ["'# TYPE ALONG: train — lecture 8:52'",
                                                                              "h:mm:ss–h:mm:ss"]),
])
def test_a_malformed_type_along_cell_stops_the_command_with_its_cell_named(source, parts):
    with pytest.raises(CopyError) as error:
        student_copy(new_notebook(cells=[new_markdown_cell("# T"), new_code_cell(source)]), "nb.ipynb")
    says(error, "nb.ipynb", "cell 1", *parts)


@pytest.mark.parametrize("source, parts", [
    ("def f():\n    # BEGIN SOLUTION\n    return 1\ncheck(f)", ["'# BEGIN SOLUTION'", "'# END SOLUTION'"]),
    ("def f():\n    return 1", ["'exercise'", "'# BEGIN SOLUTION'"]),
    ("def f():\n    #BEGIN SOLUTION\n    return 1\n    #END SOLUTION", ["'exercise'", "'# BEGIN SOLUTION'",
                                                                         "with its space"]),
])
def test_an_exercise_cell_that_would_leak_or_drop_stops_the_command(source, parts):
    with pytest.raises(CopyError) as error:
        student_copy(new_notebook(cells=[exercise(source)]), "nb.ipynb")
    says(error, "nb.ipynb", "cell 0", *parts)


def test_markers_in_an_untagged_cell_are_refused():
    with pytest.raises(CopyError) as error:
        source = "def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION"
        student_copy(new_notebook(cells=[new_code_cell(source)]))
    says(error, "cell 0", "'# BEGIN SOLUTION'", "not tagged", "'exercise'")


def test_reading_checks_are_dropped():
    check = new_code_cell("assert True", metadata={"tags": [READING_TAG]})
    assert [c.source for c in student_copy(new_notebook(cells=[new_code_cell("x = 1"), check])).cells] == ["x = 1"]


@pytest.mark.parametrize("dest", ["src", "src/inner", "link"])
def test_dest_that_is_source_or_inside_it_is_refused_and_nothing_is_written(tmp_path, dest):
    (tmp_path / "src").mkdir()
    nbformat.write(notebook(), tmp_path / "src" / "01_a.ipynb")
    (tmp_path / "link").symlink_to(tmp_path / "src")
    before = (tmp_path / "src" / "01_a.ipynb").read_bytes()
    with pytest.raises(CopyError) as error:
        make_student_copies(tmp_path / "src", tmp_path / dest)
    says(error, "DEST", str(tmp_path / dest), "SOURCE", str(tmp_path / "src"), "another folder")
    assert (tmp_path / "src" / "01_a.ipynb").read_bytes() == before
    with pytest.raises(SystemExit) as error:
        main([str(tmp_path / "src"), str(tmp_path / dest)])
    assert str(error.value).startswith("✗")
    says(error, "DEST", str(tmp_path / dest), "SOURCE", "another folder")


def test_a_copy_the_student_worked_in_is_kept_unless_forced(tmp_path, capsys):
    (tmp_path / "src").mkdir()
    nbformat.write(notebook(), tmp_path / "src" / "01_a.ipynb")
    make_student_copies(tmp_path / "src", tmp_path / "out")
    copy_path = tmp_path / "out" / "01_a.ipynb"
    assert make_student_copies(tmp_path / "src", tmp_path / "out") == [(copy_path, "wrote", None)]  # untouched: renewed
    work = nbformat.read(copy_path, 4)
    work.cells[1].source = "def f():\n    return 'my answer'"
    nbformat.write(work, copy_path)
    main([str(tmp_path / "src"), str(tmp_path / "out")])
    assert "my answer" in copy_path.read_text()
    assert "kept" in capsys.readouterr().out
    [(path, what, backup)] = make_student_copies(tmp_path / "src", tmp_path / "out", force=True)
    assert (path, what, backup.parent) == (copy_path, "replaced", tmp_path / "out" / ".backup")
    assert "my answer" not in copy_path.read_text() and "my answer" in backup.read_text()


def test_every_type_along_cell_of_the_series_is_emptied_and_followed_by_its_check(tmp_path):
    notebooks = Path(__file__).resolve().parent.parent / "notebooks"
    names = []  # the English edition's, and the Vietnamese edition's of the pre-work and the lecture
    for path, _, _ in make_student_copies(notebooks, tmp_path):
        cells = nbformat.read(path, 4).cells
        for cell, after in zip(cells, cells[1:]):
            if cell.source.startswith(TYPE_ALONG):
                name = cell.source.split()[3]
                assert all(line.startswith("#") for line in cell.source.splitlines()), cell.source
                assert f'take("{name}", globals()' in after.source, after.source
                names.append(name)
    assert sorted(names) == sorted([*PREWORK, *LECTURE] * 2)  # the video's code that tests/lecture_code.py types


def test_making_copies_loads_no_checks_cache_training_or_torch_of_its_own():
    """Beyond ``import vae_lab``, the command loads only its own module and the standard library's (nbformat once it
    reads a notebook)."""
    code = ("import sys, vae_lab; before = set(sys.modules); import vae_lab.course.student_copies; "
            "print(sorted(set(sys.modules) - before))")
    loaded = eval(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert "vae_lab.course.student_copies" in loaded
    assert [name for name in loaded if name.startswith(("torch", "vae_lab.", "matplotlib", "nbformat"))
            and name not in ("vae_lab.course", "vae_lab.course.student_copies", "vae_lab.course.translations",
                             "vae_lab._files")] == []


def typed_in(path, words):
    """The copy at ``path`` as a student leaves it: ``words`` typed into its first cell."""
    work = nbformat.read(path, 4)
    work.cells[0].source += f"\n{words}"
    nbformat.write(work, path)


def test_force_with_a_notebook_replaces_only_that_copy_and_keeps_it_as_a_backup(tmp_path, capsys):
    """Issue #33, 1: ``--force 01`` pushes one corrected notebook; the student's work in the others stays."""
    (tmp_path / "src").mkdir()
    for name in ("01_a.ipynb", "02_b.ipynb"):
        nbformat.write(notebook(), tmp_path / "src" / name)
    src, out = str(tmp_path / "src"), tmp_path / "out"
    main([src, str(out)])
    for name in ("01_a", "02_b"):
        typed_in(out / f"{name}.ipynb", f"my work in {name}")
    capsys.readouterr()
    main([src, str(out), "--force", "01"])
    printed = capsys.readouterr().out
    [backup] = (out / ".backup").iterdir()
    assert backup.name.startswith("01_a.") and "my work in 01_a" in backup.read_text()
    says(printed, f"replaced {out / '01_a.ipynb'}", f"kept in {backup}")
    assert "my work in 01_a" not in (out / "01_a.ipynb").read_text()
    assert "my work in 02_b" in (out / "02_b.ipynb").read_text() and f"kept {out / '02_b.ipynb'}" in printed
    main(["--force", "02_b.ipynb", src, str(out)])  # by name, and before the folders
    assert "my work in 02_b" not in (out / "02_b.ipynb").read_text() and len(list((out / ".backup").iterdir())) == 2
    with pytest.raises(SystemExit) as error:
        main([src, str(out), "--force", "03"])
    says(error, "--force", "'03'", src, "01_a", "02_b")  # what was asked for, where, and what there is
    with pytest.raises(SystemExit) as refused:  # the old order, "--force SOURCE DEST": the folder is named
        main(["--force", src, str(out)])
    assert refused.value.code == 2 and "takes a notebook" in capsys.readouterr().err


@pytest.mark.parametrize("target", ["the complete notebook", "an empty file", "nothing"])
def test_a_copy_path_that_is_a_link_is_refused_even_forced_and_nothing_is_written(tmp_path, target):
    """Issue #33, 2: nothing is written through a link, whatever it points to; the other copies wait too."""
    (tmp_path / "src").mkdir()
    for name in ("01_a.ipynb", "02_b.ipynb"):
        nbformat.write(notebook(), tmp_path / "src" / name)
    (tmp_path / "empty.ipynb").touch()
    linked = {"the complete notebook": "../src/02_b.ipynb", "an empty file": "../empty.ipynb", "nothing": "../gone"}
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "02_b.ipynb").symlink_to(linked[target])
    before = {path: path.read_bytes() for path in [*(tmp_path / "src").iterdir(), tmp_path / "empty.ipynb"]}
    for force in ([], ["--force"]):
        with pytest.raises(SystemExit) as error:
            main([str(tmp_path / "src"), str(tmp_path / "out"), *force])
        link = tmp_path / "out" / "02_b.ipynb"
        says(error, str(link), "symbolic link", linked[target], f"rm {link}")  # the link, where it leads, the fix
    assert {path: path.read_bytes() for path in before} == before and not (tmp_path / "gone").exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["02_b.ipynb"]  # 01_a waits as well


def test_a_backup_folder_that_is_a_link_is_refused(tmp_path):
    (tmp_path / "src").mkdir()
    nbformat.write(notebook(), tmp_path / "src" / "01_a.ipynb")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / ".backup").symlink_to(tmp_path / "src")
    with pytest.raises(SystemExit) as error:
        main([str(tmp_path / "src"), str(tmp_path / "out"), "--force"])
    says(error, str(tmp_path / "out" / ".backup"), "symbolic link", str(tmp_path / "src"))
    assert [p.name for p in (tmp_path / "src").iterdir()] == ["01_a.ipynb"]


def test_an_empty_file_at_a_copys_path_counts_as_the_students(tmp_path, capsys):
    """A save cut short, or a file the student made: only --force replaces it (an empty backup is kept)."""
    (tmp_path / "src").mkdir()
    nbformat.write(notebook(), tmp_path / "src" / "01_a.ipynb")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "01_a.ipynb").touch()
    main([str(tmp_path / "src"), str(tmp_path / "out")])
    assert (tmp_path / "out" / "01_a.ipynb").read_bytes() == b"" and "kept" in capsys.readouterr().out
    main([str(tmp_path / "src"), str(tmp_path / "out"), "--force", "01_a"])
    assert len(nbformat.read(tmp_path / "out" / "01_a.ipynb", 4).cells) == 3


@pytest.mark.parametrize("force", [False, True])
def test_a_save_while_the_copy_is_written_is_kept(tmp_path, monkeypatch, capsys, force):
    """Issue #33, 3: a slow disk; the student saves (JupyterLab renames a new file in) while the new copy is on its
    way to the disk (at the first fsync: the backup's, when forced). Their save is kept and the new copy dropped."""
    (tmp_path / "src").mkdir()
    nbformat.write(notebook(), tmp_path / "src" / "01_a.ipynb")
    out, copy_path = tmp_path / "out", tmp_path / "out" / "01_a.ipynb"
    main([str(tmp_path / "src"), str(out)])
    if force:
        typed_in(copy_path, "my earlier work")
    fsync = os.fsync

    def slow_disk(handle):
        if not saved:
            work = nbformat.read(copy_path, 4)
            work.cells[0].source += "\nsaved during the re-make"
            (out / "saving").write_text(nbformat.writes(work))
            os.replace(out / "saving", copy_path)
            saved.append(handle)
        fsync(handle)

    saved = []
    monkeypatch.setattr(os, "fsync", slow_disk)
    capsys.readouterr()
    main([str(tmp_path / "src"), str(out), *(["--force"] if force else [])])
    assert "saved during the re-make" in copy_path.read_text()
    says(capsys.readouterr().out, f"kept {copy_path}", "saved while")
    assert sorted(p.name for p in out.iterdir()) == ([".backup", "01_a.ipynb"] if force else ["01_a.ipynb"])


@pytest.mark.parametrize("fault, path, parts", [
    ("dest is a file", "out", ["DEST", "not a folder"]),
    ("source is not JSON", "src/01_a.ipynb", ["cannot be read as a notebook", "JSON"]),
])
def test_a_bad_dest_or_a_notebook_that_is_not_json_is_one_sentence(tmp_path, fault, path, parts):
    """Issue #33, 11: one line naming the path and what to do, exit status 1, no traceback."""
    (tmp_path / "src").mkdir()
    if fault == "dest is a file":
        nbformat.write(notebook(), tmp_path / "src" / "01_a.ipynb")
        (tmp_path / "out").write_text("notes")
    else:
        (tmp_path / "src" / "01_a.ipynb").write_text('{"cells": [')
    run = subprocess.run([sys.executable, "-m", "vae_lab.student_copies", str(tmp_path / "src"), str(tmp_path / "out")],
                         capture_output=True, text=True)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.startswith("✗ ") and run.stderr.count("\n") == 1, run.stderr  # one line
    says(run.stderr, str(tmp_path / path), *parts)


def test_the_vietnamese_edition_gets_copies_of_its_own_forced_by_its_own_name(tmp_path, capsys):
    """Issue #35: notebooks/vi/ -> student/vi/, without the English each translated cell records; ``--force vi/01``
    (or the copy's path, as a shell completes it) replaces only that copy; DEST may itself be a link."""
    (tmp_path / "src" / "vi").mkdir(parents=True)
    nbformat.write(notebook(), tmp_path / "src" / "01_a.ipynb")
    translated = notebook()
    translated.cells[0].metadata["translation"] = {"source": "the English"}
    nbformat.write(translated, tmp_path / "src" / "vi" / "01_a.ipynb")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "out").symlink_to(tmp_path / "elsewhere")  # a student's folder kept elsewhere
    src, out = str(tmp_path / "src"), tmp_path / "out"
    main([src, str(out)])
    assert "the English" not in (out / "vi" / "01_a.ipynb").read_text()
    for path in (out / "01_a.ipynb", out / "vi" / "01_a.ipynb"):
        typed_in(path, f"my work in {path.parent.name}")
    main([src, str(out), "--force", "vi/01"])
    assert "my work in vi" not in (out / "vi" / "01_a.ipynb").read_text()
    assert "my work in out" in (out / "01_a.ipynb").read_text()  # the English copy kept
    [backup] = (out / "vi" / ".backup").iterdir()
    assert "my work in vi" in backup.read_text()
    typed_in(out / "vi" / "01_a.ipynb", "again")
    main([src, str(out), "--force", str(out / "vi" / "01_a.ipynb")])
    assert "again" not in (out / "vi" / "01_a.ipynb").read_text()
    assert "my work in out" in (out / "01_a.ipynb").read_text()
    capsys.readouterr()
