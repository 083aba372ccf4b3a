"""Count vae_lab's lines of code: lines holding code, not docstrings, comments or blank lines.

    python benchmarks/count_lines.py            # per module, each layer's total, then the whole package's

The layers are the folders: the core (``vae_lab/*.py``), ``vae_lab/beyond/`` and ``vae_lab/course/``.
"""

import ast
import io
import tokenize
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "vae_lab"
NOT_CODE = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
WITH_DOCSTRING = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def docstring_lines(source: str) -> set[int]:
    """The line numbers of every module, class and function docstring."""
    lines = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, WITH_DOCSTRING) and node.body:
            first = node.body[0]
            value = first.value if isinstance(first, ast.Expr) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                lines.update(range(first.lineno, first.end_lineno + 1))
    return lines


def code_lines(source: str) -> int:
    """How many lines of ``source`` hold a code token outside a docstring."""
    skip, lines = docstring_lines(source), set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in NOT_CODE:
            lines.update(n for n in range(token.start[0], token.end[0] + 1) if n not in skip)
    return len(lines)


def main() -> None:
    total = 0
    for layer, folder in (("core", PACKAGE), ("beyond", PACKAGE / "beyond"), ("course", PACKAGE / "course")):
        subtotal = 0
        for path in sorted(folder.glob("*.py")):
            count = code_lines(path.read_text())
            subtotal += count
            print(f"{count:5d} {path.relative_to(PACKAGE.parent)}")
        print(f"{subtotal:5d} {layer}\n")
        total += subtotal
    print(f"{total:5d} total")


if __name__ == "__main__":
    main()
