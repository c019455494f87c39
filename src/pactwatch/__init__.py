"""pactwatch: how long will an alliance last, what holds it together, and what happens when the world changes."""

__version__ = "0.1.0"
