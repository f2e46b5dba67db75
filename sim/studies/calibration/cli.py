"""The ``calibrate`` command's sub-parser: its options, help text and defaults, declared once here and
added to the command line by ``sim.cli`` from the registry."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from sim.studies.calibration.request import CalibrationRequest
from sim.studies.options import (
    EXIT_CODES,
    PROG,
    Formatter,
    add_design_options,
    int_at_least,
    non_negative_float,
    para,
    positive_float,
)

DEFAULTS = CalibrationRequest()
"""The request's defaults, which the options show and use (written once, in ``request.py``)."""


def _role_list(text: str) -> list[str]:
    names = [k.strip() for k in text.split(",")]
    if not text.strip() or any(not k for k in names):
        raise argparse.ArgumentTypeError(
            f"expected roles separated by commas, e.g. calibration,parameter, got {text!r}"
        )
    return names


EPILOG = (
    textwrap.dedent(
        f"""\
    examples:
      {PROG} calibrate --cohort-size 5000 --waves 3 -n 2 -w 2
      {PROG} calibrate scenarios/baseline.yaml --params 'contact.*' --roles calibration
      {PROG} uncertainty scenarios/baseline.yaml scenarios/remote_reporting.yaml \\
          --from-calibration results/calibration/baseline/calibration.csv

    targets: those of --targets-file (validation/targets.yaml) computed on SCENARIO, with a
    role of --roles (calibration and parameter by default: validation targets stay out of
    the fit and are checked afterwards, out of sample).
    parameters: by default the ones each target's measure depends on directly (for the
    baseline: the three calibrated values and six related assumptions); an emulator in many
    more dimensions needs far more simulations than a calibration can afford.

    implausibility of x for a target with published value z:
      I(x) = |z - E[f(x)]| / sqrt(V_obs + V_disc + V_em(x) + V_sim)
      V_obs   (tolerance / 3)^2: the target's tolerance read as 3 sd, so with no other
              uncertainty the cut-off 3 keeps exactly the means within tolerance
      V_disc  (DISCREPANCY x tolerance)^2: model discrepancy
      V_em    the emulator's variance of the mean at x
      V_sim   the variance of one replication (the published figure is one realisation)
      x is ruled out if the largest I over the targets exceeds --cutoff (3: Pukelsheim's
      3-sigma rule). One-sided targets count only a shortfall or an excess.

    writes DIR (default results/calibration/<scenario name>):
      calibration.csv          the parameter sets not ruled out (one row per kept
                               candidate): parameter paths, max_implausibility, wave
      calibration_runs.csv     every simulated point: wave, point, parameters,
                               replications, <measure>_mean and <measure>_sd
      calibration_waves.csv    per wave and measure: points, simulations, candidates,
                               box_share, nroy_candidates, nroy_share (estimated share of
                               the original space not ruled out), loo_within_3sd and
                               loo_rmse (leave-one-out check of the emulator),
                               replication_sd
      calibration_targets.csv  per target: role, used, published, tolerance, the emulated
                               range over the sets kept and the share of them within
                               tolerance, the last wave's simulated range
      calibration_waves.png, calibration_ranges.png, calibration_pairs.png
      calibration_manifest.json   targets, parameters, design, implausibility terms, seeds,
                               versions, command line (written last)
      .design/                 every finished simulation's measures (used by --resume)

    If every candidate is ruled out, calibration.csv has no rows and the summary names the
    closest candidate and the target it misses (exit code 0: that is a finding).

    """
    )
    + EXIT_CODES
)
"""The ``calibrate --help`` epilog: examples, what it writes, how to read it, and the exit codes."""


def add_parser(sub: Any) -> None:
    """Add the ``calibrate`` sub-parser to ``sub`` (the subparsers of ``run_sim.py``)."""
    cal = sub.add_parser(
        "calibrate",
        formatter_class=Formatter,
        help="which parameter values the published figures do not rule out (history matching)",
        description=para(
            "Calibration with uncertainty by history matching. The scenario's ranged parameters that "
            "the validation targets depend on (or those chosen with --params) are run at a Latin "
            "hypercube of design points; a Gaussian-process emulator (scikit-learn) of each target's "
            "measure predicts it anywhere in the ranges, with its uncertainty; every candidate whose "
            "implausibility (distance from the published figure in standard deviations of the "
            "observation, model-discrepancy, emulator and simulation uncertainty) exceeds the cut-off "
            "for any target is ruled out. Later waves run design points in what is left and refit. "
            "The result is the set of parameter values not ruled out, which 'uncertainty "
            "--from-calibration' samples instead of the raw ranges. Prints how many simulations it "
            "will run and an estimate of the time first."
        ),
        epilog=EPILOG,
    )
    cal.add_argument(
        "scenario",
        nargs="?",
        default="scenarios/baseline.yaml",
        metavar="SCENARIO.yaml",
        help="the scenario whose ranged parameters are matched to its targets",
    )
    _add_matching_groups(cal)
    add_design_options(
        cal,
        DEFAULTS.replications,
        "replications per design point (replication k uses the streams (seed, k) at every point)",
        "root random seed, and the seed of the designs",
        "results/calibration",
    )


def _add_matching_groups(cal: argparse.ArgumentParser) -> None:
    """The options that choose the targets and parameters matched and the history matching's waves,
    design, cut-off and model discrepancy."""
    g = cal.add_argument_group("targets and parameters")
    g.add_argument(
        "--targets-file", metavar="FILE", help="the targets table (default: validation/targets.yaml)"
    )
    g.add_argument(
        "--roles",
        type=_role_list,
        metavar="A,B",
        help="roles of the targets matched, comma-separated: calibration, parameter, validation "
        "(default: calibration,parameter); the others on the scenario are checked out of sample",
    )
    g.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="TARGET",
        help="leave this target (its id) out of the fit; it is still checked afterwards (repeatable)",
    )
    g.add_argument(
        "--params",
        action="append",
        default=[],
        metavar="GLOB",
        help="match only the ranged parameters whose dotted path matches (fnmatch; repeat for more) "
        "(default: the parameters the targets' measures depend on)",
    )
    g = cal.add_argument_group("history matching")
    g.add_argument(
        "--waves",
        type=int_at_least(1, "waves of simulations"),
        default=DEFAULTS.waves,
        metavar="K",
        help="waves",
    )
    g.add_argument(
        "--points",
        type=int_at_least(4, "design points per wave"),
        metavar="N",
        help="design points per wave (default: 10 per parameter)",
    )
    g.add_argument(
        "--candidates",
        type=int_at_least(10, "candidate points per wave"),
        default=DEFAULTS.candidates,
        metavar="M",
        help="candidates per wave at which the emulators are evaluated (cheap)",
    )
    g.add_argument(
        "--cutoff",
        type=positive_float("implausibility cut-off, in standard deviations"),
        default=DEFAULTS.cutoff,
        metavar="C",
        help="rule out a point whose largest implausibility exceeds C",
    )
    g.add_argument(
        "--discrepancy",
        type=non_negative_float("model-discrepancy sd as a fraction of the tolerance"),
        default=DEFAULTS.discrepancy,
        metavar="F",
        help="model-discrepancy sd as a fraction of each target's tolerance",
    )
