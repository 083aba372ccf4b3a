"""The README's promises about itself, and CI running exactly its test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)\n```", text, re.S)


def test_the_two_commands_come_within_the_first_40_lines_and_the_readme_within_200():
    head = "\n".join(README.splitlines()[:40])
    assert any("vae_lab.series" in c for c in commands(head)), "the command that runs the series"
    assert any("pytest" in c for c in commands(head)), "the command that runs the tests"
    assert len(README.splitlines()) <= 200


def test_ci_runs_the_readmes_test_command_exactly():
    test_command = next(c for c in commands(README) if "pytest" in c)
    assert "--full" in test_command  # the full tier
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()


def test_every_relative_link_of_the_readme_and_the_docs_leads_to_a_file():
    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("outputs/") or "/outputs/" in target:
                continue  # a web address, or a file a run writes
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []
