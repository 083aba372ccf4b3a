"""The check lines in the notebook's language (vae_lab.course.messages): one catalogue per language, complete."""

import ast
import re
import string
from pathlib import Path

import pytest
import torch
from lecture_code import LECTURE, namespace

from vae_lab.course import messages
from vae_lab.course.checks import check_kl, take
from vae_lab.course.messages_vi import MESSAGES

CHECKS = Path(messages.__file__).with_name("checks.py")


def written_messages() -> list[str]:
    """Every English text of checks.py wrapped in ``_()``, or marked ``N_()`` where a constant keeps it."""
    tree = ast.parse(CHECKS.read_text())
    return [node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "N_")
            and node.args and isinstance(node.args[0], ast.Constant)]


def blanks(text: str) -> list[tuple]:
    """Each blank's name, format spec and conversion: ``{lines:,}`` must stay ``{lines:,}``."""
    return sorted((name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text)
                  if name is not None)


def test_every_message_of_the_checks_has_its_vietnamese_with_the_same_blanks():
    written = written_messages()
    assert len(written) > 80  # the checks speak through _()
    missing = [text for text in written if text not in MESSAGES]
    assert not missing, "not in messages_vi.py:\n" + "\n".join(missing)
    wrong = [text for text in written if blanks(MESSAGES[text]) != blanks(text)]
    assert not wrong, "blanks differ:\n" + "\n".join(f"{text}\n -> {MESSAGES[text]}" for text in wrong)
    assert sorted(set(MESSAGES) - set(written)) == []  # nothing left over from messages no longer written


def test_no_message_reaches_the_student_without_passing_through_the_catalogue():
    """What ``print`` and ``Refused`` are given is ``_(...)``, ``_(...).format(...)`` or a name built from them: no
    f-string or bare English literal."""
    tree = ast.parse(CHECKS.read_text())
    raw = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("print", "Refused"):
            for arg in node.args:
                if isinstance(arg, ast.JoinedStr) or (isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                                                      and any(ch.isalpha() for ch in arg.value)):
                    raw.append(f"line {node.lineno}: {ast.unparse(arg)[:80]}")
    assert not raw, "\n".join(raw)


@pytest.mark.parametrize("folder, env, expected", [
    ("vi", None, "vi"), ("notebooks", None, "en"), ("notebooks", "vi", "vi"), ("vi", "en", "en"), ("x", "xx", "en")])
def test_the_language_is_the_kernels_folder_or_the_environment(tmp_path, monkeypatch, folder, env, expected):
    (tmp_path / folder).mkdir()
    monkeypatch.chdir(tmp_path / folder)
    if env is None:
        monkeypatch.delenv(messages.LANGUAGE_ENV, raising=False)
    else:
        monkeypatch.setenv(messages.LANGUAGE_ENV, env)
    assert messages.language() == expected
    english = next(iter(MESSAGES))
    assert messages._(english) == (MESSAGES[english] if expected == "vi" else english)


def test_the_vietnamese_keeps_the_code_and_the_marks_of_the_english():
    """What is in backticks, and the marks ✓ ⚠ ✗, are the same in both languages."""
    for english, vietnamese in MESSAGES.items():
        assert sorted(re.findall(r"`[^`]+`", vietnamese)) == sorted(re.findall(r"`[^`]+`", english)), english
        assert [mark for mark in vietnamese if mark in "✓⚠✗"] == [mark for mark in english if mark in "✓⚠✗"], english


# ---- The check lines themselves, in a kernel started in notebooks/vi/ (or student/vi/) and in any other folder ------

TIME = "0:00:14–0:00:23"
WRONG_SIGMA = LECTURE["VariationalEncoder"].replace("sigma = torch.exp(self.linear3(x))", "sigma = self.linear3(x)")


@pytest.fixture(params=["vi", "notebooks"])
def folder(request, tmp_path, monkeypatch):
    """The kernel's folder: "vi" (the Vietnamese notebooks) or "notebooks" (the English ones); no $VAE_LAB_LANGUAGE."""
    (tmp_path / request.param).mkdir()
    monkeypatch.chdir(tmp_path / request.param)
    monkeypatch.delenv(messages.LANGUAGE_ENV, raising=False)
    return request.param


def printed(capsys) -> str:
    return capsys.readouterr().out.strip()


def test_a_cell_not_typed_yet_says_so_with_its_lecture_time(folder, capsys):
    scope = namespace()  # no Encoder in it: the type-along cell left empty
    scope["In"] = ["", f"# TYPE ALONG: Encoder — lecture {TIME}\n# Type it.\n"]
    take("Encoder", scope)
    expected = {"vi": f"Encoder chưa được gõ (bài giảng {TIME}): các ô bên dưới dùng phiên bản của vae_lab.",
                "notebooks": f"Encoder is not typed yet (lecture {TIME}): the cells below use vae_lab's version."}
    assert printed(capsys) == expected[folder]


def test_a_wrong_variational_encoder_gets_its_hint(folder, capsys):
    assert WRONG_SIGMA != LECTURE["VariationalEncoder"], "the mistake was not made"
    scope = namespace("Decoder")
    exec(WRONG_SIGMA, scope)  # noqa: S102 - the student's cell, sigma without exp
    scope["In"] = ["", f"# TYPE ALONG: VariationalEncoder — lecture {TIME}\n# Type it.\n{WRONG_SIGMA}"]
    take("VariationalEncoder", scope)
    line = printed(capsys)
    parts = {"vi": ("✗ VariationalEncoder: sigma bắt buộc phải là số dương, mà linear3 cho ra số thực bất kỳ",
                    f"sigma = torch.exp(self.linear3(x)) (bài giảng {TIME}). ",
                    "Cho đến khi code của bạn chạy đúng, các ô bên dưới dùng phiên bản của vae_lab."),
             "notebooks": ("✗ VariationalEncoder: sigma must be positive, and linear3 gives any real number",
                           f"sigma = torch.exp(self.linear3(x)) (lecture {TIME}). ",
                           "The cells below use vae_lab's version until you fix it.")}[folder]
    assert line.startswith(parts[0]) and parts[1] in line and line.endswith(parts[2]), line


def test_a_wrong_kl_in_the_exercise_gets_its_hint(folder, capsys):
    assert check_kl(lambda mu, log_sigma: -((torch.exp(2 * log_sigma) + mu**2 - 1) / 2 - log_sigma).sum(1)) is False
    line = printed(capsys)
    expected = {"vi": "✗ Hàm của bạn là âm của KL, mà KL thì không bao giờ âm: hãy đổi dấu",
                "notebooks": "✗ Your function is minus the KL, and a KL is never negative: flip its sign"}
    assert line.startswith(expected[folder]) and line.endswith(").") and "\n" not in line, line


def test_a_right_kl_in_the_exercise_gets_its_tick(folder, capsys):
    assert check_kl(lambda mu, log_sigma: ((torch.exp(2 * log_sigma) + mu**2 - 1) / 2 - log_sigma).sum(1)) is True
    expected = {"vi": "✓ KL khớp với torch.distributions.kl_divergence trên 6 phân bố Gaussian ngẫu nhiên.",
                "notebooks": "✓ KL matches torch.distributions.kl_divergence on 6 random Gaussians."}
    assert printed(capsys) == expected[folder]


def test_a_working_folder_deleted_under_the_kernel_means_english_not_an_error(tmp_path, monkeypatch):
    gone = tmp_path / "vi"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert messages.language() == "en"
