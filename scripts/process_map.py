"""Draw the process map (directly-follows graph) of one replication of a results folder.

Reads ``process_log.parquet`` from a scenario folder written with ``--event-log`` (see
``sim.analysis.process_log``), keeps one replication, discovers the directly-follows graph with
pm4py and saves it with Graphviz. Only the most frequent paths are kept (``--paths``, a share of
the arcs by frequency, as Disco and pm4py's own filters do), so the map stays readable; every
activity on a kept path is shown. Contact attempts are named by outcome
(``contact_attempt failure``) unless ``--plain`` is given, since the loop of failed attempts is
most of the log. Needs the ``[mining]`` extra (pm4py) and Graphviz's ``dot``. Usage::

    python scripts/process_map.py results/baseline docs/process_map.png
    python scripts/process_map.py results/baseline map.png --replication 3 --paths 0.5
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.experiment.output import PROCESS_LOG_FILE  # noqa: E402


def load(folder: Path, replication: int, plain: bool) -> pd.DataFrame:
    log = pd.read_parquet(folder / PROCESS_LOG_FILE, filters=[("replication", "==", replication)])
    if log.empty:
        raise SystemExit(f"{folder / PROCESS_LOG_FILE} has no rows for replication {replication}")
    if not plain:
        attempt = log["concept:name"] == "contact_attempt"
        log.loc[attempt, "concept:name"] = "contact_attempt " + log.loc[attempt, "outcome"].astype(str)
    return log


def main(argv: list[str] | None = None) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("folder", type=Path, help="a scenario folder of a run with --event-log")
    parser.add_argument("out", type=Path, help="image to write (.png, .svg, .pdf)")
    parser.add_argument("--replication", type=int, default=0)
    parser.add_argument("--paths", type=float, default=0.3, help="share of arcs kept, most frequent first")
    parser.add_argument("--title", default=None, help="title above the map")
    parser.add_argument("--plain", action="store_true", help="do not split contact attempts by outcome")
    args = parser.parse_args(argv)

    import pm4py

    log = load(args.folder, args.replication, args.plain)
    dfg, start, end = pm4py.discover_dfg(log)
    if args.paths < 1.0:
        dfg, start, end = pm4py.filter_dfg_paths_percentage(dfg, start, end, args.paths)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    pm4py.save_vis_dfg(dfg, start, end, str(args.out), rankdir="TB", graph_title=args.title)
    print(f"{args.out}: {len(dfg)} arcs, {log['case:concept:name'].nunique()} cases")


if __name__ == "__main__":
    main()
