"""`python -m connectors.emulators --port N`: run the emulator in the foreground."""
from __future__ import annotations

import argparse
import time

from connectors.emulators.server import EmulatorServer
from connectors.emulators.state import EmulatorState


def main(argv: list[str] | None = None) -> None:
    """Serve until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--seed", type=int, default=None, help="seed for fault rates")
    args = parser.parse_args(argv)
    server = EmulatorServer(EmulatorState(seed=args.seed), host=args.host, port=args.port,
                            quiet=False)
    server.start()
    print(f"provider emulator listening on {server.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
