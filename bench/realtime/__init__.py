"""Realtime fan-out benchmark: `python -m bench.realtime --quick|--full`."""
