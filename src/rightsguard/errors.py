"""The rightsguard exception hierarchy.

Every message names the input, the value and what is allowed.

::

    RightsguardError                 base of all rightsguard raises on purpose (CLI exit 2)
    ├── InputError                   an input cannot be read: binary, too large, missing
    ├── IndexError_                  an index folder cannot be used
    │   ├── IndexMismatchError       opened with other settings than it was built with
    │   └── IndexCorruptError        a shard or manifest fails its checks
    ├── RegistryError                the works registry refused a write or read
    ├── LicenceError                 a licence expression cannot be parsed
    └── ConfigError                  a setting has a value outside its allowed range
"""

from __future__ import annotations


class RightsguardError(Exception):
    """Base class; the CLI prints the message and exits with status 2."""


class InputError(RightsguardError):
    """An input (file, stdin, catalogue row) cannot be read or is not of an accepted kind."""


class BinaryInputError(InputError):
    """An input holds binary data (a NUL byte), so it is neither code nor text."""


class IndexError_(RightsguardError):
    """An index folder cannot be used."""


class IndexMismatchError(IndexError_):
    """An index channel was built with other fingerprinter settings than the ones requested."""


class IndexCorruptError(IndexError_):
    """A shard, manifest or registry of an index fails its integrity checks."""


class RegistryError(RightsguardError):
    """The works registry refused a read or write."""


class LicenceError(RightsguardError):
    """A licence expression cannot be parsed as SPDX."""


class ConfigError(RightsguardError):
    """A configuration value is outside its allowed range."""
