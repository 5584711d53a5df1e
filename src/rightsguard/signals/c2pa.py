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
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from typing import Any

from rightsguard.model import ReservationState, RightsSignal

__all__ = [
    "ENTRY_SCOPES",
    "READER_SETTINGS",
    "TRAINING_MINING_LABELS",
    "c2pa_signals",
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


def c2pa_signals(content: bytes, media_type: str | None, evidence: str) -> list[RightsSignal]:
    """Training-and-data-mining signals of the active C2PA manifest embedded in ``content``.

    ``media_type`` (e.g. ``image/jpeg``) helps the reader; None lets c2pa-python detect the
    format from the bytes. Files without the JUMBF label ``c2pa`` are skipped without calling the
    native reader (an embedded manifest store is a JUMBF box labelled ``c2pa``, C2PA 2.1 §11.1).
    Remote manifests are never fetched: an asset that only references one gets an unknown signal.
    Never raises for bad input.
    """
    if b"c2pa" not in content:
        return []
    import c2pa

    try:
        context = c2pa.Context.from_dict(READER_SETTINGS)
    except c2pa.C2paError as exc:  # the settings are ours: a c2pa-python API change
        return [_unreadable(f"reader settings refused ({exc})", evidence)]
    fmt = media_type.split(";", 1)[0].strip().lower() if media_type else None
    try:
        reader = c2pa.Reader.try_create(fmt, io.BytesIO(content), None, context)
        if reader is None:
            return []
        with reader:
            manifest = reader.get_active_manifest()
            state = reader.get_validation_state()
    except c2pa.C2paError.NotSupported:
        return []  # not a format C2PA embeds manifests in: the bytes merely contain "c2pa"
    except c2pa.C2paError.RemoteManifest as exc:
        return [_unreadable(f"remote manifest not fetched (remote fetching is off): {exc}",
                            evidence)]
    except (c2pa.C2paError, ValueError, OSError) as exc:
        return [_unreadable(f"{type(exc).__name__.lstrip('_')}: {exc}", evidence)]
    finally:
        context.close()
    if not isinstance(manifest, Mapping):
        return [_unreadable("no active manifest in the manifest store", evidence)]
    label = manifest.get("label", "?")
    where = f"{evidence}: C2PA manifest {label} (validation {state or 'unknown'})"
    return training_mining_signals(manifest, where)
