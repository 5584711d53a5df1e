"""C2PA / CAWG training-and-data-mining assertions, read with c2pa-python, offline.

Sources:

* CAWG Training and Data Mining Assertion 1.1 (ratified 16 May 2025; repo
  decentralized-identity/cawg-training-and-data-mining-assertion): label ``cawg.training-mining``,
  ``entries`` keyed ``cawg.data_mining``, ``cawg.ai_inference``, ``cawg.ai_generative_training``,
  ``cawg.ai_training`` (custom keys allowed), each ``{"use": "allowed" | "notAllowed" |
  "constrained", "constraint_info": …}`` (the prose spells it ``constraints_info``; both are read).
  "In the absence of additional information, ``constrained`` shall be treated as equivalent to
  ``notAllowed``."
* C2PA 1.x (e.g. 1.4 §18.17) label ``c2pa.training-mining`` with the same entries under
  ``c2pa.*`` names (rights-signals.md §5b). Labels may carry a version suffix (``….v2``).
* Reading: ``c2pa.Reader`` with a :class:`c2pa.Context` whose settings set
  ``verify.remote_manifest_fetch = false`` and ``verify.ocsp_fetch = false`` (c2pa-rs settings, as
  listed in rights-signals.md §5c), so an audit never touches the network. Only the **active
  manifest** is read: it speaks for the asset as it is; ingredients' manifests speak for the
  ingredients.

Mapping (one ``c2pa-training-mining`` signal per entry, carrier ``c2pa-manifest``):

* ``notAllowed`` → reserved;
* ``constrained`` with constraint info → unknown (review), the info in ``value`` — a human must read
  it; ``constrained`` without it → reserved (CAWG 1.1: equivalent to ``notAllowed``);
* ``allowed`` → not-reserved; any other ``use`` → unknown.

``scope`` from the entry name: ``ai_training`` → ``train-ai``, ``ai_generative_training`` →
``train-genai``, ``data_mining`` → ``tdm``, ``ai_inference`` → ``ai-inference``; a custom entry
keeps its name. No manifest → no signal. A manifest that cannot be read → one signal, state
unknown, value ``"unreadable C2PA manifest: …"``. The manifest's validation state (``Valid``,
``Invalid``, …) is named in the evidence: a signed claim can be signed by anyone, and an
``Invalid`` one may have been altered.

For image works (the index's ``SignalsLicenceResolver.image_metadata``):
:func:`read_active_manifest` reads the manifest once, :func:`creative_work_holders` names holders
from its schema.org CreativeWork assertion and :func:`training_mining_entries` lists the
training-mining entries as ``(entry, use)``.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rightsguard.model import ReservationState, RightsSignal

__all__ = [
    "CREATIVE_WORK_LABEL",
    "ENTRY_SCOPES",
    "READER_SETTINGS",
    "TRAINING_MINING_LABELS",
    "C2paReading",
    "c2pa_signals",
    "creative_work_holders",
    "read_active_manifest",
    "training_mining_entries",
    "training_mining_signals",
]

EXTRACTOR = "rightsguard.signals.c2pa"
KIND = "c2pa-training-mining"
CARRIER = "c2pa-manifest"

TRAINING_MINING_LABELS = ("c2pa.training-mining", "cawg.training-mining")
"""Assertion labels read (C2PA 1.x and CAWG 1.1), with or without a ``.vN`` suffix."""

ENTRY_SCOPES = {
    "ai_training": "train-ai",
    "ai_generative_training": "train-genai",
    "data_mining": "tdm",
    "ai_inference": "ai-inference",
}
"""Scope of each standard entry (its name without the ``c2pa.``/``cawg.`` prefix)."""

READER_SETTINGS: dict[str, Any] = {
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
}
"""c2pa-rs settings for every read: no remote manifest fetching, no OCSP requests."""

_VERSION = re.compile(r"\.v\d+$")
_R, _N, _U = (ReservationState.RESERVED.value, ReservationState.NOT_RESERVED.value,
              ReservationState.UNKNOWN.value)


def _label_base(label: str) -> str:
    """``cawg.training-mining.v2`` → ``cawg.training-mining``; instance suffixes ``__1`` too."""
    return _VERSION.sub("", label.split("__", 1)[0])


def _entry_signal(name: str, entry: Any, label: str, where: str) -> RightsSignal:
    short = name.split(".", 1)[1] if name.startswith(("c2pa.", "cawg.")) else name
    scope = ENTRY_SCOPES.get(short, name)
    if not isinstance(entry, Mapping):
        return RightsSignal(KIND, CARRIER, f"malformed entry {name}: {json.dumps(entry)[:200]}",
                            scope, _U, f"{where} {label} entry {name}", EXTRACTOR)
    use = entry.get("use")
    info = entry.get("constraint_info", entry.get("constraints_info"))
    info_text = (info if isinstance(info, str) else json.dumps(info)) if info else ""
    if use == "notAllowed":
        state, value = _R, "notAllowed"
    elif use == "allowed":
        state, value = _N, "allowed"
    elif use == "constrained":
        if info_text.strip():
            state, value = _U, f"constrained: {info_text.strip()}"
        else:
            state, value = _R, "constrained (no constraint_info: treated as notAllowed)"
    else:
        state, value = _U, f"unrecognised use {use!r}"
    return RightsSignal(KIND, CARRIER, value, scope, state,
                        f"{where} {label} {name}.use={use}", EXTRACTOR)


def training_mining_signals(manifest: Mapping[str, Any], where: str) -> list[RightsSignal]:
    """Signals from one manifest as c2pa-python's ``Reader.json()`` renders it (a mapping with
    ``assertions: [{"label": …, "data": {"entries": {…}}}]``). ``where`` prefixes the evidence.
    A training-mining assertion without an ``entries`` mapping gives one unknown signal."""
    signals: list[RightsSignal] = []
    assertions = manifest.get("assertions")
    if not isinstance(assertions, list):
        return signals
    for assertion in assertions:
        if not isinstance(assertion, Mapping):
            continue
        label = str(assertion.get("label", ""))
        if _label_base(label) not in TRAINING_MINING_LABELS:
            continue
        data = assertion.get("data")
        entries = data.get("entries") if isinstance(data, Mapping) else None
        if not isinstance(entries, Mapping):
            signals.append(RightsSignal(KIND, CARRIER, f"malformed {label}: no entries map", "*",
                                        _U, f"{where} {label}", EXTRACTOR))
            continue
        signals.extend(_entry_signal(str(n), e, label, where) for n, e in entries.items())
    return signals


def _unreadable(problem: str, evidence: str) -> RightsSignal:
    return RightsSignal(KIND, CARRIER, f"unreadable C2PA manifest: {problem}", "*", _U,
                        evidence, EXTRACTOR)


@dataclass(frozen=True, slots=True)
class C2paReading:
    """The active manifest of a file as c2pa-python's ``Reader.get_active_manifest()`` renders
    it (None when there is none or it cannot be read), its validation state (``"Valid"``,
    ``"Invalid"``, ``"Trusted"``… or None) and, when it cannot be read, the problem in words
    (``"remote manifest not fetched …"``, ``"ManifestNotFound: …"``), else None."""

    manifest: Mapping[str, Any] | None = None
    validation_state: str | None = None
    problem: str | None = None


def read_active_manifest(content: bytes, media_type: str | None) -> C2paReading:
    """Read the active C2PA manifest embedded in ``content``, offline (:data:`READER_SETTINGS`).

    Files without the JUMBF label ``c2pa`` are not handed to the native reader (an embedded
    manifest store is a JUMBF box labelled ``c2pa``, C2PA 2.1 §11.1): an empty reading. A format
    C2PA does not embed in is an empty reading too; a manifest that is remote (never fetched),
    broken or absent from a manifest store is a reading with ``problem`` set. Never raises for bad
    input.
    """
    if b"c2pa" not in content:
        return C2paReading()
    import c2pa

    try:
        context = c2pa.Context.from_dict(READER_SETTINGS)
    except c2pa.C2paError as exc:  # the settings are ours: a c2pa-python API change
        return C2paReading(problem=f"reader settings refused ({exc})")
    fmt = media_type.split(";", 1)[0].strip().lower() if media_type else None
    try:
        reader = c2pa.Reader.try_create(fmt, io.BytesIO(content), None, context)
        if reader is None:
            return C2paReading()
        with reader:
            manifest = reader.get_active_manifest()
            state = reader.get_validation_state()
    except c2pa.C2paError.NotSupported:
        return C2paReading()  # not a format C2PA embeds manifests in: the bytes merely say "c2pa"
    except c2pa.C2paError.RemoteManifest as exc:
        return C2paReading(problem=f"remote manifest not fetched (remote fetching is off): {exc}")
    except (c2pa.C2paError, ValueError, OSError) as exc:
        return C2paReading(problem=f"{type(exc).__name__.lstrip('_')}: {exc}")
    finally:
        context.close()
    if not isinstance(manifest, Mapping):
        return C2paReading(validation_state=state or None,
                           problem="no active manifest in the manifest store")
    return C2paReading(manifest, state or None)


def c2pa_signals(content: bytes, media_type: str | None, evidence: str) -> list[RightsSignal]:
    """Training-and-data-mining signals of the active C2PA manifest embedded in ``content``.

    ``media_type`` (e.g. ``image/jpeg``) helps the reader; None lets c2pa-python detect the
    format from the bytes. Read with :func:`read_active_manifest`: remote manifests are never
    fetched (an asset that only references one gets an unknown signal); no manifest, no signal.
    Never raises for bad input.
    """
    reading = read_active_manifest(content, media_type)
    if reading.problem is not None:
        return [_unreadable(reading.problem, evidence)]
    if reading.manifest is None:
        return []
    label = reading.manifest.get("label", "?")
    state = reading.validation_state or "unknown"
    where = f"{evidence}: C2PA manifest {label} (validation {state})"
    return training_mining_signals(reading.manifest, where)


def _assertions(manifest: Mapping[str, Any], labels: tuple[str, ...]) -> list[Mapping[str, Any]]:
    """``data`` of each assertion whose label (version and instance suffix removed) is in
    ``labels``, in manifest order."""
    found: list[Mapping[str, Any]] = []
    assertions = manifest.get("assertions")
    for assertion in assertions if isinstance(assertions, list) else ():
        if isinstance(assertion, Mapping) and \
                _label_base(str(assertion.get("label", ""))) in labels:
            data = assertion.get("data")
            if isinstance(data, Mapping):
                found.append(data)
    return found


def _names(value: Any) -> list[str]:
    """Names of a schema.org Person/Organization value: a string, ``{"name": …}`` or a list."""
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, Mapping):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return []


CREATIVE_WORK_LABEL = "stds.schema-org.CreativeWork"
"""Label of the CreativeWork assertion: schema.org JSON-LD (``@type: CreativeWork``, ``author``,
``copyrightHolder``), a standard assertion of C2PA 1.x that signing tools still write."""


def creative_work_holders(manifest: Mapping[str, Any]) -> list[str]:
    """Rights holders a manifest's CreativeWork assertion names: its ``copyrightHolder`` names
    (schema.org: "The party holding the legal copyright to the CreativeWork"), else its
    ``author`` names — an author is only presumed to be the holder (Berne Convention Art.
    15(1)), as for IPTC Creator. Values may be strings, ``{"@type": "Person", "name": …}`` or
    lists of them; duplicates dropped, order kept."""
    works = _assertions(manifest, (CREATIVE_WORK_LABEL,))
    for key in ("copyrightHolder", "author"):
        names = list(dict.fromkeys(n for data in works for n in _names(data.get(key))))
        if names:
            return names
    return []


def training_mining_entries(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(entry, use)`` of every entry of the manifest's ``c2pa.training-mining`` /
    ``cawg.training-mining`` assertions, in the order the reader gives them, e.g.
    ``("cawg.ai_training", "notAllowed")``; a use that is not a string is rendered as JSON.
    Entries that are not mappings are left out (:func:`training_mining_signals` reports them)."""
    out: list[tuple[str, str]] = []
    for data in _assertions(manifest, TRAINING_MINING_LABELS):
        entries = data.get("entries")
        for name, entry in entries.items() if isinstance(entries, Mapping) else ():
            if isinstance(entry, Mapping):
                use = entry.get("use")
                out.append((str(name), use if isinstance(use, str) else json.dumps(use)))
    return out
