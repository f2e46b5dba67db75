"""Command-line entry point: ``python run_sim.py --help`` (see the sim/cli package)."""

from sim.cli import main

if __name__ == "__main__":  # guard: spawned worker processes import this module without running it
    raise SystemExit(main())
