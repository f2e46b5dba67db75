"""The domain parts: built from the scenario, immutable, and releasing what their states hold."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sim.model.model import Model
from sim.model.person import IN_PERSON
from sim.model.states import State
from sim.scenario.loading import load_scenario
from sim.scenario.schema import REPORT_CHANNELS, Scenario

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def small(**overrides: object) -> Scenario:
    return load_scenario(BASELINE).with_overrides({"cohort": {"initial_size": 2000}, **overrides})


def test_parts_carry_the_scenario_values_in_category_order() -> None:
    s = small()
    m = Model(s, 0, 1)
    assert m.reporting.params.miss == tuple(
        getattr(s.reporting.miss_probability, ch) for ch in REPORT_CHANNELS
    )
    assert m.reporting.params.interval == tuple(
        getattr(s.reporting.interval_days, ch) for ch in REPORT_CHANNELS
    )
    assert m.detention.beds.capacity == s.detention.beds
    assert m.enforcement.teams.capacity == s.enforcement.teams
    assert m.casework.caseworkers.capacity == s.casework.caseworkers
    assert m.tracing.tracers.capacity == s.tracing.team_size
    assert m.contact.agents.capacity == s.contact.agents
    assert m.correspondence.params.clarity == s.correspondence.clarity


def test_parts_are_immutable() -> None:
    m = Model(small(), 0, 1)
    for part in (m.contact, m.reporting, m.detention, m.enforcement, m.departure, m.tracing, m.casework):
        assert dataclasses.is_dataclass(part)
        with pytest.raises(dataclasses.FrozenInstanceError):
            part.core = None  # type: ignore[misc]
        assert not hasattr(part, "__dict__")  # slots: no attribute can be added by accident


def test_parameters_are_typed_and_swapped_whole_on_a_change_day() -> None:
    """A part's ``params`` is frozen; ``retune`` replaces it with the values of the new scenario."""
    s = small()
    m = Model(s, 0, 1)
    old = m.reporting.params
    with pytest.raises(dataclasses.FrozenInstanceError):
        old.shape = 2.0  # type: ignore[misc]
    m.reporting.retune(s.with_overrides({"reporting": {"abscond_hazard_shape": 0.5}}))
    assert m.reporting.params is not old and (old.shape, m.reporting.params.shape) == (
        s.reporting.abscond_hazard_shape,
        0.5,
    )
    assert dataclasses.replace(m.reporting.params, shape=old.shape) == old  # nothing else changed


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"detention": {"beds": 2}, "enforcement": {"teams": 8}},  # beds bind: rejections, deferrals
        # centres for 2 interviews a day (28 fortnightly reportees): overflow to telephone
        {
            "reporting": {
                "centre": {
                    "desks": 1,
                    "hours_per_day": 1.0,
                    "interview_minutes": {"dist": "fixed", "value": 30.0},
                }
            }
        },
    ],
    ids=["baseline", "few_beds", "small_centre"],
)
def test_resources_held_are_exactly_those_of_people_in_the_states_that_hold_them(
    overrides: dict[str, object],
) -> None:
    """Beds and centre bookings are taken on entering a state and released on leaving it by the
    owning part, whatever moves the person on; at the horizon they match the states exactly."""
    s = small(**overrides)
    m = Model(s, 1, 7).run()
    people = [p for p in m.cohort.people if p is not None]  # (the rest never left the pool)
    detained = sum(p.state == State.DETAINED for p in people)
    assert m.detention.beds.busy == detained
    in_person = sum(p.state == State.REPORTING and p.channel == IN_PERSON for p in people)
    assert m.reporting.centre.busy == pytest.approx(
        in_person / m.reporting.params.interval[IN_PERSON], abs=1e-6
    )
    assert all(p.channel < 0 for p in people if p.state != State.REPORTING)
    assert m.rec.counts[State.DETAINED] == detained
    if overrides.get("detention"):
        assert m.enforcement.tally.rejections_no_bed + m.enforcement.tally.tasking_deferred > 0
    if overrides.get("reporting"):
        assert m.reporting.centre.refused > 0


def test_the_package_ships_its_type_hints() -> None:
    """PEP 561: ``sim/py.typed`` exists and is package data, so an installed sim is type-checked."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    repo = BASELINE.parents[1]
    pyproject = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["sim"]
    assert (repo / "sim" / "py.typed").is_file()


def test_parts_contribute_distinct_known_columns_costs_and_resources() -> None:
    """Each summary column and cost item comes from one place; the results iterate over the parts."""
    from sim.model.kpis import COST_ITEMS, KPIS
    from sim.model.results import summarise

    m = Model(small(), 0, 1).run()
    columns = [name for part in m.parts for name in part.summary()]
    items = [item for part in m.parts for item in part.costs(m.scenario.costs)]
    assert len(set(columns)) == len(columns) and set(columns) < set(KPIS)
    assert len(set(items)) == len(items) and set(items) == set(COST_ITEMS) - {"staff"}
    assert list(summarise(m))[2:] == list(KPIS)
    owned = [row["resource"] for part in m.parts for row in part.resources(m.scenario.horizon_days)]
    pools = (
        m.contact.agents,
        m.casework.caseworkers,
        m.tracing.tracers,
        m.enforcement.teams,
        m.detention.beds,
    )
    assert sorted(owned) == sorted([*(pool.name for pool in pools), m.reporting.centre.name])


def test_only_the_people_who_do_something_are_made_and_as_drawn() -> None:
    """A person is made (``Cohort.make``) only if their entry is an event, they leave the pool
    before the horizon or they have an asylum claim in progress; the rest are counted in the pool
    from their entry. A made person's case data is their drawn row (``PERSON_ARGS``)."""
    import inspect

    from sim.model.person import ASYLUM_CLAIMANT, PERSON_ARGS, Person

    assert tuple(inspect.signature(Person.__init__).parameters)[1:] == PERSON_ARGS
    s = small(cohort={"initial_size": 2000, "case_type": {"overstayer": 0.32, "asylum_claimant": 0.3}})
    m = Model(s, 0, 3).run()
    cohort = m.cohort
    exits = set(m.contact.exits)
    case_type = cohort.column("case_type")
    made = [k for k, p in enumerate(cohort.people) if p is not None]
    expected = {
        k
        for k, pid in enumerate(cohort.column("pid").tolist())
        if cohort.on_reporting[pid] or pid in exits or case_type[k] == ASYLUM_CLAIMANT
    }
    assert set(made) == expected
    assert 0 < len(made) < len(cohort)
    assert m.rec.entered == len(cohort)  # everyone entered, made or not
    for k in made[:50]:
        p = cohort.people[k]
        assert p is not None
        assert (p.pid, p.entry, p.case_type) == tuple(cohort.column(a)[k] for a in PERSON_ARGS[:3])
