"""Errors that carry a message fit for a user: they name the input and what is wrong with it."""


class PactwatchError(Exception):
    """Base class: the CLI prints the message (no traceback) and exits non-zero."""

    exit_code = 1


class DataError(PactwatchError):
    """A dataset file is missing, corrupt, of the wrong version or has the wrong layout."""

    exit_code = 2


class DataMissingError(DataError):
    """No data directory, or files absent from it."""

    exit_code = 3
