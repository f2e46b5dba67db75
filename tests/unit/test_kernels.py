"""The compiled loops (``sim/model/kernels.py``) give the same results as the same source run as Python.

``pip install`` compiles the module with Cython; where it cannot (no C compiler), the module runs as
Python. Both must agree to the last bit, so a run here is repeated with the module loaded from its
source as plain Python and every table compared: the contact phase's play (calls booked on a busy
call centre whose size changes, with and without the event log) and the tracing team's bookings.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from conftest import expo

from sim.model import kernels, resources
from sim.model.processes import contact
from sim.model.results import ReplicationResult, run_replication
from sim.scenario.loading import load_scenario

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def as_python() -> ModuleType:
    """``sim.model.kernels`` loaded from its source, uncompiled, under another name."""
    source = Path(kernels.__file__).with_name("kernels.py")
    spec = importlib.util.spec_from_file_location("sim.model._kernels_as_python", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert not module.COMPILED
    return module


def tables(r: ReplicationResult) -> list[pd.DataFrame]:
    frames = [r.end_states, r.timeseries, r.resources, r.transitions, r.occupancy, r.life_table]
    frames += [pd.DataFrame([r.summary])]
    return frames + [f for f in (r.event_log, r.activity_log) if f is not None]


@pytest.mark.parametrize("log", [False, True])
def test_compiled_and_python_kernels_agree(log: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # a busy call centre (queues form), shrunk then grown on change days; a tracing team that books
    s = load_scenario(BASELINE).with_overrides(
        {
            "cohort": {"initial_size": 4000},
            "horizon_days": 400,
            "contact": {"agents": 1, "call_minutes": expo(20.0)},
            "changes": [
                {"from_day": 100, "set": {"contact": {"agents": 0}}},
                {"from_day": 150, "set": {"contact": {"agents": 3}}},
            ],
        }
    )
    compiled = run_replication(s, 0, 7, keep_log=log, reuse=False)
    python = as_python()
    monkeypatch.setattr(contact, "play_contact", python.play_contact)
    monkeypatch.setattr(resources, "book_server", python.book_server)
    monkeypatch.setattr(resources, "resize_servers", python.resize_servers)
    plain = run_replication(s, 0, 7, keep_log=log, reuse=False)
    agents = compiled.resources.set_index("resource").loc["call_centre_agents"]
    assert agents["max_queue"] > 1 and agents["mean_wait_days"] > 0  # the queue was exercised
    for a, b in zip(tables(compiled), tables(plain), strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
