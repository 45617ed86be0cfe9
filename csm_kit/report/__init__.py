"""The monthly report: notebooks run by papermill, exported to HTML, indexed.

``run_report`` and ``report_notebooks`` are imported on first use, so that the
loader can reach :mod:`csm_kit.report.snapshot` without importing papermill
and nbconvert into every notebook kernel.
"""
__all__ = ["run_report", "report_notebooks"]


def __getattr__(name):
    if name in __all__:
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
