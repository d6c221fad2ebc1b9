"""User-facing errors: the CLI prints their message as one line and exits nonzero."""


class CimbenchError(Exception):
    """Any error caused by the user's input (flags, files, data); never a bug."""


class ConfigError(CimbenchError):
    """A configuration value (flag, preset field) is unknown, of the wrong type or out of range."""


class DataError(CimbenchError):
    """A data set is missing, malformed or does not match its checksum."""
