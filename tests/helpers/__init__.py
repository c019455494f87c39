"""Helpers shared by the test modules, imported as a package (``from tests.helpers.events import codes``)."""
