"""The course's machinery, beside the library rather than inside it.

Checks of typed cells and exercises (their lines in the notebook's language), student copies, the Vietnamese
edition kept in step with the English, the series runner, HTML pages and slides, the browser page and
the widget explorer, the model cache, checkpoints and atomic files. No module of the core or of ``beyond`` imports
this package.
"""
