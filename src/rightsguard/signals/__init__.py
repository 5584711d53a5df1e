"""Rights-signal extractors (robots, TDMRep, licences, …). Each module is imported on its own."""


# -- lazy re-exports (PEP 562): `import rightsguard.signals.licences` (screening's `check`) stays as
# fast as before; a name loads its module on first access. Add names here rather than writing a
# second __getattr__.
from typing import Any as _Any

_LAZY_EXPORTS = {
    # media, licence and list signals
    "c2pa_signals": "rightsguard.signals.c2pa",
    "media_signals": "rightsguard.signals.embedded",
    "IptcRights": "rightsguard.signals.iptc",
    "iptc_rights": "rightsguard.signals.iptc",
    "iptc_signals": "rightsguard.signals.iptc",
    "column_licence_signals": "rightsguard.signals.licence_class",
    "html_licence_signals": "rightsguard.signals.licence_class",
    "text_licence_signals": "rightsguard.signals.licence_class",
    "DomainLists": "rightsguard.signals.lists",
    "list_signals": "rightsguard.signals.lists",
}
# (Not `licence_class` the function: it would hide the module of that name.)


def __getattr__(name: str) -> _Any:
    module = _LAZY_EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY_EXPORTS])
