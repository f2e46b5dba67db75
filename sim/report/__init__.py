"""The briefing report: one self-contained ``report.html`` from a finished results folder, one
file a policy analyst can email (images embedded as data URIs, the stylesheet inline: no network
request). Nothing here prints: ``run_sim.py report`` and ``compare --report`` call
``write_report`` (and ``open_analysis`` to check ``--with`` folders before a run). Each study's
part comes from its own ``report.py``, built on ``sim.studies.report_parts``.
"""

from __future__ import annotations

from sim.report.content import Report, build_report
from sim.report.folder import ResultsFolder, open_analysis, open_folder
from sim.report.render import REPORT_FILE, render_html, write_report
from sim.studies.report_parts import ReportError

__all__ = [
    "REPORT_FILE",
    "Report",
    "ReportError",
    "ResultsFolder",
    "build_report",
    "open_analysis",
    "open_folder",
    "render_html",
    "write_report",
]
