"""The briefing report: one self-contained ``report.html`` from a finished results folder.

A policy analyst needs one file they can email: everything comes from the folder, images are
embedded as data URIs and the stylesheet is inline, so it makes no network request. Nothing here
prints: ``run_sim.py report`` and ``compare --report`` call ``write_report`` (and
``open_analysis`` to check ``--with`` folders before a run).

Modules: ``folder`` (opening a folder), ``policies`` (the question, parameter differences),
``results`` (the folder's own tables), ``methods`` (methods, STRESS-DES), ``content`` (every
section), ``render`` (Jinja2, writing). Each study's part comes from the study's own ``report.py``
(cells, tables and safe reading in ``sim.studies.report_parts``, the layer below).
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
