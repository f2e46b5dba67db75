"""How a number is written for a reader, in the terminal, the report and the plots alike: counts
with decimals for their size, money with its KPI's fixed decimals, indices to a few significant
figures; thousands separators, "n/a" for a missing value.
"""

from __future__ import annotations

import math

from sim.analysis.kpis import Kpi


def fmt_number(x: float, decimals: int, sign: bool = False) -> str:
    """Thousands separators, fixed decimals, optional explicit sign; n/a for NaN."""
    if x is None or not math.isfinite(x):
        return "n/a"
    text = f"{x:{'+' if sign else ''},.{decimals}f}"
    if float(text.replace(",", "")) == 0:  # no "-0" or "+0.00" noise
        text = text.lstrip("+-")
    return text


def count_decimals(magnitude: float) -> int:
    """Decimals for a count of this size: none from 1,000 (or unknown), one from 10, else two."""
    if not math.isfinite(magnitude) or magnitude >= 1000:
        return 0
    return 1 if magnitude >= 10 else 2


def kpi_decimals(definition: Kpi, reference: float) -> int:
    """Decimals of a KPI's displayed values: fixed by its definition (money), else by the
    magnitude of ``reference`` (a displayed value, e.g. the reference policy's mean)."""
    return definition.decimals if definition.decimals is not None else count_decimals(abs(reference))


def significant(x: float, digits: int = 3) -> str:
    """A number to ``digits`` significant figures in fixed notation with separators (``840``,
    ``0.00464``, ``12,300``): sensitivity indices span many orders of magnitude."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    if abs(x) < 1e-8:  # floating-point residue of a difference that is 0
        return "~0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = min(max(digits - 1 - magnitude, 0), 8)
    return fmt_number(x, decimals)


def value_text(x: float) -> str:
    """A parameter value: whole numbers as they are (``6``), others to three significant figures."""
    if x is not None and math.isfinite(x) and abs(x) < 1e15 and float(x).is_integer():
        return fmt_number(x, 0)
    return significant(x)
