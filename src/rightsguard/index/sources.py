"""Where works come from: importers wired to licence detection, and licence texts as works.

:class:`SignalsLicenceResolver` implements the importers' ``LicenceResolver`` protocol with
:mod:`rightsguard.signals.licences` (the corpus and signals layers must stay independent, so the
index layer joins them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from rightsguard.corpus import (
    iter_catalogue_works,
    iter_folder_works,
    iter_python_env_works,
)
from rightsguard.corpus.base import NotAWork
from rightsguard.corpus.catalogue import CATALOGUE_FORMATS
from rightsguard.corpus.files import ImageRights
from rightsguard.corpus.reading import DEFAULT_MAX_BYTES
from rightsguard.errors import LicenceError
from rightsguard.model import Skipped, Source, WorkInput
from rightsguard.signals import licences
from rightsguard.signals.c2pa import (
    creative_work_holders,
    read_active_manifest,
    training_mining_entries,
)
from rightsguard.signals.embedded import CC_NS, XMP_RIGHTS_NS
from rightsguard.signals.iptc import PLUS_NS, PLUS_VOCAB, data_mining_code, iptc_rights
from rightsguard.signals.licence_class import cc_url_expression
from rightsguard.signals.xmp import read_xmp


class SignalsLicenceResolver:
    """LicenceResolver backed by the SPDX parser and licence detector of ``signals.licences``."""

    def file_licence(self, text: str) -> str | None:
        ids = licences.spdx_identifiers(text)
        if not ids:
            return None
        exprs = list(dict.fromkeys(e for e, _line in ids))
        return exprs[0] if len(exprs) == 1 else " AND ".join(f"({e})" for e in exprs)

    def licence_file(self, text: str) -> str | None:
        found = licences.detect_licence_text(text)
        return found.expression if found is not None else None

    def holders(self, text: str) -> list[str]:
        return licences.copyright_holders(text)

    def normalise(self, expression: str) -> str:
        return licences.normalise_expression(expression)

    def image_rights(self, raw: bytes) -> tuple[list[str], str | None]:
        """``(holders, licence)`` of :meth:`image_metadata` (the ``LicenceResolver`` protocol)."""
        stated = self.image_metadata(raw)
        return list(stated.holders), stated.licence

    def image_metadata(self, raw: bytes) -> ImageRights:
        """What an image file states about itself: holders, licence, rights reservations and
        the metadata that could not be read. Never raises for a broken file.

        Holders, first found wins: those named by the IPTC Copyright Notice (``dc:rights``),
        else the IPTC Creators (``dc:creator``), else EXIF Copyright (0x8298), else EXIF Artist
        (0x013B), else the active C2PA manifest's CreativeWork ``copyrightHolder``, else its
        ``author`` names (:func:`~rightsguard.signals.c2pa.creative_work_holders`) — a copyright
        notice names the rights holder, a creator or author is only presumed to be one (Berne
        Convention Art. 15(1)); C2PA comes last because anyone can sign a manifest (its
        validation state says nothing about who holds the rights). The Copyright Notice and
        EXIF Copyright fields are notices by definition, so a bare name there ("Getty Images")
        is the holder (:func:`~rightsguard.signals.licences.notice_holders`); a notice without
        a recognisable holder ("All rights reserved") is passed over. Licence: Creative Commons
        URLs in XMP ``cc:license`` or ``xmpRights:WebStatement`` (several distinct ones are
        joined with AND); without one, a Copyright Notice or EXIF Copyright that says "All
        rights reserved" (:func:`~rightsguard.signals.licences.reserves_all_rights`) gives
        ``LicenseRef-All-Rights-Reserved`` — the holder's own statement that no licence is
        granted (``docs/licences.md``); else None.

        Identifiers (schemes fit the registry's 16 characters; one value per scheme, several
        joined with ``" "``/``"; "``/``" | "`` so a work's JSON ``identifiers`` object keeps them):

        * ``("plus:DataMining", "<URI> …")``: IPTC Photo Metadata 2023.1 "Data Mining" values as
          PLUS vocabulary URIs (``http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING``;
          a bare code is expanded, an unrecognised value kept as written), space-separated.
        * ``("c2pa:training", "<entry>=<use>; …")``: the entries of the active manifest's
          ``c2pa.training-mining`` / ``cawg.training-mining`` assertion (C2PA 1.x; CAWG Training
          and Data Mining 1.1), sorted by entry name (a manifest's CBOR map has no order to
          keep), e.g. ``"cawg.ai_training=notAllowed; cawg.data_mining=allowed"``.
        * ``("xmp:unreadable", "<problem> | …")`` for XMP packets refused (XML bombs — DTDs are
          forbidden, :func:`~rightsguard.signals.xmp.parse_xml` — oversized or malformed), and
          ``("c2pa:unreadable", "<problem>")`` for a C2PA manifest that cannot be read (remote
          manifests are never fetched); the same sentences are in ``problems``.
        """
        reading = read_xmp(raw)
        rights = iptc_rights(raw, reading)
        c2pa = read_active_manifest(raw, None)
        holders: list[str] = []
        if rights.copyright_notice:
            holders = licences.notice_holders(rights.copyright_notice)
        if not holders:
            holders = list(rights.creators)
        if not holders and rights.exif_copyright:
            holders = licences.notice_holders(rights.exif_copyright)
        if not holders and rights.exif_artist:
            holders = [rights.exif_artist]
        if not holders and c2pa.manifest is not None:
            holders = creative_work_holders(c2pa.manifest)
        found: list[str] = []
        for ns, name in ((CC_NS, "license"), (XMP_RIGHTS_NS, "WebStatement")):
            for _doc, value in reading.values(ns, name):
                expr = cc_url_expression(value)
                if expr is not None and expr not in found:
                    found.append(expr)
        licence = None if not found else \
            found[0] if len(found) == 1 else " AND ".join(f"({e})" for e in found)
        notices = [n for n in (rights.copyright_notice, rights.exif_copyright) if n]
        if licence is None and any(licences.reserves_all_rights(n) for n in notices):
            licence = licences.ALL_RIGHTS_RESERVED
        identifiers: list[tuple[str, str]] = []
        mining = []
        for _doc, value in reading.values(PLUS_NS, "DataMining"):
            code = data_mining_code(value)
            mining.append(PLUS_VOCAB + code.code if code is not None else value)
        if mining:
            identifiers.append(("plus:DataMining", " ".join(dict.fromkeys(mining))))
        if c2pa.manifest is not None:
            entries = training_mining_entries(c2pa.manifest)
            if entries:
                identifiers.append(("c2pa:training", "; ".join(
                    sorted(dict.fromkeys(f"{n}={u}" for n, u in entries)))))
        problems = list(reading.problems)
        if reading.problems:
            identifiers.append(("xmp:unreadable", " | ".join(reading.problems)))
        if c2pa.problem is not None:
            problems.append(f"C2PA manifest: {c2pa.problem}")
            identifiers.append(("c2pa:unreadable", c2pa.problem))
        return ImageRights(tuple(dict.fromkeys(holders)), licence, tuple(identifiers),
                           tuple(problems))


def licence_text_works(keys: list[str] | None = None) -> Iterator[WorkInput | Skipped]:
    """The reference texts of common licences as works (kind ``licence-text``, holder = steward).

    A verbatim copy of a licence text gets the verdict ``attribute`` (the licences permit
    verbatim copies of themselves), and their fingerprints are never treated as noise.
    """
    for key in keys or licences.common_licence_keys():
        try:
            text = licences.licence_text(key)
        except (LicenceError, KeyError, OSError) as exc:
            yield Skipped(f"licence:{key}", f"no reference text for {key}: {exc}")
            continue
        steward = licences.steward_of(key)
        yield WorkInput(raw=text.encode("utf-8"), title=f"{key} licence text",
                        holders=(steward,) if steward else (), licence=key,
                        source=Source(uri=f"https://spdx.org/licenses/{key}.html"),
                        modality="text", kind="licence-text", famous=True)


def works_from(source: str | os.PathLike[str], *, licence: str | None = None,
               holder: str | None = None, title: str | None = None, mark: bool = False,
               max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[WorkInput | Skipped]:
    """Works of one SOURCE: a ``.jsonl``/``.parquet`` catalogue, a file or folder, or the
    keyword ``python-env`` (the running interpreter's distributions and standard library).

    ``mark``: the images of SOURCE are registered marks (logos, watermarks: kind ``mark``),
    searched inside every screened image; anything else in SOURCE is skipped with the reason.
    ``max_bytes``: a file (or catalogue row's file) larger than this is skipped with the reason
    (``max_input_bytes``, 16 MiB by default).
    """
    items = _works_from(source, licence=licence, holder=holder, title=title, max_bytes=max_bytes)
    if not mark:
        yield from items
        return
    for item in items:
        if isinstance(item, Skipped):
            yield item
        elif item.modality != "image":
            yield NotAWork(item.source.path or item.source.uri,
                           "not an image: only images can be registered as marks")
        else:
            yield replace(item, kind="mark")


def _works_from(source: str | os.PathLike[str], *, licence: str | None, holder: str | None,
                title: str | None, max_bytes: int) -> Iterator[WorkInput | Skipped]:
    resolver = SignalsLicenceResolver()
    if licence is not None:
        licence = licences.normalise_expression(licence)
    s = os.fspath(source)
    if s == "python-env":
        yield from iter_python_env_works(resolver=resolver)
        return
    path = Path(s)
    if path.is_file() and path.name.lower().endswith(tuple(CATALOGUE_FORMATS)):
        yield from iter_catalogue_works(path, resolver=resolver, max_bytes=max_bytes)
        return
    if not path.exists():
        yield Skipped(s, f"{s}: no such file or folder")
        return
    yield from iter_folder_works([path], resolver=resolver, licence=licence, holder=holder,
                                 title=title, max_bytes=max_bytes)
