"""Checks of what a student typed: the type-along cells (``take``) and the exercise cells (``check_*``).

A **type-along** cell (notebooks 00 and 01) starts ``# TYPE ALONG: <name>``, followed in the lecture notebook by
`` — lecture h:mm:ss–h:mm:ss``, where the video writes it; in the type-along copy
(``python -m vae_lab.student_copies``) only its comment lines are left, and the cell after it calls ``take``::

    VariationalEncoder = take("VariationalEncoder", globals())

If the student typed the definition, it is checked on inputs of the check's own and, if it works, the cells after
it use it; left empty or too broken to run, vae_lab's version takes its place, with one line saying so, so that
Run All goes on. The lecture's own KL line is flagged (⚠) and the student's code kept.

An **exercise** cell (notebooks 00, 02 and 03) is followed by ``check_kl(my_kl)`` and its kind: ✓ and what passed,
or ✗ and a hint; they return True or False, and compare with an independent reference (``torch.distributions``,
or the defining property), never with the library function the student is rebuilding.

Each rule is written once: a rule raises ``Refused`` with a hint, or returns a note on code that runs but is not the
true formula (the lecture's KL line). No check raises, and each draws on a forked random number generator, so the
notebook's later numbers do not depend on it. The student's code runs with a time limit per call (``TIME_LIMIT``),
what it prints is capped, and a ``sys.exit()`` or ``raise KeyboardInterrupt`` in it is a ✗; only the user's own
Ctrl-C stops a check cell. Adding a type-along cell: its two cells in the notebook, one
``@type_along(name, fallback)`` rule here, and the video's code in ``tests/lecture_code.py``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import io
import math
import signal
import sys
import sysconfig
import tempfile
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn
from torch.distributions import Normal, kl_divergence
from torch.utils.data import DataLoader, TensorDataset

from .. import HIDDEN, IMAGE_SHAPE, IMAGE_SIZE, interpolate, interpolate_gif, models, plot_latent, plot_reconstructed
from .messages import N_, _
from .student_copies import TYPE_ALONG_LINE

CHECK_IMAGES = 8  # images of a type-along check's batch
CHECK_DIMS = 2
CPU = torch.device("cpu")
# The texts a student reads are English written in _() (messages.py: the catalogue of the notebook's language); those
# kept in constants are marked N_() and looked up where they are used, _(LECTURE_KL), the language being the notebook's
LECTURE_KL = N_("that is the lecture's line, Σ(σ² + μ² − log σ − ½): that is the KL to N(0, ½) plus a constant, not "
                "the KL to N(0, 1) (Σ[(σ² + μ² − 1)/2 − log σ]; why: notebook 02, 'Spot the bug'). Your VAE will keep "
                "its codes in a tighter cloud")
SUM_NOT_MEAN = N_("the lecture's loss is the sum, ((x - x_hat)**2).sum(), over the pixels and the images")
DEVICES = ("same device", "Placeholder storage")  # the words of CUDA's and Apple MPS's errors of two devices
ADVICE = (  # (words of an error, the code it is for (None: any), what to do): the errors that code typed from the video
    # meets on today's machines; the first that fits is given
    (DEVICES, ("forward",), N_("The noise must be on mu's device: write torch.randn_like(mu) instead of "
                               "self.N.sample(mu.shape) or torch.randn(mu.shape) (the video's .cuda() lines do this "
                               "for an NVIDIA GPU only)")),
    (DEVICES, None, N_("Put what the model is given on the model's device: x = x.to(device) for each batch, as the "
                       "lecture's loop, and .to(device) on each code you make, torch.Tensor([[x, y]]).to(device)")),
    (("CUDA", "cuda", "NVIDIA", "GPU"), None, N_("The video's .cuda() lines need an NVIDIA GPU: delete `self.N.loc = "
     "self.N.loc.cuda()` and `self.N.scale = self.N.scale.cuda()` (self.N.sample then works on the CPU), or write "
     "`torch.randn_like(mu)` instead of self.N.sample(mu.shape)")),
    (("__next__", "'next'"), None, N_("Write next(iter(data)) instead of data.__iter__().next(): PyTorch 1.13 took "
                                      ".next() away from the data loader's iterators")),
    (("is not defined",), None, N_("Run the cells above first (Run All), or define the name it needs")),
    # not a template: written as it is, braces and all (the lecture's f-string)
    (("unknown file extension",), None, N_("Add .gif to the file name: PIL chooses the format from the extension, and "
     "the lecture saves f'{filename}.gif'")),
    (("Can't call numpy() on Tensor that requires grad",), None, N_("Write .detach() before .numpy(), as the "
     "lecture: .to('cpu').detach().numpy()")),
    (("in-place",), None, N_("Build a new tensor (z = mu + ...) instead of changing an input in place (+=, add_)")),
    (("before Module.__init__() call",), None, N_("Call super().__init__() first in __init__, before any self.layer = "
     "... (the lecture writes super(Encoder, self).__init__())")),
    (("__init__() takes", "__init__() missing"), None, N_("The class must take the number of latent dimensions: "
     "def __init__(self, latent_dims)")),
)
# Seconds a call of the student's code may take in a check: about ten times the slowest seen, the video's train loop
# (1.6 s on a 2-core VM shared at load 7, 0.1-0.5 s at load 5; the other calls under 0.25 s).
TIME_LIMIT = 15.0
OUTPUT_LINES, OUTPUT_CHARS = 20, 2000  # of what the student's code prints during a check, what is passed on
META = N_("which holds shapes but no values, so nothing can be computed on it: build your models on the CPU (no "
          "device='meta', .to('meta') or torch.set_default_device('meta')), with device = 'cpu' or 'cuda'")


class Refused(Exception):
    """What a student typed does not do what the cells after it need: the message is the hint."""


# ---- One way to turn what went wrong into a student's sentence ------------------------------------------------------

def sentence(error: BaseException, raised_by_student: bool = False, who: str | None = None) -> str:
    """The sentence a student reads about ``error`` (no full stop at the end); ``who`` names the student's code
    (``called``), "code" by default.

    A ``Refused`` is its hint; the ends of the student's code that are not errors (the time limit, ``sys.exit()``, a
    ``KeyboardInterrupt`` of its own) say so; an exception of the student's code says what it was, with advice for
    the errors that code typed from the video meets; any other means the check itself could not go on with what it
    was given.
    """
    if isinstance(error, Refused):
        return str(error)
    named = who or _("code")
    if isinstance(error, OutOfTime):
        return _("your {who} did not return within {seconds:g} s: look for a loop that never ends (a `while` whose "
                 "condition stays true, a `break` never reached) or far more work than the lecture's").format(
            who=named, seconds=error.args[0])
    if isinstance(error, SystemExit):
        return _("your {who} called sys.exit() (raised SystemExit), which would stop Run All: end it with `return`, "
                 "or raise an error that says what is wrong").format(who=named)
    if isinstance(error, KeyboardInterrupt):
        return _("your {who} raised KeyboardInterrupt itself, which would stop Run All: raise an error that says what "
                 "is wrong (ValueError, ...) instead").format(who=named)
    what = f"{type(error).__name__}: {str(error).rstrip('.: ')}"  # Python's words, as Python wrote them
    if not raised_by_student:
        return _("the check could not judge your answer ({what}): look at what your code returns, a torch.Tensor of "
                 "the expected shape, with floats").format(what=what)
    if isinstance(error, NotImplementedError):
        return _("not written yet: replace the `raise NotImplementedError` line with your code")
    advice = next((text for words, whose, text in ADVICE
                   if (whose is None or who in whose) and any(word in str(error) for word in words)), "")
    if advice:
        return _("your code raised {what}. {advice}").format(what=what, advice=_(advice))
    return _("your code raised {what}").format(what=what)


def run(function: Callable, *args, **kwargs):
    """Call the student's ``function`` within ``TIME_LIMIT``. Whatever it ends with but a return becomes a
    ``Refused`` with its sentence: an exception, the time limit, ``sys.exit()``, a KeyboardInterrupt it raised
    itself. The user's Ctrl-C is raised on."""
    try:
        with time_limit(TIME_LIMIT):
            return function(*args, **kwargs)
    except Refused:
        raise
    except CAUGHT as error:
        if from_the_user(error):
            raise
        raise Refused(sentence(error, raised_by_student=True, who=called(function))) from error


def judged(rule: Callable[..., str], *args, device: torch.device = CPU) -> tuple[bool, str]:
    """``(True, rule's note or success)`` or ``(False, a hint)``: ``rule(*args)`` run on a forked random number
    generator, with warnings silenced (the check's own inputs are not the student's concern) and what the student's
    code prints capped; never raises, but on the user's Ctrl-C."""
    with ctrl_c_noted(), output_capped():
        try:
            with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return True, rule(*args)
        except CAUGHT as error:  # CAUGHT beyond Exception: the student's code reached outside `run` (a property)
            if from_the_user(error):
                raise
            return False, sentence(error)


def called(function: object) -> str:
    """How a hint names the student's code that a check called: ``__init__`` for a class, ``forward`` for a model,
    else the function's name (``train``, ``my_kl``)."""
    if isinstance(function, type):
        return "__init__"
    if isinstance(function, nn.Module):
        return "forward"
    name = str(getattr(function, "__name__", ""))
    return name if name.isidentifier() else _("function")


# ---- The student's code in a check: a time limit, its printing capped, its exits caught -----------------------------
#
# A check must end, and say one line, whatever the student's code does: loop forever (``while True`` in forward),
# print a million lines, call sys.exit() or raise KeyboardInterrupt. But the user's own Ctrl-C (the kernel's ■
# button) must still stop the cell. The time limit and the Ctrl-C both come as signals, which Python delivers to the
# main thread only, the one that runs a notebook's cells (and pytest's tests); elsewhere, and on Windows (no
# SIGALRM), the student's code runs without a time limit and every KeyboardInterrupt counts as the user's.

class OutOfTime(BaseException):
    """Raised in the student's code when a call runs past its time limit (``args[0]``, in seconds). A BaseException,
    so that an ``except Exception`` in the student's loop does not swallow it."""


CAUGHT = (Exception, SystemExit, KeyboardInterrupt, OutOfTime)  # what a check turns into a ✗ (but a real Ctrl-C)


def in_main_thread() -> bool:
    """Whether this is the main thread, the one that Python delivers signals to and lets set their handlers."""
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise ``OutOfTime(seconds)`` in the code run inside once ``seconds`` have passed (SIGALRM: the one way to stop
    a Python loop from outside it). The code runs without a limit outside the main thread, on Windows (no SIGALRM),
    and where an alarm is already set (a limit around this one), which is left as it is. The alarm is always
    cancelled and the previous handler put back."""
    if not hasattr(signal, "setitimer") or not in_main_thread() or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        yield
        return
    armed = True

    def out_of_time(signum, frame):
        if armed:
            raise OutOfTime(seconds)

    previous = signal.signal(signal.SIGALRM, out_of_time)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        yield
    finally:
        armed = False  # an alarm already on its way raises nothing from here on
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)


class CtrlC:
    """Python raises the same KeyboardInterrupt for the user's Ctrl-C (SIGINT, what the kernel's ■ button sends),
    which must stop the cell, and for a ``raise KeyboardInterrupt`` in the student's code, a ✗ like any error. So
    during a check (``ctrl_c_noted``) a SIGINT handler of ours notes the signal, then raises as Python's does:
    ``watching`` while it is in place, ``pressed`` once a SIGINT came. Where it cannot be put in place (not the main
    thread, or a handler other than Python's own in place), ``watching`` stays False and every KeyboardInterrupt
    counts as the user's: a real Ctrl-C is never taken for the student's."""
    watching = False
    pressed = False


@contextlib.contextmanager
def ctrl_c_noted():
    """Note a Ctrl-C in ``CtrlC`` while the code inside runs; Python's SIGINT handler is put back after it."""
    if not in_main_thread() or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return

    def noted(signum, frame):
        CtrlC.pressed = True
        raise KeyboardInterrupt

    CtrlC.watching, CtrlC.pressed = True, False
    signal.signal(signal.SIGINT, noted)
    try:
        yield
    finally:
        CtrlC.watching = False
        signal.signal(signal.SIGINT, signal.default_int_handler)


def from_the_user(error: BaseException) -> bool:
    """Whether ``error`` is the user's Ctrl-C (``CtrlC``): it stops the cell, never judged."""
    return isinstance(error, KeyboardInterrupt) and (CtrlC.pressed or not CtrlC.watching)


class CappedOutput(io.TextIOBase):
    """Stands for stdout and stderr while a check runs: keeps the first ``OUTPUT_CHARS`` characters of what the
    student's code prints and counts the rest, so that a print in a loop cannot flood the notebook (a million lines
    made an executed notebook of 18 MB)."""

    def __init__(self):
        super().__init__()
        self.kept, self.chars, self.line_ends, self.last = "", 0, 0, "\n"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.chars, self.line_ends = self.chars + len(text), self.line_ends + text.count("\n")
        self.last = text[-1:] or self.last
        if len(self.kept) < OUTPUT_CHARS:
            self.kept += text[:OUTPUT_CHARS - len(self.kept)]
        return len(text)

    def passed_on(self) -> str:
        """The first ``OUTPUT_LINES`` lines kept, and a line saying how much was left out."""
        pieces = self.kept.split("\n")
        shown = "\n".join(pieces[:OUTPUT_LINES]) + ("\n" if len(pieces) > OUTPUT_LINES else "")
        if len(shown) == self.chars:  # all of it, ended with a line break: the check's verdict starts a line
            return shown if shown.endswith("\n") or not shown else shown + "\n"
        lines = self.line_ends + (self.last != "\n") - shown.count("\n") - (not shown.endswith("\n"))
        chars = self.chars - len(shown)
        left = (_("[… {lines:,} more lines ({chars:,} characters) that your code printed, left out]") if lines else
                _("[… {chars:,} more characters that your code printed, left out]")).format(lines=lines, chars=chars)
        return shown + ("" if shown.endswith("\n") else "\n") + left + "\n"


@contextlib.contextmanager
def output_capped():
    """Catch what the code inside prints (stdout and stderr) in a ``CappedOutput``, then print what it passes on
    (on stdout)."""
    output, stdout = CappedOutput(), sys.stdout
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            yield
    finally:
        stdout.write(output.passed_on())


def described(result: object, returns: str | None = None) -> str:
    """What a student's code returned, in words, for a hint: a tensor's shape, or the type; ``returns`` is the line
    that a function which returned None should end with ("a `return` line" by default)."""
    if isinstance(result, Tensor):
        return _("a tensor of shape {shape}").format(shape=tuple(result.shape))
    if type(result).__module__ == "numpy" or isinstance(result, (list, float)):
        kind = _("a NumPy array") if type(result).__module__ == "numpy" else _("a {type}").format(
            type=type(result).__name__)
        return _("{kind} (keep torch tensors: .numpy(), .tolist() and .item() cut the gradients)").format(kind=kind)
    if result is None:
        return _("nothing: your code returned None (end it with {returns})").format(
            returns=returns or _("a `return` line"))
    return _("a {type}").format(type=type(result).__name__)


def tensor_of(result: object, shape: tuple, what: str, returns: str | None = None) -> Tensor:
    """``result``, checked to be a tensor of ``shape`` holding finite real numbers (the cells after it compute with
    it: whole numbers or NaN would break them); ``what`` names it in the hint, ``returns`` the lecture's last line."""
    if not isinstance(result, Tensor) or tuple(result.shape) != tuple(shape):
        raise Refused(_("{what} should have shape {shape}, got {got}").format(
            what=what, shape=tuple(shape), got=described(result, returns)))
    if not result.is_floating_point():
        raise Refused(_("{what} has dtype {dtype}, but it holds real numbers: keep floating-point tensors (no .long(), "
                        ".int(), .round() or //)").format(what=what, dtype=result.dtype))
    if not torch.isfinite(result).all():
        raise Refused(_("{what} holds NaN or infinite values").format(what=what))
    return result


# ---- The ideas that type-along and exercise cells share ------------------------------------------------------------

def rounding(dtype: torch.dtype) -> float:
    """How far from the exact KL a right computation in ``dtype`` may land, as a fraction of the size of the terms it
    adds up: 1e-4 in float32 and float64; ten steps of the float in half precision (float16: 1e-2, bfloat16: 8e-2).
    Measured, a right KL in float16 (bfloat16) is off by a third (half) of a step; the lecture's line, by half the
    terms' size. A right formula computed in float16 passes (✓), not ⚠: the exercise asks for the formula, which
    float16 (mixed-precision training uses it) only rounds, and an exercise's check has ✓ and ✗ only."""
    return max(1e-4, 10 * torch.finfo(dtype).eps)


MINUS_KL = N_("{what} is minus the KL, and a KL is never negative: flip its sign, per dimension (sigma**2 + mu**2 - 1) "
              "/ 2 - torch.log(sigma) (the textbook's -0.5 * (1 + log sigma² - mu**2 - sigma**2) starts with a minus)")
KL_SLIPS = (  # (a wrong KL per dimension, from mu, sigma and log sigma; the hint, {what}: "self.kl" or "your my_kl")
    (lambda mu, sigma, log: (1 + 2 * log - mu**2 - sigma**2) / 2, MINUS_KL),
    (lambda mu, sigma, log: log + 0.5 - sigma**2 - mu**2, MINUS_KL),  # the lecture's line, negated
    (lambda mu, sigma, log: (sigma**2 + mu**2 - 1) / 2 - 2 * log,
     N_("{what} subtracts log sigma² where the KL has log sigma: torch.log(sigma**2) is 2 * torch.log(sigma), so write "
        "(sigma**2 + mu**2 - 1) / 2 - torch.log(sigma)")),
    (lambda mu, sigma, log: (sigma**2 + mu**2 - 1) / 2 - log / 2,
     N_("{what} subtracts half of log sigma where the KL has all of it: the textbook's -0.5 * (1 + log_var - mu**2 - "
        "sigma**2) has log_var = log sigma² = 2 * torch.log(sigma), so write (sigma**2 + mu**2 - 1) / 2 - "
        "torch.log(sigma)")),
    (lambda mu, sigma, log: (sigma + mu**2 - 1) / 2 - log / 2,
     N_("{what} takes log_sigma for the textbook's log_var, log sigma²: here it is log sigma, so sigma**2 = "
        "torch.exp(2 * log_sigma) and the KL per dimension is (torch.exp(2 * log_sigma) + mu**2 - 1) / 2 - "
        "log_sigma")),
    (lambda mu, sigma, log: (log**2 + mu**2 - 1) / 2 - log,
     N_("{what} uses log_sigma as sigma: sigma = torch.exp(log_sigma), so the KL per dimension is "
        "(torch.exp(2 * log_sigma) + mu**2 - 1) / 2 - log_sigma")),
)


def kl_note(given: Tensor, mu: Tensor, sigma: Tensor, summed: Callable[[Tensor], Tensor], what: str) -> str:
    """"" if ``given`` is ``summed`` KL(N(mu, sigma²) || N(0, 1)) per dimension (``torch.distributions``), to the
    ``rounding`` of its dtype; the note ``LECTURE_KL`` if it is the lecture's line; else ``Refused``, naming the slip
    where it is one of ``KL_SLIPS`` or a mean of the terms instead of their sum, to float32's rounding only (in half
    precision the slips are within rounding of each other)."""
    size, computed_in = summed((sigma**2 + mu**2 + 1) / 2 + torch.log(sigma).abs()), given.dtype
    given = given.detach().to(mu.dtype)

    def near(value: Tensor, terms: float | Tensor = 1, dtype: torch.dtype = computed_in) -> bool:
        return bool(((given - value).abs() <= rounding(dtype) * size / terms).all())

    lecture = summed(sigma**2 + mu**2 - torch.log(sigma) - 0.5)
    if near(lecture):
        return _(LECTURE_KL)
    true = summed(kl_divergence(Normal(mu, sigma), Normal(0.0, 1.0)))
    if near(true):
        return ""
    for slip, hint in KL_SLIPS:
        if near(summed(slip(mu, sigma, torch.log(sigma))), dtype=torch.float32):
            raise Refused(_(hint).format(what=what))
    for terms in (summed(torch.ones_like(mu)), len(mu)):  # .mean() over all the terms, or over the batch
        if near(true / terms, terms, torch.float32) or near(lecture / terms, terms, torch.float32):
            raise Refused(_("{what} is a mean, but a KL adds up its terms: write .sum() where you wrote "
                            ".mean()").format(what=what))
    if true.numel() == 1:
        raise Refused(_("{what} differs from the KL to N(0, 1) ({given:.4g} where it is {true:.4g}): per dimension "
                        "(sigma**2 + mu**2 - 1) / 2 - torch.log(sigma), with sigma = exp(log_sigma)").format(
            what=what, given=given.item(), true=true.item()))
    raise Refused(_("{what} differs from the KL to N(0, 1): per dimension (sigma**2 + mu**2 - 1) / 2 - "
                    "torch.log(sigma), with sigma = exp(log_sigma)").format(what=what))


def gradients_reach(z: Tensor, sources: dict[str, Tensor]) -> None:
    """Refuse a sample ``z`` through which no gradient reaches one of ``sources`` (the reparameterization trick)."""
    if not z.requires_grad:
        raise Refused(_("no gradient reaches {names}: build z from them, z = mu + sigma * eps, without .detach() or "
                        "torch.no_grad(), instead of sampling z directly or making a new tensor").format(
            names=joined(sources)))
    grads = torch.autograd.grad(z.sum(), list(sources.values()), allow_unused=True, retain_graph=True)
    for name, grad in zip(sources, grads):
        if grad is None or not grad.abs().sum() > 0:
            raise Refused(_("no gradient reaches {name}: build z from it, z = mu + sigma * eps, with {name} neither "
                            "detached nor left out").format(name=name))


def joined(names) -> str:
    """``names`` in a sentence: "mu and sigma", "a and b and c"."""
    words = list(names)
    text = words[0] if words else ""
    for word in words[1:]:
        text = _("{first} and {second}").format(first=text, second=word)
    return text


def is_noise(z: Tensor, mu: Tensor, sigma: Tensor, advice: str = "") -> None:
    """Refuse a sample ``z`` whose (z - mu) / sigma is not N(0, 1) noise, dimension by dimension (5 standard errors)."""
    eps = (z.detach().to(mu.dtype) - mu.detach()) / sigma.detach()
    mean, spread, n = eps.mean(0), eps.std(0), len(eps)
    if (mean.abs() > 5 / math.sqrt(n)).any() or ((spread - 1).abs() > max(0.02, 5 / math.sqrt(2 * n))).any():
        raise Refused(_("(z - mu) / sigma should be N(0, 1) noise (mean 0, spread 1), got mean {mean} and spread "
                        "{spread}: z = mu + sigma * eps, eps = torch.randn_like(mu), a sample of N(0, 1) in mu's "
                        "shape{advice}").format(mean=[round(v, 2) for v in mean.tolist()],
                                                spread=[round(v, 2) for v in spread.tolist()], advice=advice))


def relu_on_linear3(cls: type) -> bool:
    """Whether ``cls.forward``'s source puts linear3's output through a ReLU (the video's aside, 0:05:20)."""
    try:
        source = inspect.getsource(cls.forward)
    except (OSError, TypeError):  # no source to read: judged by the numbers alone
        return False
    return any("relu" in line and "linear3" in line for line in source.splitlines())


def variational_encoder_note(cls: type, device: torch.device, variational: bool = True) -> str:
    """The lecture's VariationalEncoder: layers ``linear1..3`` of the lecture's sizes; ``forward`` returns z = mu +
    sigma * eps with mu = linear2(h), sigma = exp(linear3(h)), gradients reaching both, and sets ``self.kl`` to the
    batch's summed KL to N(0, 1) (the lecture's line: a note)."""
    encoder = build(cls, device)
    layers = [linear(encoder, "linear1", IMAGE_SIZE, HIDDEN), linear(encoder, "linear2", HIDDEN, CHECK_DIMS),
              linear(encoder, "linear3", HIDDEN, CHECK_DIMS)]
    with torch.no_grad():  # mu of either sign, away from 0, and sigma about 2: a sample missing either shows it
        layers[1].bias += torch.tensor([2.0, -2.0], device=device)
        layers[2].bias += 0.7
    x = torch.rand(256, *IMAGE_SHAPE, device=device)
    kl_before, used = getattr(encoder, "kl", None), set()
    hooks = [layer.register_forward_hook(lambda module, inputs, output: used.add(module)) for layer in layers[1:]]
    try:
        with torch.enable_grad():
            z = tensor_of(run(encoder, x), (256, CHECK_DIMS),
                          _("encoder(x), one code per image of x (256, 1, 28, 28),"), "`return z`")
    finally:
        for hook in hooks:
            hook.remove()
    for name, layer in (("linear2", layers[1]), ("linear3", layers[2])):
        if layer not in used:
            raise Refused(_("forward never uses self.{name}: mu and sigma have a layer each, mu = self.linear2(x) "
                            "and sigma = torch.exp(self.linear3(x))").format(name=name))
    with torch.enable_grad():
        h = torch.relu(layers[0](torch.flatten(x, start_dim=1)))
        mu, sigma = layers[1](h), torch.exp(layers[2](h))
        gradients_reach(z, {"mu": layers[1].weight, "sigma": layers[2].weight})
    try:  # the commonest slip: sigma = self.linear3(x), without exp; then (z - mu) / linear3(h) is the noise
        is_noise(z, mu, layers[2](h))
    except Refused:
        pass
    else:  # sigma = linear3(h) on these inputs: without exp, or through a ReLU (linear3 is positive here)
        if relu_on_linear3(cls):
            raise Refused(_("sigma = relu(...) is 0 for some codes, and then log sigma, in the KL, is minus infinity: "
                            "the video says relu would do (0:05:20) but types exp (0:05:36), "
                            "sigma = torch.exp(self.linear3(x))"))
        raise Refused(_("sigma must be positive, and linear3 gives any real number: the lecture makes it positive "
                        "with exp, sigma = torch.exp(self.linear3(x))"))
    is_noise(z, mu, sigma, _(", with mu = self.linear2(x) (no ReLU on mu) and sigma = torch.exp(self.linear3(x))"))
    kl = getattr(encoder, "kl", None)
    if kl is kl_before:
        raise Refused(_("your forward never set self.kl (got {kl!r}, as __init__ left it): compute the KL from mu and "
                        "sigma in forward and keep its sum in self.kl, self.kl = (...).sum(), not kl = ... (a name "
                        "that is lost when forward returns)").format(kl=kl))
    if not torch.is_tensor(kl) or kl.dim() != 0:
        got = _("shape {shape}").format(shape=tuple(kl.shape)) if torch.is_tensor(kl) else repr(kl)
        raise Refused(_("after encoder(x), self.kl should be one number for the batch (a tensor summed with .sum()), "
                        "got {got}").format(got=got))
    if not kl.is_floating_point():
        raise Refused(_("self.kl should be a real number (a float tensor), got dtype {dtype}").format(dtype=kl.dtype))
    return kl_note(kl, mu, sigma, torch.sum, "self.kl")


def interpolation(decoder: Callable, z_1: Tensor, z_2: Tensor, n: int) -> Tensor:
    """The ``n`` images decoded at z_1 + (z_2 - z_1) t, t = 0, 1/(n - 1), ..., 1: ``(n, 1, 28, 28)``."""
    with torch.no_grad():
        return torch.cat([decoder(z_1 + (z_2 - z_1) * t) for t in torch.linspace(0, 1, n).tolist()])


def same_interpolation(images: Tensor, expected: Tensor) -> None:
    """Refuse interpolated ``images`` that are not ``expected`` (``interpolation``'s)."""
    if not torch.allclose(images.detach().to(expected.dtype).to(expected.device), expected, atol=1e-5):
        raise Refused(_("the images differ from the ones decoded at z_1 + (z_2 - z_1) * t for t in "
                        "np.linspace(0, 1, n): evenly spaced from z_1 to z_2, both ends included"))


# ---- Type-along cells: one registration per name -----------------------------------------------------------------

@dataclass(frozen=True)
class TypeAlong:
    """A type-along definition: its ``rule(typed, device, variational) -> note``, vae_lab's ``fallback``, and for an
    autoencoder the ``parts`` (encoder, decoder) it is built from."""
    rule: Callable[[object, torch.device, bool], str]
    fallback: object
    parts: tuple[str, str] | None = None


TYPE_ALONG: dict[str, TypeAlong] = {}


def type_along(name: str, fallback: object, parts: tuple[str, str] | None = None):
    """Register the decorated rule as the check of the type-along cell ``name``, with vae_lab's ``fallback``."""
    def register(rule):
        TYPE_ALONG[name] = TypeAlong(rule, fallback, parts)
        return rule
    return register


def take(name: str, namespace: dict, variational: bool | None = None) -> object:
    """What the cells after ``name``'s type-along cell use: the student's definition if it works, else vae_lab's.

    Prints one line: ✓ (the student's is used), ⚠ (used, with a hint: the lecture's KL line),
    ✗ (a hint; the library's is used) or "not typed yet" (the library's is used), with the lecture time of
    the cell's ``# TYPE ALONG`` line where it has one.

    Args:
        name: a key of ``TYPE_ALONG``, e.g. ``"VariationalEncoder"``.
        namespace: the notebook's ``globals()``, where the student's cell defined ``name``.
        variational: for ``"train"``: True for the VAE's loop (the lecture notebook), False for the
            autoencoder's (the pre-work). By default, True if the namespace holds a ``VariationalAutoencoder``.
    """
    if name not in TYPE_ALONG:
        raise ValueError(_("take knows the type-along names {names}, got {name!r}.").format(
            names=sorted(TYPE_ALONG), name=name))
    if variational is None:
        variational = "VariationalAutoencoder" in namespace
    time = lecture_time(name, namespace)
    at = _(" (lecture {time})").format(time=time) if time else ""
    fallback, made_of = fallback_for(name, namespace)
    if not typed_in(namespace, name):
        print(_("{name} is not typed yet{at}: the cells below use vae_lab's version{made_of}.").format(
            name=name, at=at, made_of=made_of))
        return fallback
    try:
        device = torch.device(namespace.get("device", CPU))
    except (TypeError, RuntimeError):
        device = CPU
    if "meta" in (device.type, torch.get_default_device().type):  # nothing runs there, not even the check
        works, said = False, _("the notebook's device is 'meta', {meta}").format(meta=_(META))
    else:
        works, said = judged(TYPE_ALONG[name].rule, namespace[name], device, variational, device=device)
    if not works:
        print(_("✗ {name}: {said}{at}. The cells below use vae_lab's version{made_of} until you fix it.").format(
            name=name, said=said, at=at, made_of=made_of))
        return fallback
    if said:
        print(_("⚠ {name}: {said}{at}. The cells below use your {name}.").format(name=name, said=said, at=at))
    else:
        print(_("✓ {name}: yours is used from here on.").format(name=name))
    return namespace[name]


def lecture_time(name: str, namespace: dict) -> str:
    """The lecture time on ``name``'s ``# TYPE ALONG`` line, read from the notebook's input history (IPython's
    ``In``, its last run of that cell); "" where it has none, or outside IPython."""
    for source in reversed(namespace.get("In") or []):
        for line in str(source).splitlines():
            match = TYPE_ALONG_LINE.match(line.strip())
            if match and match["name"] == name:
                return match["time"] or ""
    return ""


def typed_in(namespace: dict, name: str) -> bool:
    """Whether ``name`` in the notebook is the student's own: defined in the notebook, or imported from a file of
    the student's (``from my_vae import VariationalEncoder``); not vae_lab's, handed over by ``take``."""
    typed = namespace.get(name)
    module = getattr(typed, "__module__", None)
    return typed is not None and (module == namespace.get("__name__", "__main__") or students_file(module))


INSTALLED = ("site-packages", "dist-packages")  # the folders of installed packages (dist-: Debian's)


def students_file(module_name: object) -> bool:
    """Whether the module ``module_name`` was loaded from a file of the student's: one outside vae_lab, the standard
    library and the installed packages."""
    file = getattr(sys.modules.get(module_name) if isinstance(module_name, str) else None, "__file__", None)
    if not file:
        return False  # built in, or no module
    path = Path(file).resolve()
    theirs = (Path(__file__).resolve().parents[1], Path(sysconfig.get_path("stdlib")).resolve())
    return not any(part in INSTALLED for part in path.parts) and not any(path.is_relative_to(f) for f in theirs)


def fallback_for(name: str, namespace: dict) -> tuple[object, str]:
    """vae_lab's version of ``name``, and what it is made of. An autoencoder left untyped is built, as the lecture
    builds it, from the encoder and decoder the notebook holds, so that a student's typed encoder still drives it."""
    entry = TYPE_ALONG[name]
    typed = [part for part in entry.parts or () if typed_in(namespace, part) and isinstance(namespace[part], type)]
    if not typed:
        return entry.fallback, ""
    encoder, decoder = (namespace[part] if part in typed else TYPE_ALONG[part].fallback for part in entry.parts)
    return lecture_autoencoder(name, encoder, decoder), _(", built from this notebook's {names}").format(
        names=joined(typed))


def lecture_autoencoder(name: str, encoder: type, decoder: type) -> type:
    """The lecture's Autoencoder or VariationalAutoencoder class, from these encoder and decoder classes."""

    class LectureAutoencoder(nn.Module):
        def __init__(self, latent_dims: int):
            super().__init__()
            self.encoder = encoder(latent_dims)
            self.decoder = decoder(latent_dims)

        def forward(self, x: Tensor) -> Tensor:
            return self.decoder(self.encoder(x))

    LectureAutoencoder.__name__ = LectureAutoencoder.__qualname__ = name
    return LectureAutoencoder


def images(n: int = CHECK_IMAGES) -> tuple[Tensor, Tensor]:
    """``n`` random images in [0, 1], ``(n, 1, 28, 28)``, and digits ``(n,)``."""
    return torch.rand(n, *IMAGE_SHAPE), torch.arange(n) % 10


def loader(batches: int = 2) -> DataLoader:
    """A tiny DataLoader of ``(x, y)`` batches, like the lecture's (batch size ``CHECK_IMAGES``)."""
    return DataLoader(TensorDataset(*images(batches * CHECK_IMAGES)), batch_size=CHECK_IMAGES)


def build(cls: type, device: torch.device) -> nn.Module:
    """``cls(CHECK_DIMS)`` on ``device``, as the lecture builds its models."""
    if not isinstance(cls, type) or not issubclass(cls, nn.Module):
        raise Refused(_("give the class itself (class ... (nn.Module)), not {what}").format(what=described(cls)))
    model = run(cls, CHECK_DIMS)
    if any(tensor.is_meta for tensor in [*model.parameters(), *model.buffers()]):
        raise Refused(_("{cls}({dims}) has its tensors on the 'meta' device, {meta}").format(
            cls=cls.__name__, dims=CHECK_DIMS, meta=_(META)))
    return model.to(device)


def linear(module: nn.Module, name: str, inputs: int, outputs: int) -> nn.Linear:
    """``module.<name>``, checked to be an ``nn.Linear(inputs, outputs)`` as the lecture names it."""
    layer = getattr(module, name, None)
    if not isinstance(layer, nn.Linear):
        raise Refused(_("{module} needs a layer self.{name} = nn.Linear({inputs}, {outputs}) (the lecture's name), "
                        "found {found}").format(module=type(module).__name__, name=name, inputs=inputs,
                                                outputs=outputs,
                                                found=type(layer).__name__ if layer is not None else _("none")))
    if (layer.in_features, layer.out_features) != (inputs, outputs):
        raise Refused(_("self.{name} must be nn.Linear({inputs}, {outputs}), got nn.Linear({got_inputs}, "
                        "{got_outputs})").format(name=name, inputs=inputs, outputs=outputs,
                                                 got_inputs=layer.in_features, got_outputs=layer.out_features))
    return layer


@type_along("Encoder", models.Encoder)
def encoder_note(cls: type, device: torch.device, variational: bool) -> str:
    encoder = build(cls, device)
    linear(encoder, "linear1", IMAGE_SIZE, HIDDEN), linear(encoder, "linear2", HIDDEN, CHECK_DIMS)
    z = run(encoder, images()[0].to(device))
    tensor_of(z, (CHECK_IMAGES, CHECK_DIMS), _("encoder(x) for x of shape (8, 1, 28, 28)"), "`return self.linear2(x)`")
    return ""


@type_along("Decoder", models.Decoder)
def decoder_note(cls: type, device: torch.device, variational: bool) -> str:
    decoder = build(cls, device)
    linear(decoder, "linear1", CHECK_DIMS, HIDDEN), linear(decoder, "linear2", HIDDEN, IMAGE_SIZE)
    x_hat = run(decoder, 10 * torch.randn(CHECK_IMAGES, CHECK_DIMS, device=device))  # far codes: a ReLU leaves [0, 1]
    shape = (CHECK_IMAGES, *IMAGE_SHAPE)
    if isinstance(x_hat, Tensor) and x_hat.shape != shape and x_hat.numel() == math.prod(shape):
        raise Refused(_("decoder(z) for z of shape (8, 2) has the pixels of 8 images in shape {shape}, not "
                        "(8, 1, 28, 28): end forward with return z.reshape((-1, 1, 28, 28)), as the lecture").format(
            shape=tuple(x_hat.shape)))
    x_hat = tensor_of(x_hat, shape, _("decoder(z) for z of shape (8, 2)"), "`return z.reshape((-1, 1, 28, 28))`")
    if x_hat.min() < 0 or x_hat.max() > 1:
        raise Refused(_("pixels must be in [0, 1], and linear2 gives any real number: end with a sigmoid, z = "
                        "torch.sigmoid(self.linear2(z)), as the lecture"))
    return ""


@type_along("Autoencoder", models.Autoencoder, parts=("Encoder", "Decoder"))
def autoencoder_note(cls: type, device: torch.device, variational: bool) -> str:
    model = build(cls, device)
    for part in ("encoder", "decoder"):
        if not isinstance(getattr(model, part, None), nn.Module):
            raise Refused(_("the model needs self.{part} (the lecture's name), built in __init__").format(part=part))
    parts = ("VariationalEncoder" if variational else "Encoder", "Decoder")
    for part, name in zip(("encoder", "decoder"), parts):  # a class the student typed: judged by its own rule
        inner = type(getattr(model, part))
        if inner.__module__ == "__main__" or students_file(inner.__module__):
            try:
                TYPE_ALONG[name].rule(inner, device, variational)
            except Refused as refused:
                raise Refused(_("self.{part} is your {cls}, which its own check refuses: {refused}").format(
                    part=part, cls=inner.__name__, refused=refused)) from None
    x = images()[0].to(device)
    tensor_of(run(model, x), tuple(x.shape), _("model(x) for x of shape (8, 1, 28, 28)"), "`return self.decoder(z)`")
    if variational and not torch.is_tensor(getattr(model.encoder, "kl", None)):
        raise Refused(_("after model(x), model.encoder.kl should hold the batch's KL term (a tensor)"))
    return ""


type_along("VariationalEncoder", models.VariationalEncoder)(variational_encoder_note)
type_along("VariationalAutoencoder", models.VariationalAutoencoder, parts=("VariationalEncoder", "Decoder"))(
    lambda cls, device, variational: autoencoder_note(cls, device, True))


def loss_gradients(train: Callable, model: nn.Module) -> tuple[Tensor, Tensor, list]:
    """Run the student's ``train`` for one epoch on a tiny loader; return the first batch's dL/dx_hat and 2(x_hat - x),
    and dL/dkl of every step (empty if the KL never reached the loss). Refused: no return, no backward, gradients
    never zeroed."""
    seen, kl_grads, steps = [], [], []

    def on_model(module, inputs, x_hat):
        if x_hat.requires_grad and not seen:
            seen.append((inputs[0].detach(), x_hat.detach()))
            x_hat.register_hook(lambda grad: seen.append(grad.detach()))

    def on_encoder(module, inputs, z):
        kl = getattr(module, "kl", None)
        if torch.is_tensor(kl) and kl.requires_grad:
            kl.register_hook(lambda grad: kl_grads.append(grad.detach()))

    bias = model.decoder.linear2.bias  # each backward's gradient of it, before it is added to bias.grad
    hooks = [model.register_forward_hook(on_model), model.encoder.register_forward_hook(on_encoder),
             bias.register_hook(lambda grad: steps.append(grad.detach().clone()))]
    # PyTorch's first optimizer imports its compiler (2-3 s here): not the student's time, so paid before the limit
    torch.optim.SGD([torch.zeros(1, requires_grad=True)])
    try:
        returned = run(train, model, loader(), 1)
    finally:
        for hook in hooks:
            hook.remove()
    if returned is not model:
        raise Refused(_("train should end with `return autoencoder`, the trained model, as the lecture's does: the "
                        "notebook writes vae = train(vae, data, ...)"))
    if len(seen) < 2:
        raise Refused(_("no gradient reached the model's output: call loss.backward() for each batch"))
    if len(steps) > 1 and bias.grad is not None and not torch.allclose(bias.grad, steps[-1]) and \
            torch.allclose(bias.grad, sum(steps)):
        raise Refused(_("the gradients add up from batch to batch: call opt.zero_grad() at the start of each step, "
                        "before loss.backward(), as the lecture's loop"))
    (x, x_hat), grad = seen[0], seen[1]
    return grad, 2 * (x_hat - x.to(x_hat.device)), kl_grads


def lecture_train(autoencoder: nn.Module, data: DataLoader, epochs: int = 20) -> nn.Module:
    """The lecture's ``train(autoencoder, data, epochs)``, done by vae_lab's ``train`` (faster batches, a progress
    bar); returns the trained model, as the lecture's loop does."""
    from ..training import train

    train(autoencoder, data, epochs)
    return autoencoder


@type_along("train", lecture_train)
def train_note(typed: Callable, device: torch.device, variational: bool) -> str:
    """The student's loop on a fresh library model: it returns the model, changes its weights, and its loss is the
    lecture's (summed squared error, plus the encoder's KL with weight 1 for a VAE), read from the gradients."""
    if not callable(typed):
        raise Refused(_("train should be a function, got {type}").format(type=type(typed).__name__))
    model = (models.VariationalAutoencoder if variational else models.Autoencoder)(CHECK_DIMS).to(device)
    before = [p.detach().clone() for p in model.parameters()]
    grad, sse_grad, kl_grads = loss_gradients(typed, model)
    if all(torch.equal(a, b) for a, b in zip(before, model.parameters())):
        raise Refused(_("the weights did not change: create the optimizer from autoencoder.parameters() and call "
                        "opt.step() after loss.backward(), with opt.zero_grad() before loss.backward() (between them "
                        "it wipes the gradients that opt.step() needs)"))
    ratio = (grad * sse_grad).sum() / (sse_grad * sse_grad).sum()
    if not math.isclose(ratio.item(), 1.0, rel_tol=1e-3):
        mean = math.isclose(ratio.item(), 1 / sse_grad.numel(), rel_tol=1e-2)
        what = _("a mean (.mean() or F.mse_loss): write .sum() where you wrote .mean()") if mean \
            else _("something else")
        raise Refused(_("the reconstruction term is {what}: {sum_not_mean}").format(
            what=what, sum_not_mean=_(SUM_NOT_MEAN)))
    if variational and not kl_grads:
        raise Refused(_("the loss has no KL term, or one cut from the gradients (.detach(), .item()): add "
                        "+ autoencoder.encoder.kl, as it is"))
    if variational and all(torch.allclose(g, -torch.ones_like(g)) for g in kl_grads):
        raise Refused(_("the loss subtracts the KL: add it, loss = ((x - x_hat)**2).sum() + autoencoder.encoder.kl"))
    if variational and not all(torch.allclose(g, torch.ones_like(g)) for g in kl_grads):
        raise Refused(_("the KL term should be added once, with weight 1: + autoencoder.encoder.kl"))
    return ""


def drawn(function: Callable, *args, **kwargs):
    """Call a plotting function of the lecture's kind in a figure of its own; return that figure's first Axes."""
    import matplotlib.pyplot as plt

    fig = plt.figure()
    try:
        run(function, *args, **kwargs)
        return fig.axes[0] if fig.axes else plt.gca()
    finally:
        plt.close(fig)
        plt.close("all")


def deterministic(device: torch.device, dims: int = CHECK_DIMS) -> nn.Module:
    """A library Autoencoder: its codes do not vary from call to call, so a drawing can be compared."""
    return models.Autoencoder(dims).to(device).eval()


def shown_image(ax, shapes: tuple, what: str) -> np.ndarray:
    """The last image ``ax`` shows, checked to have one of ``shapes``; ``what`` names it in the hint."""
    if not ax.images:
        raise Refused(_("nothing was shown: plt.imshow(img) the {what}").format(what=what))
    img = np.asarray(ax.images[-1].get_array())
    if img.shape not in shapes:
        raise Refused(_("the {what} should be {rows} x {columns} pixels, got shape {shape}").format(
            what=what, rows=shapes[0][0], columns=shapes[0][1], shape=img.shape))
    return img


@type_along("plot_latent", plot_latent)
def plot_latent_note(typed: Callable, device: torch.device, variational: bool, dims: int = CHECK_DIMS) -> str:
    model, data = deterministic(device, dims), loader(3)
    ax = drawn(typed, model, data, num_batches=0)
    points = [c.get_offsets() for c in ax.collections if len(c.get_offsets())]
    if not points:
        raise Refused(_("nothing was drawn: plt.scatter(...) the codes of each batch"))
    x = np.concatenate(points)[:, 0]
    with torch.no_grad():
        codes = torch.cat([model.encoder(x_.to(device)) for x_, _ in data]).cpu()[:, 0].numpy()
    if not all(np.isclose(codes, value, atol=1e-5).any() for value in x):
        raise Refused(_("the points drawn are not the encoder's codes: z = autoencoder.encoder(x); plot z[:, 0]"))
    return ""


@type_along("plot_reconstructed", plot_reconstructed)
def plot_reconstructed_note(typed: Callable, device: torch.device, variational: bool) -> str:
    model, n = deterministic(device), 3
    ax = drawn(typed, model, r0=(-1, 1), r1=(-2, 2), n=n)
    img = shown_image(ax, ((n * 28, n * 28),), _("grid of decoded images (n = {n})").format(n=n))
    with torch.no_grad():  # the top-left cell: the lowest z_1, the highest z_2 (corners or centres of the cells)
        options = [model.decoder(torch.tensor([[x, y]], device=device)).reshape(28, 28).cpu().numpy()
                   for x, y in ((-1.0, 2.0), (-1 + 1 / n, 2 - 2 / n))]
    if not any(np.allclose(img[:28, :28], option, atol=1e-5) for option in options):
        raise Refused(_("the top-left cell should be decoded from z = (r0[0], r1[1]): row i from the top has "
                        "z_2 = r1[1] - ..., column j has z_1 = r0[0] + ..."))
    return ""


@type_along("interpolate", interpolate)
def interpolate_note(typed: Callable, device: torch.device, variational: bool) -> str:
    model, n = deterministic(device), 5
    x_1, x_2 = torch.rand(1, 28, 28, device=device), torch.rand(1, 28, 28, device=device)
    ax = drawn(typed, model, x_1, x_2, n=n)
    img = shown_image(ax, ((28, n * 28),), _("strip of decoded images (n = {n})").format(n=n))
    with torch.no_grad():
        expected = interpolation(model.decoder, model.encoder(x_1), model.encoder(x_2), n).cpu()
    strip = torch.as_tensor(img, dtype=expected.dtype).reshape(28, n, 28).permute(1, 0, 2).reshape(expected.shape)
    same_interpolation(strip, expected)
    return ""


GIF_NAME = "f'{filename}.gif'"  # the lecture's file name, code


@type_along("interpolate_gif", interpolate_gif)
def interpolate_gif_note(typed: Callable, device: torch.device, variational: bool) -> str:
    from PIL import Image

    model, n = deterministic(device), 4
    x_1, x_2 = torch.rand(1, 28, 28, device=device), torch.rand(1, 28, 28, device=device)
    with tempfile.TemporaryDirectory() as folder:
        run(typed, model, str(Path(folder) / "check"), x_1, x_2, n=n)
        written = sorted(Path(folder).iterdir())
        if not written:
            raise Refused(_("no file was written: save the frames with {code}").format(code=GIF_NAME))
        try:
            with Image.open(written[0]) as gif:
                frames = getattr(gif, "n_frames", 1)
        except OSError:  # PIL's UnidentifiedImageError among them
            raise Refused(_("the file written, {file}, is not an image: save the frames as a GIF, {code}").format(
                file=written[0].name, code=GIF_NAME)) from None
    if frames < n:
        raise Refused(_("for n = {n} the GIF should have at least {n} frames, got {frames}: PIL merges frames that are "
                        "all alike, as black ones are when the decoded images are not multiplied by 255 (the "
                        "lecture's .numpy()*255)").format(n=n, frames=frames))
    return ""


type_along("plot_latent_1d", plot_latent)(
    lambda typed, device, variational: plot_latent_note(typed, device, variational, dims=1))


def plot_reconstructed_1d(autoencoder: nn.Module, r0=(-3, 3), n: int = 12):
    """The images decoded from ``n`` codes from ``r0[0]`` to ``r0[1]`` of a 1-D latent space, as one strip."""
    import matplotlib.pyplot as plt

    z = torch.linspace(*r0, n).unsqueeze(1)  # (n, 1)
    with torch.no_grad():
        device = next(autoencoder.parameters()).device
        x_hat = autoencoder.decoder(z.to(device)).reshape(n, 28, 28).cpu()
    fig, ax = plt.subplots(figsize=(min(16, n), 1.8))
    ax.imshow(torch.cat(list(x_hat), dim=1).numpy(), cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([28 * i + 13.5 for i in range(n)], labels=[f"{value:.1f}" for value in z[:, 0].tolist()])
    ax.set_yticks([])
    ax.set_title(_("Decoded along the line, from z = {start} to z = {end}").format(start=r0[0], end=r0[1]))
    return fig


@type_along("plot_reconstructed_1d", plot_reconstructed_1d)
def plot_reconstructed_1d_note(typed: Callable, device: torch.device, variational: bool) -> str:
    model, n = deterministic(device, dims=1), 4
    ax = drawn(typed, model, r0=(-2, 2), n=n)
    img = shown_image(ax, ((28, n * 28), (n * 28, 28)), _("strip of decoded images (n = {n})").format(n=n))
    with torch.no_grad():
        first = model.decoder(torch.tensor([[-2.0]], device=device)).reshape(28, 28).cpu().numpy()
        centre = model.decoder(torch.tensor([[-2 + 2 / n]], device=device)).reshape(28, 28).cpu().numpy()
    if not any(np.allclose(img[:28, :28], option, atol=1e-5) for option in (first, centre)):
        raise Refused(_("the strip should start at z = r0[0]: one code per image, torch.tensor([[x]]) of shape "
                        "(1, 1)"))
    return ""


# ---- Exercise cells ----------------------------------------------------------------------------------------------

def exercise(check: Callable[..., str]) -> Callable[..., bool]:
    """An exercise's check: prints ✓ and what passed, or ✗ and a hint; returns True or False; never raises."""
    @functools.wraps(check)
    def checked(*args) -> bool:
        works, said = judged(check, *args)
        print(_("✓ {said}").format(said=said) if works else _("✗ {said}.").format(said=capitalized(said)))
        return works
    return checked


def capitalized(text: str) -> str:
    """``text`` with its first word capitalized, unless that word is a name of code (``z``, ``self.kl``)."""
    first = text.split(" ", 1)[0]
    return text[:1].upper() + text[1:] if first.isalpha() and len(first) > 1 else text


def copies(*tensors: Tensor) -> list[Tensor]:
    """Fresh leaf copies for the student's function: an answer that changes its inputs in place (``z_2 -= z_1``)
    leaves the originals, from which the check builds its reference, as they were."""
    return [t.detach().clone().requires_grad_(t.requires_grad) for t in tensors]


@exercise
def check_kl(my_kl: Callable) -> str:
    """Check ``my_kl(mu, log_sigma)`` -> KL(N(mu, sigma^2) || N(0, I)) per row, shape ``(B,)``."""
    generator = torch.Generator().manual_seed(0)
    mu = torch.randn(6, 3, generator=generator, dtype=torch.float64)
    log_sigma = torch.randn(6, 3, generator=generator, dtype=torch.float64) / 2
    result, yours = run(my_kl, *copies(mu, log_sigma)), _("your {name}").format(name=called(my_kl))
    if isinstance(result, Tensor) and result.is_floating_point() and result.isnan().any():
        raise Refused(_("{yours} gives NaN, as torch.log of a negative number does: log_sigma is already log sigma, "
                        "often negative, so use it as it is for log sigma, and sigma = torch.exp(log_sigma)").format(
            yours=yours))
    result = tensor_of(result, (6,), _("the KL, one per row (sum over the latent dimensions only, dim=1),"))
    note = kl_note(result, mu, log_sigma.exp(), lambda kl: kl.sum(dim=1), yours)
    if note:
        raise Refused(note)
    precision = "" if result.dtype in (torch.float32, torch.float64) else _(", to {dtype}'s precision").format(
        dtype=result.dtype)
    return _("KL matches torch.distributions.kl_divergence on 6 random Gaussians{precision}.").format(
        precision=precision)


@exercise
def check_reparameterize(my_reparameterize: Callable) -> str:
    """Check ``my_reparameterize(mu, sigma)``: samples of N(mu, sigma^2) that let gradients reach mu and sigma."""
    n = 100_000
    mu, sigma = torch.tensor([2.0, -1.0]).repeat(n, 1), torch.tensor([0.5, 3.0]).repeat(n, 1)
    mu_given, sigma_given = copies(mu.requires_grad_(), sigma.requires_grad_())
    z = tensor_of(run(my_reparameterize, mu_given, sigma_given), mu.shape,
                  _("z (one sample per mu: torch.randn_like)"))
    gradients_reach(z, {"mu": mu_given, "sigma": sigma_given})
    is_noise(z, mu, sigma)
    (grad_mu,) = torch.autograd.grad(z.sum(), [mu_given])
    if not torch.allclose(grad_mu.to(mu.dtype), torch.ones_like(mu)):
        raise Refused(_("dz/dmu should be 1: z = mu + sigma * eps, with mu added once"))
    return _("z has mean mu and spread sigma, and gradients reach both.")


@exercise
def check_sse(my_sse: Callable) -> str:
    """Check ``my_sse(x_hat, x)`` -> the sum of squared errors over pixels and batch, a scalar."""
    generator = torch.Generator().manual_seed(0)
    x_hat, x = torch.rand(4, 1, 28, 28, generator=generator), torch.rand(4, 1, 28, 28, generator=generator)
    expected = sum(float(((a - b) ** 2).sum()) for a, b in zip(x_hat, x))
    result = float(tensor_of(run(my_sse, *copies(x_hat, x)), (),
                             _("the sum of squared errors (one number: .sum() over pixels and batch, no dim)")))
    if math.isclose(result, expected / x.numel(), rel_tol=1e-4):
        raise Refused(_("that is the mean squared error; {sum_not_mean}").format(sum_not_mean=_(SUM_NOT_MEAN)))
    if not math.isclose(result, expected, rel_tol=1e-4):
        raise Refused(_("expected {expected:.2f} on this test batch, got {result:.2f}").format(
            expected=expected, result=result))
    return _("Sum of squared errors is right.")


@exercise
def check_variational_encoder(encoder_class: type) -> str:
    """Check a VariationalEncoder class as the lecture writes it (``variational_encoder_note``); the exercise asks
    for the true KL, so the lecture's KL line is a ✗ here."""
    note = variational_encoder_note(encoder_class, CPU)
    if note:
        raise Refused(note)
    return _("forward computes z = mu + sigma * eps and self.kl is the true KL.")


@exercise
def check_interpolate(my_interpolate: Callable, decoder: Callable, z_1: Tensor, z_2: Tensor) -> str:
    """Check ``my_interpolate(z_1, z_2, n)`` -> the n images decoded at evenly spaced codes from z_1 to z_2."""
    n = 5
    expected = interpolation(decoder, z_1, z_2, n)
    result = run(my_interpolate, *copies(z_1, z_2), n)
    stacked = isinstance(result, Tensor) and result.numel() == expected.numel() and result.dim() == expected.dim() + 1
    what = _("the {n} images (join them with torch.cat, not torch.stack)") if stacked else _("the {n} images")
    images = tensor_of(result, expected.shape, what.format(n=n))
    same_interpolation(images, expected)
    return _("{n} images, evenly spaced from z_1 to z_2, both ends included.").format(n=n)
