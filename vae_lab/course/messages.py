"""The check lines in the student's language: one catalogue of messages per language, the English text as the key.

The checks (``vae_lab.course.checks``) write every message as ``_("English, with {named} blanks").format(...)``,
as Python's ``gettext`` has it; ``_`` gives the message of the notebook's language, or the English one if the
catalogue has no entry. A text kept in a module-level constant is marked ``N_("...")``, gettext's mark, and looked up
where it is used, ``_(CONSTANT)``: the language is decided at each call, not at import. A plain table
(``messages_vi.py``) is smaller than gettext's compiled catalogues and needs no build step; a test checks that it
translates every message, with the same blanks.

The language is the notebook's: ``$VAE_LAB_LANGUAGE`` if set, else the name of the folder the kernel runs in,
when a catalogue has that name (Jupyter, nbval and ``python -m vae_lab.series`` start a notebook's kernel in the
notebook's folder, so ``notebooks/vi/`` and ``student/vi/`` speak Vietnamese), else English. That way the
Vietnamese notebooks hold the English edition's code token for token, with no line that sets the language.
"""

from __future__ import annotations

import os
from pathlib import Path

LANGUAGE_ENV = "VAE_LAB_LANGUAGE"


def catalogue(language: str) -> dict[str, str]:
    """The messages of ``language`` (an empty table for English, or a language without a catalogue)."""
    if language == "vi":
        from .messages_vi import MESSAGES

        return MESSAGES
    return {}


LANGUAGES = ("en", "vi")


def language() -> str:
    """The language of the check lines: ``$VAE_LAB_LANGUAGE``, else the kernel's folder's name, else English.

    Read at each message, so that a notebook that changes its working folder (``os.chdir``) speaks that folder's
    language from then on; a folder deleted under the kernel means English, never an error in a check.
    """
    try:
        folder = Path.cwd().name
    except OSError:
        folder = ""
    chosen = os.environ.get(LANGUAGE_ENV) or folder
    return chosen if chosen in LANGUAGES else "en"


def _(english: str) -> str:
    """``english`` in the notebook's language (itself where the catalogue has no entry)."""
    return catalogue(language()).get(english, english)


def N_(english: str) -> str:
    """``english`` itself: marks a message kept in a constant, translated where it is used (``_(CONSTANT)``)."""
    return english
