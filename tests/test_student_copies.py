from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from vae_lab.student_copies import SOLUTION_TAG, main, make_student_copies, student_copy


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
    with pytest.raises(FileNotFoundError, match="No notebooks"):
        make_student_copies(tmp_path, tmp_path / "out")


def test_the_series_has_exercises_with_solutions(tmp_path):
    notebooks = Path(__file__).resolve().parent.parent / "notebooks"
    written = make_student_copies(notebooks, tmp_path)
    solutions = 0
    for path in written:
        full = nbformat.read(notebooks / path.name, 4)
        solutions += sum(SOLUTION_TAG in c.metadata.get("tags", []) for c in full.cells)
        student = nbformat.read(path, 4)
        assert not any(SOLUTION_TAG in c.metadata.get("tags", []) for c in student.cells)
    assert solutions >= 3
