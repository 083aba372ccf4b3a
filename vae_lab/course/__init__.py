"""The course's machinery, beside the library rather than inside it.

Checks of typed cells and exercises, student copies, the series runner, HTML pages and slides, the browser page and
the widget explorer, the model cache, checkpoints and atomic files. No module of the core or of ``beyond`` imports
this package.
"""
