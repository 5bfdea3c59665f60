"""The danger-sign pattern language ("A ~ B | C", "<MACRO>") compiled to regular expressions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_MACRO_RE = re.compile(r"<([A-Z][A-Z0-9_]*)>")
_PROXIMITY_RE = re.compile(r"\s+~(\d*)\s+")
_DEFAULT_GAP = 4
# Max words allowed between the parts of "A ~ B"; never crosses a clause break ("#").
_GAP_WORD = r"[^\s#]+"


def _expand_macros(pattern: str, macros: Mapping[str, str]) -> str:
    for _ in range(3):  # macros may use macros, up to three levels deep
        new = _MACRO_RE.sub(lambda m: f"(?:{macros.get(m.group(1), m.group(0))})", pattern)
        if new == pattern:
            break
        pattern = new
    return pattern


def _split_alternatives(pattern: str) -> list[str]:
    """Split a pattern on the "|" that are not inside parentheses or brackets."""
    parts, depth, start, escaped = [], 0, 0, False
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts


def _pattern_to_regex(pattern: str, macros: Mapping[str, str]) -> str:
    """Turn one YAML pattern ("A ~ B | C", macros) into a regex fragment.

    Top-level "|" separates alternatives; "~" binds tighter, inside one alternative."""
    branches = []
    for branch in _split_alternatives(pattern.strip()):
        parts = _PROXIMITY_RE.split(branch.strip())
        # re.split with one group yields [part, gap, part, gap, part ...]
        out = f"(?:{_expand_macros(parts[0], macros)})"
        for i in range(1, len(parts), 2):
            gap = int(parts[i]) if parts[i] else _DEFAULT_GAP
            out += rf"(?:\s+{_GAP_WORD}){{0,{gap}}}?\s+(?:{_expand_macros(parts[i + 1], macros)})"
        branches.append(out)
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def compile_patterns(
    patterns: Any, macros: Mapping[str, str], where: str, errors: list[str]
) -> re.Pattern[str] | None:
    """One whole-word regex for a list of YAML patterns; each problem is added to ``errors``."""
    if not isinstance(patterns, list) or not patterns:
        errors.append(f"{where}: must be a non-empty list of patterns")
        return None
    fragments = []
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern.strip():
            errors.append(f"{where}: empty or non-string pattern {pattern!r}")
            continue
        fragment = _pattern_to_regex(pattern, macros)
        missing = _MACRO_RE.findall(fragment)
        if missing:
            errors.append(f"{where}: unknown macro(s) {sorted(set(missing))} in {pattern!r}")
            continue
        try:
            re.compile(fragment)
        except re.error as exc:
            errors.append(f"{where}: bad pattern {pattern!r}: {exc}")
            continue
        if re.compile(fragment).fullmatch(""):
            errors.append(f"{where}: pattern {pattern!r} matches the empty string")
            continue
        fragments.append(fragment)
    if not fragments:
        return None
    return re.compile(r"(?<![\w])(?:" + "|".join(fragments) + r")(?![\w])")
