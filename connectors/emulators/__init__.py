"""Local provider emulators: WhatsApp Cloud API, Graph Send API and Telegram Bot API."""
from connectors.emulators.server import EmulatorServer, create_emulator_app
from connectors.emulators.state import EmulatorState

__all__ = ["EmulatorServer", "EmulatorState", "create_emulator_app"]
