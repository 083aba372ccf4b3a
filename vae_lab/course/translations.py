"""Keep a translated edition of a notebook in step with its English source.

A translated notebook (``notebooks/vi/01_lecture_vae.ipynb``) holds the English notebook's cells, in the same order
and with the same cell ids: its markdown and the alt texts of its figures are translated, its code is the English
code token for token (comments may be translated). Each translated text records, in its cell's metadata, the
English it was made from::

    "translation": {"source": "<the English markdown>", "alt": "<the English alt text>"}

so that a changed English cell shows, with its English before and after, as the translated edition of the
*Dive into Deep Learning* book keeps its parts in step. ::

    python -m vae_lab.course.translations                    # check every edition; exit 1 if a cell is behind
    python -m vae_lab.course.translations --stamp vi/01_lecture_vae.ipynb 7 12   # cells 7 and 12 (from 0) translated
    python -m vae_lab.course.translations --sync vi/01_lecture_vae.ipynb         # take the English code and cells

``--sync`` copies the English code into the translated cells whose code differs (its comments then come back in
English), and adds the English cells the edition lacks, untranslated; it never touches a translated text.
``--stamp`` records the English that a translator has just brought a cell up to.
"""

from __future__ import annotations

import argparse
import difflib
import io
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

LANGUAGES = ("vi",)  # the folders of notebooks/ that hold a translated edition
RECORD = "translation"  # the cell metadata key that holds the English a cell was translated from


@dataclass
class Problem:
    """One cell of a translated notebook that is behind its English source."""

    notebook: Path
    cell: int
    what: str
    before: str = ""  # the English the translation was made from
    after: str = ""  # the English now

    def __str__(self) -> str:
        text = f"{self.notebook}, cell {self.cell}: {self.what}"
        if self.before or self.after:
            diff = difflib.unified_diff(self.before.splitlines(), self.after.splitlines(), "English before",
                                        "English now", lineterm="", n=1)
            text += "\n" + "\n".join("    " + line for line in diff)
        return text


def code_tokens(source: str) -> list[tuple[int, str]]:
    """The tokens of a code cell that are its code: comments, blank lines and the layout of lines left out.

    IPython's ``%magic`` lines tokenize as operators and names, so they compare like code.
    """
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENCODING, tokenize.ENDMARKER}
    try:
        return [(t.type, t.string) for t in tokenize.generate_tokens(io.StringIO(source).readline)
                if t.type not in skip]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [(-1, line.split("#")[0].strip()) for line in source.splitlines() if line.split("#")[0].strip()]


def english_of(translated: Path) -> Path:
    """``notebooks/vi/X.ipynb`` -> ``notebooks/X.ipynb``."""
    return translated.parent.parent / translated.name


def texts(cell) -> dict[str, str]:
    """What of a cell is translated: a markdown cell's source, a code cell's alt text (if it has one)."""
    if cell.cell_type == "markdown":
        return {"source": cell.source}
    return {"alt": cell.metadata["alt"]} if "alt" in cell.metadata else {}


def read_pair(translated: Path):
    """The English notebook and its translation, each cell with an id of its own (what pairs the two)."""
    import nbformat

    pair = nbformat.read(english_of(translated), 4), nbformat.read(translated, 4)
    for path, notebook in zip((english_of(translated), translated), pair):
        ids = [cell.get("id") for cell in notebook.cells]
        if None in ids or len(set(ids)) < len(ids):
            raise SystemExit(f"{path}: {'some cells have no id' if None in ids else 'two cells share an id'}, and the "
                             "ids pair each translated cell with its English one: open and save the notebook in "
                             "JupyterLab 3 or later (nbformat 4.5), which gives each cell an id.")
    return pair


def problems(translated: Path) -> list[Problem]:
    """Every way ``translated`` is behind its English source, one cell at a time."""
    english_notebook, notebook = read_pair(translated)
    english, theirs, ours = english_of(translated), english_notebook.cells, notebook.cells
    found = []
    if [c.get("id") for c in theirs] != [c.get("id") for c in ours]:
        matcher = difflib.SequenceMatcher(None, [c.get("id") for c in theirs], [c.get("id") for c in ours])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag in ("delete", "replace"):
                found += [Problem(translated, j1, f"the English cell {i} (id {theirs[i].get('id')}) is missing here "
                                  "(run --sync to add it)") for i in range(i1, i2)]
            if tag in ("insert", "replace"):
                english_ids = {cell.get("id") for cell in theirs}
                found += [Problem(translated, j, f"cell id {ours[j].get('id')} moved in {english.name}: run --sync (it "
                                  "keeps the translation)" if ours[j].get("id") in english_ids else
                                  f"cell id {ours[j].get('id')} is not in {english.name} (delete it, or run --sync)")
                          for j in range(j1, j2)]
        return found
    for index, (en, tr) in enumerate(zip(theirs, ours)):
        if en.cell_type != tr.cell_type:
            found.append(Problem(translated, index, f"is {tr.cell_type}, the English cell is {en.cell_type}"))
            continue
        if en.cell_type == "code" and code_tokens(en.source) != code_tokens(tr.source):
            ours_lines, theirs_lines = tr.source.splitlines(), en.source.splitlines()
            diff = "\n".join("    " + line for line in difflib.unified_diff(
                theirs_lines, ours_lines, "English", "translated", lineterm="", n=0))
            found.append(Problem(translated, index, "its code differs from the English edition's (only comments may "
                                 f"differ; --sync copies the English code):\n{diff}"))
        record, ours_texts = tr.metadata.get(RECORD, {}), texts(tr)
        for key, now in texts(en).items():
            if key in record and ours_texts.get(key) == now and any(ch.isalpha() for ch in now) \
                    and not record.get("same"):
                found.append(Problem(translated, index, f"its {'markdown' if key == 'source' else 'alt text'} is "
                                     "still the English one, though stamped as translated"))
            elif key not in record:
                found.append(Problem(translated, index, f"{'markdown' if key == 'source' else 'alt text'} not "
                                     "translated yet (translate it, then --stamp this cell)"))
            elif record[key] != now:
                found.append(Problem(translated, index, f"the English {'markdown' if key == 'source' else 'alt text'} "
                                     "changed since it was translated: update the translation, then --stamp this cell",
                                     record[key], now))
    return found


def stamp(translated: Path, cells: list[int], same: bool = False) -> None:
    """Record that ``cells`` of ``translated`` (counted from 0, as the check names them) now translate the English
    cells as they are; ``same``: their text is rightly the English one (a formula, a picture)."""
    import nbformat

    english, notebook = read_pair(translated)
    for index in cells:
        if index >= min(len(english.cells), len(notebook.cells)):
            raise SystemExit(f"{translated} has no cell {index} (cells count from 0, as the check names them).")
        en, tr = english.cells[index], notebook.cells[index]
        if en.get("id") != tr.get("id"):
            raise SystemExit(f"cell {index} of {translated} is not the English cell {index}: run --sync first.")
        tr.metadata[RECORD] = texts(en) | ({"same": True} if same else {})
    nbformat.write(notebook, translated)


def sync(translated: Path) -> list[str]:
    """Bring ``translated``'s cells and code into line with the English; return what was done, one line each."""
    import nbformat

    english, notebook = read_pair(translated)
    by_id = {cell.get("id"): cell for cell in notebook.cells}
    cells, done = [], []
    for index, en in enumerate(english.cells):
        tr = by_id.get(en.get("id"))
        if tr is None or tr.cell_type != en.cell_type:
            if tr is not None:
                done.append(f"cell {index}: its translation dropped (the English cell is now {en.cell_type})")
            tr = nbformat.from_dict(dict(en))
            tr.metadata.pop(RECORD, None)
            done.append(f"cell {index}: added from the English, to translate")
        elif en.cell_type == "code" and code_tokens(en.source) != code_tokens(tr.source):
            tr.source = en.source
            done.append(f"cell {index}: the English code copied (its comments are English again)")
        cells.append(tr)
    dropped = len(notebook.cells) - sum(1 for cell in notebook.cells if cell.get("id") in
                                        {en.get("id") for en in english.cells})
    if dropped:
        done.append(f"{dropped} cell(s) that the English no longer has removed")
    before, after = [cell.get("id") for cell in notebook.cells], [cell.get("id") for cell in cells]
    if [i for i in before if i in after] != [i for i in after if i in before]:
        done.append("cells put in the English order")
    notebook.cells = cells
    nbformat.write(notebook, translated)
    return done


def editions(folder: Path) -> list[Path]:
    """The translated notebooks under ``folder`` (``notebooks/``)."""
    return sorted(path for language in LANGUAGES for path in (folder / language).glob("*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vae_lab.course.translations",
                                     description="Check that the translated notebooks keep in step with the English.")
    parser.add_argument("--folder", type=Path, default=Path("notebooks"), help="the English notebooks' folder")
    parser.add_argument("--stamp", nargs="+", metavar=("NOTEBOOK", "CELL"),
                        help="a translated notebook (relative to --folder) and the cells now translated")
    parser.add_argument("--same", action="store_true",
                        help="with --stamp: the cells' text is rightly the English one (a formula, a picture)")
    parser.add_argument("--sync", metavar="NOTEBOOK", help="copy the English code and cells into a translation")
    args = parser.parse_args(argv)
    where = lambda name: Path(name) if Path(name).is_file() else args.folder / name  # noqa: E731
    if args.stamp:
        notebook, *cells = args.stamp
        if not cells or not all(cell.isdigit() for cell in cells):
            parser.error("--stamp takes a notebook and the numbers of its cells: --stamp vi/01_lecture_vae.ipynb 7")
        stamp(where(notebook), [int(cell) for cell in cells], same=args.same)
        return 0
    if args.sync:
        for line in sync(where(args.sync)) or ["nothing to do"]:
            print(line)
        return 0
    found = [problem for path in editions(args.folder) for problem in problems(path)]
    for problem in found:
        print(problem)
    print(f"{len(found)} cell(s) behind the English" if found else "every translated cell is in step with the English")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
