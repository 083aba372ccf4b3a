"""Count vae_lab's lines of code: lines with code, not docstrings, comments or blank lines (python benchmarks/count_lines.py)."""
import ast
import io
import sys
import tokenize
from pathlib import Path

total = 0
for p in sorted(Path(sys.argv[1] if len(sys.argv) > 1 else "vae_lab").glob("*.py")):
    src = p.read_text()
    tree = ast.parse(src)
    doc_lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                doc_lines.update(range(first.lineno, first.end_lineno + 1))
    code_lines = set()
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            continue
        for line in range(tok.start[0], tok.end[0] + 1):
            if line not in doc_lines:
                code_lines.add(line)
    print(f"{len(code_lines):5d} {p}")
    total += len(code_lines)
print(f"{total:5d} total")
