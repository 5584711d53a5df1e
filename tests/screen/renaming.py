"""A renamed copy of Python code, as a model that copies code but renames it would write."""

from __future__ import annotations

import io
import keyword
import tokenize


def renamed(src: str, prefix: str) -> str:
    """``src`` with ``prefix`` put before every name that is not a keyword (so every name gets
    longer), everything else — layout, strings, comments — kept."""
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string):
            tok = tok._replace(string=prefix + tok.string)
        out.append(tok)
    return tokenize.untokenize(out)
