"""`pactwatch panel alliances` and `pactwatch panel alliance-years`."""
from pactwatch.cli.panel import app  # noqa: F401
