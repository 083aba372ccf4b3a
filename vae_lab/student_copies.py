"""``python -m vae_lab.student_copies``: the command; its code is ``vae_lab.course.student_copies``."""

from .course.student_copies import main

if __name__ == "__main__":
    raise SystemExit(main())
