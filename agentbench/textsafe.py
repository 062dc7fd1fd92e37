"""Text from data (system, model, instance names; commands; error details) made safe for a terminal.

A run folder or trajectory someone shared can name a system `\\x1b]0;pwned\\x07` (window
title), `\\x1b]8;;http://evil\\x07` (hyperlink) or `[link=...]` (rich markup). Before any such
string reaches the terminal its escape sequences and control characters are removed and its
rich markup is escaped, so it prints as the literal text it is.
"""

from __future__ import annotations

import re

from rich.markup import escape

# ESC-introduced sequences (CSI, OSC up to BEL/ST, two-byte forms), then any other C0/C1
# control character except tab and newline, and DEL
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL or ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS/SOS/PM/APC ... ST
    r"|\x1b[@-_]?"  # two-byte escapes, or a lone ESC
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def plain(text: object) -> str:
    """`text` without terminal escape sequences or control characters (tabs, newlines kept)."""
    return _ESCAPES.sub("", str(text))


def safe(text: object) -> str:
    """`plain(text)` with rich markup escaped: for an f-string printed by a rich Console."""
    return escape(plain(text))
