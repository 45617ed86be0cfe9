"""The monthly report: notebooks run by papermill, exported to HTML, indexed."""
from .runner import report_notebooks, run_report

__all__ = ["run_report", "report_notebooks"]
