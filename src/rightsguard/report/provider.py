"""``--provider FILE``: the provider and model facts of the EU training-content summary.

The corpus cannot contain who the provider is, which model was trained, when it was placed on the
market, or whether user or synthetic data were used; these come from a TOML file (read with
:mod:`tomllib`). Every key is optional: a missing fact is printed as *to complete* in the summary,
never guessed. Unknown tables or keys and wrong types are errors, all reported at once
(:class:`~rightsguard.errors.ConfigError`, naming the file, the key, the value and what is
allowed). Section numbers are those of the AI Office template of 24 July 2025
(AI Act Art. 53(1)(d)).

.. code-block:: toml

    [provider]                       # 1.1 provider identification
    name = "Example AI GmbH"
    contact = "legal@example.com, Example Str. 1, Berlin"
    authorised_representative = "…" # if any

    [model]                          # 1.2 model identification
    name = "Example-7B"
    version = "1.0"
    dependencies = ["Example-7B-base (summary: https://…)"]   # e.g. the base model
    placed_on_market = 2025-09-01    # TOML date (or "YYYY-MM-DD")
    modalities = ["text"]            # text | image | audio | video | other

    [data]                           # 1.3 other characteristics
    languages = ["en", "ja"]
    content_types = "web pages, source code"

    [user_data]                      # 2.4
    from_model_interactions = false
    from_other_services = false
    description = ""

    [synthetic_data]                 # 2.5
    used = true
    models = ["Example-70B"]
    description = "…"

    [[datasets]]                     # 2.1, 2.2.1, 2.2.2 or 2.6
    name = "Wikipedia 2025-06 dump"
    section = "2.1"
    url = "https://dumps.wikimedia.org/"
    inputs = ["data/wiki.jsonl"]     # audit inputs that hold it (matched to item ids)

    [processing]                     # 3
    code_of_practice_signatory = true          # 3.1
    opt_out_measures = "…"                     # 3.1, besides the protocols the audit honoured
    illegal_content_removal = "…"              # 3.2
    other_information = "…"                    # 3.3
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rightsguard.errors import ConfigError

__all__ = ["DATASET_SECTIONS", "MODALITIES", "Dataset", "ProviderFacts", "load_provider",
           "parse_provider"]

#: Modalities of the template's section 1.3.
MODALITIES = ("text", "image", "audio", "video", "other")
#: Template sections a dataset can be listed in: 2.1 publicly available, 2.2.1 commercially
#: licensed from rightsholders, 2.2.2 private from other third parties, 2.6 other sources.
DATASET_SECTIONS = ("2.1", "2.2.1", "2.2.2", "2.6")


@dataclass(frozen=True, slots=True)
class Dataset:
    """A dataset the provider names (``[[datasets]]``), listed in its template section."""

    name: str
    section: str
    url: str | None = None
    description: str | None = None
    modalities: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProviderFacts:
    """The facts of a ``--provider`` file; ``None`` (or empty) = not given, i.e. to complete."""

    name: str | None = None
    contact: str | None = None
    authorised_representative: str | None = None
    model_name: str | None = None
    model_version: str | None = None
    model_dependencies: tuple[str, ...] | None = None
    placed_on_market: dt.date | None = None
    modalities: tuple[str, ...] | None = None
    languages: tuple[str, ...] | None = None
    content_types: str | None = None
    user_data_from_model: bool | None = None
    user_data_from_services: bool | None = None
    user_data_description: str | None = None
    synthetic_data_used: bool | None = None
    synthetic_data_models: tuple[str, ...] | None = None
    synthetic_data_description: str | None = None
    datasets: tuple[Dataset, ...] = ()
    code_of_practice_signatory: bool | None = None
    opt_out_measures: str | None = None
    illegal_content_removal: str | None = None
    other_information: str | None = None


# table -> key -> (ProviderFacts field, kind)
_SCHEMA: dict[str, dict[str, tuple[str, str]]] = {
    "provider": {"name": ("name", "str"), "contact": ("contact", "str"),
                 "authorised_representative": ("authorised_representative", "str")},
    "model": {"name": ("model_name", "str"), "version": ("model_version", "str"),
              "dependencies": ("model_dependencies", "strs"),
              "placed_on_market": ("placed_on_market", "date"),
              "modalities": ("modalities", "modalities")},
    "data": {"languages": ("languages", "strs"), "content_types": ("content_types", "str")},
    "user_data": {"from_model_interactions": ("user_data_from_model", "bool"),
                  "from_other_services": ("user_data_from_services", "bool"),
                  "description": ("user_data_description", "str")},
    "synthetic_data": {"used": ("synthetic_data_used", "bool"),
                       "models": ("synthetic_data_models", "strs"),
                       "description": ("synthetic_data_description", "str")},
    "processing": {"code_of_practice_signatory": ("code_of_practice_signatory", "bool"),
                   "opt_out_measures": ("opt_out_measures", "str"),
                   "illegal_content_removal": ("illegal_content_removal", "str"),
                   "other_information": ("other_information", "str")},
}
_DATASET_KEYS = ("name", "section", "url", "description", "modalities", "inputs")


def _convert(kind: str, value: Any, where: str, problems: list[str]) -> Any:
    """The value of a ``kind`` key, or None after appending a problem."""
    if kind == "str":
        if isinstance(value, str):
            return value.strip() or None
        problems.append(f"{where} = {value!r}: expected a string")
    elif kind == "bool":
        if isinstance(value, bool):
            return value
        problems.append(f"{where} = {value!r}: expected true or false")
    elif kind == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        problems.append(f"{where} = {value!r}: expected a date, e.g. 2025-09-01")
    elif kind in ("strs", "modalities"):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            items = tuple(v.strip() for v in value if v.strip())
            if kind == "modalities":
                bad = [v for v in items if v not in MODALITIES]
                if bad:
                    problems.append(f"{where}: unknown modality {', '.join(map(repr, bad))}; "
                                    f"allowed: {', '.join(MODALITIES)}")
                    return None
            return items
        problems.append(f"{where} = {value!r}: expected a list of strings")
    return None


def _datasets(value: Any, source: str, problems: list[str]) -> tuple[Dataset, ...]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.append(f"{source}: datasets must be an array of tables ([[datasets]])")
        return ()
    out = []
    for i, table in enumerate(value, start=1):
        where = f"{source}: datasets #{i}"
        before = len(problems)
        for key in table:
            if key not in _DATASET_KEYS:
                problems.append(f"{where}: unknown key {key!r}; allowed: "
                                f"{', '.join(_DATASET_KEYS)}")
        name = table.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where} name = {name!r}: a non-empty string is required")
        section = table.get("section")
        if section not in DATASET_SECTIONS:
            problems.append(f"{where} section = {section!r}: expected one of "
                            f"{', '.join(DATASET_SECTIONS)}")
        extra = {k: _convert(kind, table[k], f"{where} {k}", problems)
                 for k, kind in (("url", "str"), ("description", "str"),
                                 ("modalities", "modalities"), ("inputs", "strs"))
                 if k in table}
        if len(problems) == before:
            out.append(Dataset(name=str(name).strip(), section=str(section),
                               url=extra.get("url"), description=extra.get("description"),
                               modalities=extra.get("modalities") or (),
                               inputs=extra.get("inputs") or ()))
    return tuple(out)


def parse_provider(data: Mapping[str, Any], source: str = "<provider>") -> ProviderFacts:
    """Validate a parsed provider document (the schema in the module docstring).

    Raises :class:`ConfigError` listing every problem (unknown table or key, wrong type, unknown
    modality or dataset section), each prefixed by ``source``.
    """
    problems: list[str] = []
    values: dict[str, Any] = {}
    for table, content in data.items():
        if table == "datasets":
            values["datasets"] = _datasets(content, source, problems)
            continue
        keys = _SCHEMA.get(table)
        if keys is None:
            problems.append(f"{source}: unknown table [{table}]; allowed: "
                            f"{', '.join([*_SCHEMA, 'datasets'])}")
            continue
        if not isinstance(content, dict):
            problems.append(f"{source}: {table} must be a table ([{table}])")
            continue
        for key, value in content.items():
            if key not in keys:
                problems.append(f"{source}: unknown key {key!r} in [{table}]; allowed: "
                                f"{', '.join(keys)}")
                continue
            name, kind = keys[key]
            converted = _convert(kind, value, f"{source}: {table}.{key}", problems)
            if converted is not None:
                values[name] = converted
    if problems:
        raise ConfigError("invalid provider file:\n  " + "\n  ".join(problems))
    return ProviderFacts(**values)


def load_provider(path: str | os.PathLike[str]) -> ProviderFacts:
    """Read and validate a ``--provider`` TOML file.

    Raises :class:`ConfigError` when the file cannot be read, is not valid TOML (with tomllib's
    line and column) or does not follow the schema."""
    target = Path(path)
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{target}: cannot read the provider file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{target}: the provider file is not UTF-8 ({exc.reason} at byte "
                          f"{exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{target}: not valid TOML ({exc})") from None
    return parse_provider(data, str(target))
