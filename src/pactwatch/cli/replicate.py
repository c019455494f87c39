"""`pactwatch replicate NAME`"""
from pactwatch.errors import PactwatchError


def replicate(name: str) -> None:
    raise PactwatchError(f"unknown replication {name!r}")
