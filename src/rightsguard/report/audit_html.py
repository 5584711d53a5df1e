"""``report.html``: the audit counts as one static, self-contained HTML5 page.

Rendered from the same document as ``report.json``
(:meth:`~rightsguard.report.audit_json.AuditAggregate.to_dict`), so the two never disagree: the
run, items by modality, decisions per jurisdiction, reasons (rule ids), signals by kind and state,
domains and unreadable items, each a plain ``<table>``. No script, no external style sheet, font
or image (an inline ``<style>`` only). Every value from the corpus or the run (ids, domains,
errors, rule ids, inputs) is escaped with :func:`html.escape` (``quote=True``), so markup in a URL
or an error message is shown as text, never interpreted.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from rightsguard.report.audit_json import AuditAggregate
from rightsguard.report.manifest import AuditRun, write_text_atomic

__all__ = ["render_report_html", "write_report_html"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #bbb; padding: 0.25rem 0.6rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #eee; }
code { font-size: 0.9em; }
""".strip()


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, int):
        return f'<td class="n">{value:,}</td>'
    if value is None:
        return "<td>—</td>"
    return f"<td>{escape(str(value))}</td>"


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    out = ["<table>", "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in headers) + "</tr>"]
    body = ["<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows]
    out += body or [f'<tr><td colspan="{len(headers)}">none</td></tr>']
    out.append("</table>")
    return out


def render_report_html(agg: AuditAggregate, run: AuditRun) -> str:
    """The page's text (ends with a newline)."""
    doc = agg.to_dict(run)
    r = doc["run"]
    use = r["use"]
    verdicts = ("allow", "review", "exclude")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        "<title>rightsguard audit report</title>",
        f"<style>\n{_STYLE}\n</style>",
        "</head>",
        "<body>",
        "<h1>rightsguard audit report</h1>",
        "<h2>Run</h2>",
        *_table(["fact", "value"], [
            ("inputs", ", ".join(r["inputs"])),
            ("jurisdictions", ", ".join(r["jurisdictions"])),
            ("purpose", use["purpose"]),
            ("commercial", use["commercial"]),
            ("actor", use["actor"]),
            ("agents", ", ".join(use["agents"]) or None),
            ("crawlers", ", ".join(r["crawlers"]) or None),
            ("started", r["started_at"]),
            ("finished", r["finished_at"]),
            ("tokenizer", r["tokenizer"]),
        ]),
        "<h2>Items</h2>",
        *_table(["modality", "items", "bytes", "tokens", "pixels"], [
            (m, c["items"], c["bytes"], c["tokens"], c["pixels"])
            for m, c in doc["items"]["by_modality"].items()
        ] + [("all", doc["items"]["total"], doc["items"]["bytes"], None, None)]),
        "<h2>Decisions</h2>",
        *_table(["jurisdiction", *verdicts], [
            (j, *(counts[v] for v in verdicts)) for j, counts in doc["decisions"].items()
        ]),
        "<h2>Reasons</h2>",
        *_table(["jurisdiction", "rule", "provision", "items"], [
            (x["jurisdiction"], x["rule"], x["provision"], x["items"]) for x in doc["reasons"]
        ]),
        "<h2>Signals</h2>",
        *_table(["kind", "state", "items"], [
            (x["kind"], x["state"], x["items"]) for x in doc["signals"]
        ]),
        "<h2>Domains</h2>",
        f"<p>{doc['domains']['total']:,} domains; {doc['domains']['no_domain']:,} items without "
        f"a domain; the {len(doc['domains']['top']):,} largest by bytes:</p>",
        *_table(["domain", "items", "bytes", "decisions"], [
            (x["domain"], x["items"], x["bytes"],
             "; ".join(f"{j}: " + ", ".join(f"{v} {n}" for v, n in c.items() if n)
                       for j, c in x["decisions"].items()))
            for x in doc["domains"]["top"]
        ]),
        "<h2>Unreadable items</h2>",
        f"<p>{doc['unreadable']['items']:,} items could not be read; "
        f"{doc['unreadable']['inputs']:,} inputs could not be opened.</p>",
        *_table(["id", "error"], [(x["id"], x["error"]) for x in doc["unreadable"]["examples"]]),
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def write_report_html(path: str | os.PathLike[str], agg: AuditAggregate, run: AuditRun) -> None:
    """Write ``report.html`` atomically (``<path>.tmp`` renamed into place)."""
    write_text_atomic(path, render_report_html(agg, run))
