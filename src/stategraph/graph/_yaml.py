"""A tiny block-style YAML writer for Mermaid frontmatter.

Mermaid diagrams start with a YAML header. LangChain writes it with
``yaml.dump(config, default_flow_style=False)``; this module produces the same
text for the values such a header holds (nested mappings, lists, strings,
numbers, booleans and ``None``) without depending on PyYAML. Keys are sorted,
sequences inside mappings are not indented, and strings are written plain,
single-quoted or double-quoted following the same rules PyYAML applies. Long
strings are not folded at 80 columns (PyYAML folds them); the result is still
equivalent YAML.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["dump_yaml"]

# Plain strings that a YAML 1.1 reader would turn into another type.
_IMPLICIT_TYPES = re.compile(
    r"""^(?:
        yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
      | ~|null|Null|NULL
      | [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*)
      | [-+]?0x[0-9a-fA-F_]+ | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
      | [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
      | \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
      | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
      | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
      | [0-9]{4}-[0-9]{2}-[0-9]{2}
      | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[\ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}
        (?:\.[0-9]*)?(?:[\ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?
      | << | =
    )$""",
    re.VERBOSE,
)
_SPACE_OR_END = "\0 \t\r\n\x85\u2028\u2029"
_BREAKS = "\n\x85\u2028\u2029"
_LEADING_INDICATORS = "#,[]{}&*!|>'\"%@`"


def dump_yaml(data: dict[Any, Any]) -> str:
    """Write a mapping as block-style YAML, keys sorted.

    Args:
        data: The mapping to write.

    Returns:
        The YAML text, ending with a newline.
    """
    if not data:
        return "{}\n"
    return "".join(_mapping_lines(data, 0))


def _mapping_lines(data: dict[Any, Any], indent: int) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for key in sorted(data):
        value = data[key]
        head = f"{pad}{_scalar(key)}:"
        if isinstance(value, dict) and value:
            lines.append(head + "\n")
            lines.extend(_mapping_lines(value, indent + 2))
        elif isinstance(value, (list, tuple)) and value:
            lines.append(head + "\n")
            lines.extend(_sequence_lines(value, indent))
        else:
            lines.append(f"{head} {_scalar(value)}\n")
    return lines


def _sequence_lines(items: list[Any] | tuple[Any, ...], indent: int) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for item in items:
        if isinstance(item, dict) and item:
            nested = _mapping_lines(item, indent + 2)
        elif isinstance(item, (list, tuple)) and item:
            nested = _sequence_lines(item, indent + 2)
        else:
            lines.append(f"{pad}- {_scalar(item)}\n")
            continue
        nested[0] = f"{pad}- {nested[0][indent + 2 :]}"
        lines.extend(nested)
    return lines


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, (list, tuple)):
        return "[]"
    return _string(str(value))


def _float(value: float) -> str:
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)
    return text


def _string(text: str) -> str:
    if not text or _IMPLICIT_TYPES.match(text):
        return _single_quoted(text)
    plain, single = _allowed_styles(text)
    if plain:
        return text
    if single:
        return _single_quoted(text)
    return _double_quoted(text)


def _allowed_styles(text: str) -> tuple[bool, bool]:
    """Whether ``text`` may be written plain, and whether single-quoted."""
    indicators = text.startswith(("---", "..."))
    special = any(not ("\x20" <= ch <= "\x7e") for ch in text)
    size = len(text)
    for index, ch in enumerate(text):
        followed = index + 1 >= size or text[index + 1] in _SPACE_OR_END
        if index == 0:
            indicators = indicators or ch in _LEADING_INDICATORS
            indicators = indicators or (ch in "?:-" and followed)
        else:
            preceded = text[index - 1] in _SPACE_OR_END
            indicators = indicators or (ch == ":" and followed)
            indicators = indicators or (ch == "#" and preceded)
    edges_blank = text[0] == " " or text[-1] == " "
    plain = not (indicators or special or edges_blank)
    return plain, not special


def _single_quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_ESCAPES = {
    "\0": "0",
    "\x07": "a",
    "\x08": "b",
    "\t": "t",
    "\n": "n",
    "\x0b": "v",
    "\x0c": "f",
    "\r": "r",
    "\x1b": "e",
    '"': '"',
    "\\": "\\",
    "\x85": "N",
    "\xa0": "_",
    "\u2028": "L",
    "\u2029": "P",
}


def _double_quoted(text: str) -> str:
    out: list[str] = []
    for ch in text:
        if ch in _ESCAPES:
            out.append("\\" + _ESCAPES[ch])
        elif "\x20" <= ch <= "\x7e":
            out.append(ch)
        elif ch <= "\xff":
            out.append(f"\\x{ord(ch):02X}")
        elif ch <= "\uffff":
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(f"\\U{ord(ch):08X}")
    return '"' + "".join(out) + '"'
