"""The ``targets`` command's sub-parser: its options, help text and defaults, declared once here and
added to the command line by ``sim.cli`` from the registry."""

from __future__ import annotations

import textwrap
from typing import Any

from sim.experiment.defaults import DEFAULT_REPLICATIONS, DEFAULT_SEED
from sim.studies.options import EXIT_CODES, PROG, Formatter, int_at_least, para

EPILOG = (
    textwrap.dedent(
        f"""\
    examples:
      {PROG} targets
      {PROG} targets scenarios/baseline.yaml -n 10 --workers 2
      {PROG} targets --out results/targets --resume

    writes:
      DIR/targets.csv      one row per target: target, source, published, model_mean,
                           model_ci_low, model_ci_high, tolerance, within, then role
                           (calibration: the model was calibrated to it; parameter: a
                           parameter was set from it; validation: used for nothing, an
                           out-of-sample check), comparison, ci_overlaps, n (replications
                           used), measure, scenario and note (e.g. a column this model
                           version does not write: the row is then not computed). Values
                           are on the model's scale (shares as 0.45)
      DIR/targets.png      per target: the published figure (diamond), the model mean with
                           its 95% CI, the tolerance band (shares in %)
      DIR/targets_manifest.json   targets file, scenarios, seed, replications, command
      DIR/<scenario name>/ each scenario's results folder (see 'run --help')

    how to read 'within' (decided on the model mean, not its interval):
      two_sided  |model_mean - published| <= tolerance
      at_least   model_mean >= published - tolerance  (a published floor, e.g. a contract
                 service level "at least 18%")
      at_most    model_mean <= published + tolerance  (a published ceiling)
      A mean that cannot be computed is not within. 'ci_overlaps' says whether the 95% CI
      meets the tolerance band at all: 'within' false with 'ci_overlaps' true is a near
      miss. The tolerance (and its reason, in the targets file) says how far the published
      figure can be trusted to describe what the model measures; a calibration target
      being within says little, a validation target being within says more.

    The exit code is 0 whatever 'within' says (the table is there to be read); 2 for a bad
    targets file or scenario file (file, field path, what is wrong; nothing run or written).

    """
    )
    + EXIT_CODES
)
"""The ``targets --help`` epilog: examples, what it writes, how to read it, and the exit codes."""


def add_parser(sub: Any) -> None:
    """Add the ``targets`` sub-parser to ``sub`` (the subparsers of ``run_sim.py``)."""
    tgt = sub.add_parser(
        "targets",
        formatter_class=Formatter,
        help="compare the model with every published figure in the validation targets table",
        description=para(
            "Run the scenarios named in the validation targets table (validation/targets.yaml: "
            "each published figure, its source and period, the model measure that corresponds, the "
            "scenario it is computed on, and a tolerance with its reason), compute each measure per "
            "replication from the scenario's results folder, and compare its mean and 95% t interval "
            "with the published figure. With no SCENARIO every scenario of the table is run; with "
            "some, only the targets on those scenarios are evaluated. Each scenario's folder is "
            "written as 'run' does (so --resume reuses finished replications)."
        ),
        epilog=EPILOG,
    )
    tgt.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO.yaml",
        help="evaluate only the targets on these scenario files (default: every scenario the table names)",
    )
    tgt.add_argument(
        "--targets-file",
        metavar="FILE",
        help="the targets table (default: validation/targets.yaml of this repository)",
    )
    g = tgt.add_argument_group("replications")
    g.add_argument(
        "--replications",
        "-n",
        type=int_at_least(2, "replications per scenario; 2 or more for an interval"),
        default=DEFAULT_REPLICATIONS,
        metavar="N",
        help="replications per scenario (replication k uses random streams (seed, k))",
    )
    g.add_argument(
        "--seed",
        type=int_at_least(0, "root seed"),
        default=DEFAULT_SEED,
        metavar="S",
        help="root random seed",
    )
    g.add_argument(
        "--resume",
        action="store_true",
        help="reuse replications stored in DIR/<name>/.parts by an earlier run with the same scenario, "
        "seed and model code",
    )
    g = tgt.add_argument_group("execution and output")
    g.add_argument(
        "--workers",
        "-w",
        type=int_at_least(1, "worker processes"),
        default=1,
        metavar="W",
        help="run replications on W local processes (results do not depend on W)",
    )
    g.add_argument("--out", "-o", default="results/targets", metavar="DIR", help="output folder")
    g.add_argument(
        "--no-plots", action="store_true", help="skip the PNG plots (targets.png and each scenario's)"
    )
    g.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no result table")
    tgt.set_defaults(scheduler=None, event_log=False, horizon=None, cohort_size=None, report=False)
