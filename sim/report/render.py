"""Rendering the report with Jinja2 (template and stylesheet ship as package data) and writing it.

Autoescaping is on for every expression: scenario descriptions, labels, CSV cells and manifest
values are data someone else may have written, and must reach the reader as text, never as markup
or script. ``StrictUndefined`` makes a misspelt name in the template an error, not an empty cell.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import jinja2

from sim.experiment.files import write_text, written_report
from sim.experiment.output import REPORT_FILE
from sim.report.content import Report, build_report
from sim.report.folder import open_analysis, open_folder
from sim.studies.report_parts import ReportError


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment: templates from this package, every expression escaped."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("sim.report", "templates"),
        autoescape=True,  # not select_autoescape: the template's name ends in .j2, not .html
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(report: Report) -> str:
    """The report as one self-contained HTML document."""
    return environment().get_template("report.html.j2").render(report=report)


def write_report(
    results: str | Path,
    out: str | Path | None = None,
    written: datetime | None = None,
    with_: Sequence[str | Path] = (),
) -> Path:
    """Write the report of the results folder ``results``, with the analysis folders ``with_``
    (``report --with``), to ``out`` (default ``results/report.html``) atomically; its path.
    ReportError, and nothing written, if a folder cannot be used or ``out`` cannot be written."""
    folder = open_folder(results)
    analyses = [open_analysis(w) for w in with_]
    html = render_html(build_report(folder, written, analyses))
    path = Path(out) if out is not None else folder.path / REPORT_FILE
    if path.is_dir():
        raise ReportError(f"--out {path}: is a folder; give a file name such as {path / REPORT_FILE}")
    if not path.parent.is_dir():
        raise ReportError(f"--out {path}: the folder {path.parent} does not exist")
    if path.exists() and not written_report(path):
        raise ReportError(
            f"--out {path}: exists and is not a report this program wrote; nothing was changed. "
            "Give a new file name, or move the file away first"
        )
    try:
        return write_text(path, html)
    except OSError as exc:
        raise ReportError(f"--out {path}: cannot be written: {exc.strerror or exc}") from None
