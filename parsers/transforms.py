"""Value transforms for field mappings, and the normalisers lead import reuses.

A transform turns one text value into another (phone → "(214) 555-0100", "New York" → "NY", ...).
Each is registered in `TRANSFORMS` with its argument schema and a one-line description, which the
editor lists. A spec names transforms as `{"name": ..., "args": {...}}`; `check_step()` reports an
unknown name or a bad argument as plain messages (validation problems, never a crash), and
`compile_step()` binds the arguments once so rendering many leads stays fast.

Normalisers for lead import: `normalise_phone`, `normalise_state`, `parse_date`, `parse_datetime`,
`parse_yes_no`. All pure and fast.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

# A compiled step: (value, lead) -> value. The lead is there for transforms that read other fields (join).
Step = Callable[[str, Mapping[str, Any]], str]

# ---- normalisers ------------------------------------------------------------------------------------------
_NON_DIGITS = re.compile(r"\D+")
# For ASCII text (nearly every phone number) deleting the non-digits with str.translate gives what _NON_DIGITS
# does (only 0-9 are digits in ASCII), in half the time.
_ASCII_NON_DIGITS = {code: None for code in range(128) if not chr(code).isdigit()}
_EXTENSION = re.compile(r"\s*(?:x|ext\.?|extension|#)\s*\d+\s*$", re.I)


def normalise_phone(text: Any) -> str | None:
    """A US phone number as 10 digits ("(214) 555-0100", "+1 214.555.0100" → "2145550100"); None if not one."""
    if text is None:
        return None
    if isinstance(text, float) and text.is_integer():
        text = int(text)  # a spreadsheet cell read as a number
    raw = str(text).strip()
    if not raw:
        return None
    if raw.endswith(".0") and raw[:-2].isdigit():
        raw = raw[:-2]
    digits = raw.translate(_ASCII_NON_DIGITS) if raw.isascii() else _NON_DIGITS.sub("", raw)
    if len(digits) > 10:
        digits = _NON_DIGITS.sub("", _EXTENSION.sub("", raw))  # "214-555-0100 ext. 9"
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    return digits if len(digits) == 10 else None


US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
    "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico", "VI": "Virgin Islands",
    "GU": "Guam", "AS": "American Samoa", "MP": "Northern Mariana Islands",
}
_STATE_BY_KEY: dict[str, str] = {}
for _code, _name in US_STATES.items():
    _STATE_BY_KEY[_code.lower()] = _code
    _STATE_BY_KEY[re.sub(r"[^a-z]", "", _name.lower())] = _code
_STATE_BY_KEY.update({"washingtondc": "DC", "dc": "DC", "usvirginislands": "VI", "wash": "WA", "calif": "CA",
                      "penn": "PA", "mass": "MA", "tex": "TX", "fla": "FL"})


def normalise_state(text: Any) -> str | None:
    """A US state as its 2-letter code ("tx", "Texas", "TX Texas", "N.Y." → "TX"/"NY"); None if unknown."""
    if text is None:
        return None
    raw = str(text).strip()
    if not raw:
        return None
    key = re.sub(r"[^a-z]", "", raw.lower())
    hit = _STATE_BY_KEY.get(key)
    if hit:
        return hit
    # "TX Texas", "TX - Texas", "Texas (TX)": try each word and the words after a leading code.
    words = [w for w in re.split(r"[^A-Za-z.]+", raw) if w]
    if words:
        first = words[0].replace(".", "").lower()
        if len(first) == 2 and first in _STATE_BY_KEY:
            return _STATE_BY_KEY[first]
        rest = re.sub(r"[^a-z]", "", "".join(words[:-1]).lower()) if len(words) > 1 else ""
        last = words[-1].replace(".", "").lower()
        if len(last) == 2 and last in _STATE_BY_KEY:
            return _STATE_BY_KEY[last]
        if rest in _STATE_BY_KEY:
            return _STATE_BY_KEY[rest]
    return None


_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_ISO_RE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$", re.I)
_SLASH_RE = re.compile(
    r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})(?:[T ,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$")
_WORDY_RE = re.compile(r"^(?:[A-Za-z]+,?\s+)?([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_WORDY_DMY_RE = re.compile(r"^(?:[A-Za-z]+,?\s+)?(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([A-Za-z]{3,9})\.?[\s\-,]+(\d{4})$")
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_datetime(text: Any) -> datetime | None:
    """Read the common date and date-time forms; None when the text is not one.

    ISO ("2026-11-20", "2026-11-20T14:03:11Z", offsets), US slashes ("11/20/2026", "11/20/26 2:03 PM";
    day first only when the first number cannot be a month), year first ("2026/11/20"), words
    ("Nov 20, 2026", "20 November 2026", "Friday, November 20, 2026"), compact "20261120".
    Time zones are kept when given (aware datetimes); otherwise the result is naive.
    """
    if text is None:
        return None
    if isinstance(text, datetime):
        return text
    if isinstance(text, date):
        return datetime(text.year, text.month, text.day)
    raw = str(text).strip()
    if not raw or len(raw) > 40:
        return None
    try:
        if m := _ISO_RE.match(raw):
            y, mo, d, hh, mi, ss, frac, tz = m.groups()
            result = datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0),
                              int((frac or "0").ljust(6, "0")))
            if tz:
                if tz.upper() == "Z":
                    result = result.replace(tzinfo=UTC)
                else:
                    sign = 1 if tz[0] == "+" else -1
                    digits = tz[1:].replace(":", "")
                    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
                    result = result.replace(tzinfo=timezone(sign * offset))
            return result
        if m := _SLASH_RE.match(raw):
            a, b, c, hh, mi, ss, ampm = m.groups()
            if len(a) == 4:
                y, mo, d = int(a), int(b), int(c)
            else:
                mo, d, y = int(a), int(b), int(c)
                if mo > 12 >= d:
                    mo, d = d, mo
                if len(c) <= 2:
                    # Two-digit years: 00-69 → 2000s, 70-99 → 1900s (the POSIX strptime rule).
                    y += 2000 if y < 70 else 1900
                elif len(c) == 3:
                    return None
            hour = int(hh or 0)
            if ampm:
                if not 1 <= hour <= 12:
                    return None
                hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
            return datetime(y, mo, d, hour, int(mi or 0), int(ss or 0))
        if m := _WORDY_RE.match(raw):
            month = _MONTHS.get(m.group(1)[:3].lower())
            if month:
                return datetime(int(m.group(3)), month, int(m.group(2)))
        if m := _WORDY_DMY_RE.match(raw):
            month = _MONTHS.get(m.group(2)[:3].lower())
            if month:
                return datetime(int(m.group(3)), month, int(m.group(1)))
        if m := _COMPACT_RE.match(raw):
            return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:  # 02/30/2026 and friends
        return None
    return None


def parse_date(text: Any) -> date | None:
    """The calendar date in `text` (any form `parse_datetime` reads), or None."""
    result = parse_datetime(text)
    return result.date() if result else None


_YES = frozenset({"yes", "y", "true", "t", "1", "on", "checked", "x", "agree", "agreed", "accept", "accepted", "si", "sí"})
_NO = frozenset({"no", "n", "false", "f", "0", "off", "unchecked", "none", "decline", "declined", "disagree"})


def parse_yes_no(value: Any) -> bool | None:
    """True/False for the usual yes/no spellings (Yes, Y, 1, true, on, checked...), None when neither."""
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    key = str(value).strip().lower()
    if key in _YES:
        return True
    if key in _NO:
        return False
    if key.startswith("yes"):
        return True
    if key.startswith("no ") or key.startswith("no,") or key.startswith("no."):
        return False
    return None


def zip5(value: Any) -> str:
    """The 5-digit ZIP of "75201-1234", "752011234" or 7520 (leading zero lost by a spreadsheet → "07520")."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    raw = "" if value is None else str(value).strip()
    if raw.endswith(".0") and raw[:-2].isdigit():
        raw = raw[:-2]
    digits = _NON_DIGITS.sub("", raw.split("-")[0]) if "-" in raw else _NON_DIGITS.sub("", raw)
    if len(digits) in (9, 5):
        return digits[:5]
    if 3 <= len(digits) < 5 and digits == raw:
        return digits.zfill(5)
    return raw


# ---- the registry ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Arg:
    """One transform argument: its name, kind (str, int, bool, choice, map, fields), whether it is
    required, its default, allowed choices and a short help text for the editor."""

    name: str
    kind: str = "str"
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class TransformInfo:
    """A registered transform: name, one-line description, argument schema and its step factory."""

    name: str
    description: str
    args: tuple[Arg, ...]
    factory: Callable[[dict[str, Any]], Step]
    check: Callable[[dict[str, Any]], str | None] | None = None

    def arg(self, name: str) -> Arg | None:
        """The argument called `name`, or None."""
        return next((a for a in self.args if a.name == name), None)


TRANSFORMS: dict[str, TransformInfo] = {}


def _register(name: str, description: str, *args: Arg, check: Callable[[dict[str, Any]], str | None] | None = None):
    def wrap(factory: Callable[[dict[str, Any]], Step]) -> Callable[[dict[str, Any]], Step]:
        TRANSFORMS[name] = TransformInfo(name, description, tuple(args), factory, check)
        return factory
    return wrap


PHONE_FORMATS = {"digits": "2145550100", "e164": "+12145550100", "dashes": "214-555-0100",
                 "parens": "(214) 555-0100", "dots": "214.555.0100"}


@_register("phone", "US phone number in a chosen format: 10 digits, E.164, NNN-NNN-NNNN or (NNN) NNN-NNNN",
           Arg("format", "choice", default="digits", choices=tuple(PHONE_FORMATS), help="output format"))
def _phone(args: dict[str, Any]) -> Step:
    fmt = args.get("format", "digits")

    def step(value: str, lead: Mapping[str, Any]) -> str:
        digits = normalise_phone(value)
        if digits is None:
            return value.strip()  # not a US number: pass it on untouched rather than lose it
        if fmt == "e164":
            return "+1" + digits
        if fmt == "dashes":
            return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
        if fmt == "parens":
            return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
        if fmt == "dots":
            return f"{digits[:3]}.{digits[3:6]}.{digits[6:]}"
        return digits
    return step


def _check_strftime(args: dict[str, Any]) -> str | None:
    fmt = args.get("format", "%m/%d/%Y")
    try:
        datetime(2001, 2, 3, 4, 5, 6).strftime(fmt)
    except (ValueError, TypeError):
        return f"'{fmt}' is not a date pattern (use strftime codes such as %m/%d/%Y)"
    if "%" not in fmt:
        return f"'{fmt}' has no date codes (use strftime codes such as %m/%d/%Y or %Y-%m-%d)"
    return None


@_register("date", "Read any common date form and write it with a strftime pattern (e.g. %m/%d/%Y)",
           Arg("format", "str", default="%m/%d/%Y", help="strftime pattern, e.g. %m/%d/%Y or %Y-%m-%dT%H:%M:%S"),
           check=_check_strftime)
def _date(args: dict[str, Any]) -> Step:
    fmt = args.get("format", "%m/%d/%Y")

    def step(value: str, lead: Mapping[str, Any]) -> str:
        parsed = parse_datetime(value)
        return parsed.strftime(fmt) if parsed else value.strip()
    return step


@_register("state", "US state as its code (TX), its name (Texas) or both (TX Texas)",
           Arg("format", "choice", default="code", choices=("code", "name", "code_name"), help="output form"))
def _state(args: dict[str, Any]) -> Step:
    fmt = args.get("format", "code")

    def step(value: str, lead: Mapping[str, Any]) -> str:
        code = normalise_state(value)
        if code is None:
            return value.strip()
        if fmt == "name":
            return US_STATES[code]
        if fmt == "code_name":
            return f"{code} {US_STATES[code]}"
        return code
    return step


YES_NO_STYLES = {"Yes/No": ("Yes", "No"), "YES/NO": ("YES", "NO"), "yes/no": ("yes", "no"), "Y/N": ("Y", "N"),
                 "1/0": ("1", "0"), "true/false": ("true", "false"), "True/False": ("True", "False")}


@_register("yesno", "Yes/no answers written as Yes/No, Y/N, 1/0, true/false or a custom pair",
           Arg("style", "choice", default="Yes/No", choices=tuple(YES_NO_STYLES), help="output pair"),
           Arg("yes", "str", help="custom word for yes (overrides style)"),
           Arg("no", "str", help="custom word for no (overrides style)"))
def _yesno(args: dict[str, Any]) -> Step:
    yes, no = YES_NO_STYLES.get(args.get("style", "Yes/No"), ("Yes", "No"))
    yes = str(args["yes"]) if args.get("yes") is not None else yes
    no = str(args["no"]) if args.get("no") is not None else no

    def step(value: str, lead: Mapping[str, Any]) -> str:
        answer = parse_yes_no(value)
        if answer is None:
            return value
        return yes if answer else no
    return step


@_register("upper", "UPPER CASE")
def _upper(args: dict[str, Any]) -> Step:
    return lambda value, lead: value.upper()


@_register("lower", "lower case")
def _lower(args: dict[str, Any]) -> Step:
    return lambda value, lead: value.lower()


@_register("title", "Title Case (each word capitalised)")
def _title(args: dict[str, Any]) -> Step:
    # str.title() turns "o'neil" into "O'Neil" but also "mcdonald's" into "Mcdonald'S"; capitalise words instead.
    return lambda value, lead: re.sub(r"[^\s\-]+", lambda m: m.group(0)[:1].upper() + m.group(0)[1:].lower(), value)


@_register("trim", "Remove spaces at both ends and squeeze inner runs of whitespace to one space")
def _trim(args: dict[str, Any]) -> Step:
    return lambda value, lead: " ".join(value.split())


@_register("truncate", "Cut to at most N characters",
           Arg("length", "int", required=True, help="maximum number of characters"),
           Arg("ellipsis", "bool", default=False, help="end a cut value with …"),
           check=lambda a: None if a.get("length", 0) >= 1 else "length must be at least 1")
def _truncate(args: dict[str, Any]) -> Step:
    length = int(args["length"])
    ellipsis = bool(args.get("ellipsis", False))

    def step(value: str, lead: Mapping[str, Any]) -> str:
        if len(value) <= length:
            return value
        return value[: length - 1] + "…" if ellipsis and length > 1 else value[:length]
    return step


@_register("zip5", "ZIP code cut to 5 digits (75201-1234 → 75201)")
def _zip5(args: dict[str, Any]) -> Step:
    return lambda value, lead: zip5(value)


@_register("digits", "Keep only the digits")
def _digits(args: dict[str, Any]) -> Step:
    return lambda value, lead: _NON_DIGITS.sub("", value)


@_register("lookup", "Replace a value through a table (e.g. case type → the client's GUID), with a fallback",
           Arg("map", "map", required=True, help="value → replacement (matched ignoring case and outer spaces)"),
           Arg("fallback", "str", help="used when the value is not in the table; leave unset to keep the value"),
           Arg("case_sensitive", "bool", default=False, help="match the table exactly"))
def _lookup(args: dict[str, Any]) -> Step:
    case_sensitive = bool(args.get("case_sensitive", False))
    table = {(str(k).strip() if case_sensitive else str(k).strip().lower()): "" if v is None else str(v)
             for k, v in args["map"].items()}
    fallback = args.get("fallback")

    def step(value: str, lead: Mapping[str, Any]) -> str:
        key = value.strip() if case_sensitive else value.strip().lower()
        hit = table.get(key)
        if hit is not None:
            return hit
        return value if fallback is None else str(fallback)
    return step


def _check_regex(args: dict[str, Any]) -> str | None:
    try:
        re.compile(args.get("pattern", ""))
    except re.error as exc:
        return f"the pattern '{args.get('pattern')}' is not a valid regular expression ({exc})"
    try:
        re.compile(args.get("pattern", "")).sub(args.get("replacement", ""), "")
    except (re.error, IndexError) as exc:
        return f"the replacement '{args.get('replacement')}' refers to a group the pattern lacks ({exc})"
    return None


@_register("regex_replace", "Replace every match of a regular expression (\\1 refers to a group)",
           Arg("pattern", "str", required=True, help="regular expression"),
           Arg("replacement", "str", default="", help="replacement text; \\1 for the first group"),
           Arg("ignore_case", "bool", default=False, help="match regardless of case"),
           check=_check_regex)
def _regex_replace(args: dict[str, Any]) -> Step:
    pattern = re.compile(args["pattern"], re.I if args.get("ignore_case") else 0)
    replacement = args.get("replacement", "")
    return lambda value, lead: pattern.sub(replacement, value)


@_register("join", "Join several lead fields with a separator (empty ones skipped); replaces the value",
           Arg("fields", "fields", required=True, help="lead field names, in order"),
           Arg("separator", "str", default=" ", help="text between the values"),
           Arg("labels", "bool", default=False, help="write each as 'field: value'"))
def _join(args: dict[str, Any]) -> Step:
    fields = [str(f) for f in args["fields"]]
    separator = args.get("separator", " ")
    labels = bool(args.get("labels", False))

    def step(value: str, lead: Mapping[str, Any]) -> str:
        parts = []
        for name in fields:
            item = lead.get(name)
            text = "" if item is None else str(item).strip()
            if text:
                parts.append(f"{name}: {text}" if labels else text)
        return separator.join(parts)
    return step


@_register("default", "Use this value when the value is empty",
           Arg("value", "str", required=True, help="the value to use"))
def _default(args: dict[str, Any]) -> Step:
    fallback = str(args["value"])
    return lambda value, lead: value if value.strip() else fallback


@_register("prefix", "Put text before a non-empty value", Arg("text", "str", required=True, help="text to add"))
def _prefix(args: dict[str, Any]) -> Step:
    text = str(args["text"])
    return lambda value, lead: text + value if value else value


@_register("suffix", "Put text after a non-empty value", Arg("text", "str", required=True, help="text to add"))
def _suffix(args: dict[str, Any]) -> Step:
    text = str(args["text"])
    return lambda value, lead: value + text if value else value


# ---- checking and compiling --------------------------------------------------------------------------------
_KIND_CHECKS: dict[str, Callable[[Any], bool]] = {
    "str": lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "choice": lambda v: isinstance(v, str),
    "map": lambda v: isinstance(v, dict) and all(isinstance(k, str) for k in v),
    "fields": lambda v: isinstance(v, list) and bool(v) and all(isinstance(x, str) and x for x in v),
}
_KIND_WORDS = {"str": "a text", "int": "a whole number", "bool": "true or false", "choice": "one of the choices",
               "map": "an object of value: replacement", "fields": "a non-empty list of field names"}


def check_step(name: str, args: Any) -> list[str]:
    """Plain messages for what is wrong with a transform step (unknown name, unknown/missing/bad argument)."""
    info = TRANSFORMS.get(name)
    if info is None:
        return [f"unknown transform '{name}'; known ones: {', '.join(sorted(TRANSFORMS))}"]
    if not isinstance(args, dict):
        return ["its arguments must be an object of name: value"]
    messages = []
    for key in args:
        if info.arg(key) is None:
            known = ", ".join(a.name for a in info.args) or "none"
            messages.append(f"'{key}' is not an argument of {name} (it takes: {known})")
    for arg in info.args:
        if arg.name not in args or args[arg.name] is None:
            if arg.required:
                messages.append(f"needs the argument '{arg.name}' ({arg.help or _KIND_WORDS[arg.kind]})")
            continue
        value = args[arg.name]
        if not _KIND_CHECKS[arg.kind](value):
            messages.append(f"'{arg.name}' must be {_KIND_WORDS[arg.kind]}")
        elif arg.choices and value not in arg.choices:
            messages.append(f"'{arg.name}' must be one of {', '.join(arg.choices)}, not '{value}'")
    if not messages and info.check:
        message = info.check(args)
        if message:
            messages.append(message)
    return messages


class TransformError(ValueError):
    """A transform step that cannot be compiled (unknown or bad arguments); the message says which."""


def compile_step(name: str, args: dict[str, Any] | None = None) -> Step:
    """The ready-to-run step for a transform with its arguments bound; raise TransformError if invalid."""
    args = args or {}
    messages = check_step(name, args)
    if messages:
        raise TransformError(f"transform '{name}': {'; '.join(messages)}")
    return TRANSFORMS[name].factory(args)


def compile_chain(steps: list[tuple[str, dict[str, Any]]]) -> Callable[[str, Mapping[str, Any]], str]:
    """A single function running the given (name, args) steps in order."""
    compiled = [compile_step(name, args) for name, args in steps]
    if not compiled:
        return lambda value, lead: value
    if len(compiled) == 1:
        return compiled[0]

    def chain(value: str, lead: Mapping[str, Any]) -> str:
        for step in compiled:
            value = step(value, lead)
        return value
    return chain


def apply(name: str, value: Any, lead: Mapping[str, Any] | None = None, /, **args: Any) -> str:
    """Run one transform once (handy in tests and the editor's try-it box)."""
    return compile_step(name, args)("" if value is None else str(value), lead or {})


def catalogue() -> list[dict[str, Any]]:
    """The registry as plain data for the editor: name, description and argument schema of each transform."""
    return [
        {"name": info.name, "description": info.description,
         "args": [{"name": a.name, "kind": a.kind, "required": a.required, "default": a.default,
                   "choices": list(a.choices), "help": a.help} for a in info.args]}
        for info in TRANSFORMS.values()
    ]
