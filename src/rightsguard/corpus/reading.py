"""Read one input file as bytes and text, refusing what cannot be a text or code work.

``raw`` is what the work id hashes (SHA-256 of the file's bytes, BOM included); ``text`` is what
fingerprints and spans refer to (code points of the decoded text, BOM removed, newlines kept).
"""

from __future__ import annotations

import codecs
import os
import stat
from os import PathLike

from rightsguard.corpus.languages import IMAGE_SUFFIXES
from rightsguard.errors import BinaryInputError, InputError

__all__ = [
    "BINARY_SNIFF_BYTES",
    "DEFAULT_MAX_BYTES",
    "INVALID_UTF8_NOTE",
    "MAX_BYTES_SETTING",
    "declared_encoding",
    "decode_text",
    "read_source",
]

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
"""Default limit on one input file: 16 MiB."""

MAX_BYTES_SETTING = "max_input_bytes (env RIGHTSGUARD_MAX_INPUT_BYTES)"
"""The setting named in the too-large error message."""

BINARY_SNIFF_BYTES = 8192
"""A NUL byte in this many leading bytes marks a file as binary (git's rule)."""

INVALID_UTF8_NOTE = "invalid UTF-8 decoded with replacement"

_CONTROL_RATIO = 0.10
_REPLACEMENT_RATIO = 0.30
_CONTROL_BYTES = frozenset(set(range(0x00, 0x09)) | set(range(0x0E, 0x1B)) | {0x1C, 0x1D, 0x1E,
                                                                            0x1F, 0x7F})
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "decoded as UTF-32LE (byte order mark)"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "decoded as UTF-32BE (byte order mark)"),
    (codecs.BOM_UTF8, "utf-8", ""),
    (codecs.BOM_UTF16_LE, "utf-16-le", "decoded as UTF-16LE (byte order mark)"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "decoded as UTF-16BE (byte order mark)"),
)


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB ({n} bytes)"


def read_source(path: str | PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES,
                ) -> tuple[bytes, str, list[str]]:
    """Read ``path`` and return ``(raw, text, notes)``.

    Raises :class:`~rightsguard.errors.InputError` when the file is missing or not a regular
    file, larger than ``max_bytes`` (default :data:`DEFAULT_MAX_BYTES`), or binary (see
    :func:`decode_text`). An empty file gives ``(b"", "", [])``; callers decide what to do.
    """
    if max_bytes < 0:
        raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
    name = os.fspath(path)
    try:
        mode = os.stat(name).st_mode
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{name}: is a directory; expected a file")
    if not stat.S_ISREG(mode):  # a FIFO, socket or device would block or never end
        raise InputError(f"{name}: not a regular file (FIFO, socket or device); not read")
    try:
        with open(name, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                raise InputError(
                    f"{name}: {_size(size)} is larger than the input limit of {_size(max_bytes)};"
                    f" raise the limit with {MAX_BYTES_SETTING} to read it")
            raw = fh.read(max_bytes + 1)
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory; expected a file") from None
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except PermissionError:
        raise InputError(f"{name}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > max_bytes:  # grew while we read it
        raise InputError(f"{name}: larger than the input limit of {_size(max_bytes)}; raise the"
                         f" limit with {MAX_BYTES_SETTING} to read it")
    text, notes = decode_text(raw, name)
    return raw, text, notes


def nul_offset(head: bytes) -> int | None:
    """Offset of the first NUL byte in the first :data:`BINARY_SNIFF_BYTES` bytes of a file's
    ``head`` (after a UTF-8 byte order mark), the rule :func:`decode_text` refuses binaries by
    (git's); None when there is none or when the head starts with a UTF-16/32 byte order mark
    (such text holds NUL bytes)."""
    if any(head.startswith(bom) for bom, encoding, _note in _BOMS if encoding != "utf-8"):
        return None
    nul = head.removeprefix(codecs.BOM_UTF8)[:BINARY_SNIFF_BYTES].find(b"\x00")
    return nul if nul >= 0 else None


def decode_text(raw: bytes, name: str = "<input>") -> tuple[str, list[str]]:
    """Decode bytes of a text or code file; ``name`` is used in error messages.

    UTF-8 with or without BOM (BOM removed); UTF-16/32 only with a BOM (noted); bytes that are
    not UTF-8 in the encoding a coding declaration names (:func:`declared_encoding`, noted).
    Other invalid UTF-8 is decoded with U+FFFD replacement and the note
    :data:`INVALID_UTF8_NOTE` — unless its first bytes are more than 10% control bytes or
    decode to more than 30% replacement characters: then in the encoding charset-normalizer
    detects (:func:`detected_encoding`, noted), else refused as binary
    (:class:`~rightsguard.errors.InputError`), as are bytes with a NUL byte in the first
    :data:`BINARY_SNIFF_BYTES`.
    """
    for bom, encoding, note in _BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom):].decode(encoding), [note] if note else []
            except UnicodeDecodeError:
                if encoding != "utf-8":
                    raise InputError(f"{name}: starts with a {encoding} byte order mark but is"
                                     f" not valid {encoding}") from None
                raw = raw[len(bom):]
                break
    sample = raw[:BINARY_SNIFF_BYTES]
    nul = nul_offset(raw)
    if nul is not None:
        kind = _image_kind(raw)
        raise BinaryInputError(f"{name}: binary file (NUL byte at offset {nul}); only text and code"
                         " files can be read" + (f"; it is a {kind} image (images are screened "
                                                 "in the formats of the extensions "
                                                 f"{' '.join(sorted(IMAGE_SUFFIXES))})"
                                                 if kind else ""))
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    declared = declared_encoding(raw)
    if declared is not None:
        try:
            return raw.decode(declared), [f"decoded as {declared} (its coding declaration, "
                                          "PEP 263)"]
        except UnicodeDecodeError:
            pass  # the declaration is wrong: read as the undeclared text it is
    control = sum(1 for b in sample if b in _CONTROL_BYTES)
    decoded_sample = sample.decode("utf-8", errors="replace")
    replaced = decoded_sample.count("\ufffd")
    if (control > _CONTROL_RATIO * len(sample)
            or replaced > _REPLACEMENT_RATIO * max(1, len(decoded_sample))):
        detected = detected_encoding(raw)
        if detected is not None:
            encoding, text = detected
            return text, [f"decoded as {encoding} (detected by charset-normalizer: not UTF-8, "
                          "no coding declaration)"]
        raise InputError(
            f"{name}: binary file (not decodable as text: {replaced} invalid UTF-8 sequences and"
            f" {control} control bytes in the first {len(sample)} bytes, and no other encoding"
            " fits); only text and code files can be read")
    return raw.decode("utf-8", errors="replace"), [INVALID_UTF8_NOTE]


#: Bytes :func:`detected_encoding` reads to guess an encoding (charset-normalizer's own default
#: sample is smaller; more makes a CJK guess steadier).
DETECT_BYTES = 1 << 16


def detected_encoding(raw: bytes) -> tuple[str, str] | None:
    """``(encoding, text)``: the legacy encoding (Shift_JIS, EUC-KR, Windows-1252, …) that
    charset-normalizer finds for NUL-free bytes that are not UTF-8 and name no encoding, and
    the whole of ``raw`` decoded in it strictly; None when there is none or the whole does not
    decode (the caller refuses them as binary). Used only where UTF-8 with replacement would be
    mostly replacement characters: text such as undeclared Shift_JIS Japanese was refused as a
    binary file."""
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:DETECT_BYTES]).best()
    if best is None or best.encoding in ("utf_8", "ascii"):
        return None
    try:
        return str(best.encoding), raw.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def declared_encoding(raw: bytes) -> str | None:
    """The encoding a coding declaration in the first two lines of ``raw`` names (``# -*-
    coding: euc-jp -*-``; PEP 263, the form Python, Ruby, Emacs and Vim share), as the codec
    name Python's :func:`tokenize.detect_encoding` normalises it to (``latin-1`` →
    ``iso-8859-1``); None without a declaration, with one Python would refuse (an unknown
    encoding), when it declares UTF-8, or an encoding in which the declaration itself, written
    in ASCII, would read otherwise (UTF-16, UTF-32, EBCDIC).

    :func:`decode_text` honours it only for bytes that are not valid UTF-8: a legacy-encoded
    source (Shift_JIS or EUC-JP comments, Latin-1 author names) is read as its author wrote it
    instead of being replaced or refused as binary."""
    import io
    import tokenize

    try:
        encoding, _lines = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError:
        return None
    if encoding.startswith("utf-8") or "# coding\n".encode(encoding) != b"# coding\n":
        return None  # UTF-8 was tried; a declaration written in ASCII cannot mean UTF-16 or EBCDIC
    return encoding


def _image_kind(raw: bytes) -> str | None:
    """Pillow's name for the image format of ``raw`` (``"PCX"``, ``"ICO"``…), reading the header
    only, or None when Pillow does not take it for an image."""
    import io
    import warnings

    try:
        from PIL import Image

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(raw)) as im:
                return str(im.format) if im.format else None
    except Exception:  # not an image, or one Pillow cannot even identify: just a binary file
        return None
