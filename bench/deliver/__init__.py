"""`python -m bench.deliver --quick|--full`: agent messages through real workers to the emulator."""
