"""``python -m vae_lab.series``: the command; its code is ``vae_lab.course.series``."""

from .course.series import main

if __name__ == "__main__":
    raise SystemExit(main())
