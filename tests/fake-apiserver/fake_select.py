"""labelSelector and fieldSelector, parsed and matched as the real API server does.

Label selectors: `k=v`, `k==v`, `k!=v`, `k` (exists), `!k` (does not exist), `k in (a,b)`,
`k notin (a,b)`; a comma means AND. Field selectors: `f=v`, `f==v`, `f!=v`, comma = AND, on
metadata.name, metadata.namespace and the few fields the real server indexes for the kind.
"""
import re
from typing import Callable, List, Tuple

from fake_store import Record, Resource, bad_request

_KEY = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?/)?"
                  r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_SET = re.compile(r"^(\S+)\s+(in|notin)\s*\((.*)\)$")

Requirement = Tuple[str, str, Tuple[str, ...]]  # key, operator, values


def _split_top(text: str) -> List[str]:
    """Splits on commas outside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _check(key: str, values: Tuple[str, ...], term: str):
    if not _KEY.match(key) or len(key.split("/")[-1]) > 63:
        raise bad_request(f'unable to parse requirement: invalid label key "{key}" in "{term}"')
    for v in values:
        if not _VALUE.match(v) or len(v) > 63:
            raise bad_request(f'unable to parse requirement: invalid label value: "{v}"')


def parse_labels(text: str) -> List[Requirement]:
    reqs: List[Requirement] = []
    if not text.strip():
        return reqs
    for term in _split_top(text):
        t = term.strip()
        if not t:
            raise bad_request(f'unable to parse requirement: found \'\', expected: identifier '
                              f'in "{text}"')
        m = _SET.match(t)
        if m:
            values = tuple(v.strip() for v in m.group(3).split(",") if v.strip())
            key, op = m.group(1), m.group(2)
            if not values:
                raise bad_request(f'unable to parse requirement: for \'{op}\' operator, '
                                  f'values set can\'t be empty in "{t}"')
        elif t.startswith("!"):
            key, op, values = t[1:].strip(), "!", ()
        elif "!=" in t:
            key, _, v = t.partition("!=")
            key, op, values = key.strip(), "!=", (v.strip(),)
        elif "==" in t:
            key, _, v = t.partition("==")
            key, op, values = key.strip(), "=", (v.strip(),)
        elif "=" in t:
            key, _, v = t.partition("=")
            key, op, values = key.strip(), "=", (v.strip(),)
        else:
            key, op, values = t, "exists", ()
        _check(key, values, t)
        reqs.append((key, op, values))
    return reqs


def label_matcher(text: str) -> Callable[[Record], bool]:
    reqs = parse_labels(text)
    if not reqs:
        return lambda rec: True

    def match(rec: Record) -> bool:
        labels = rec.labels
        for key, op, values in reqs:
            present = key in labels
            if op == "=" and (not present or labels[key] != values[0]):
                return False
            if op == "!=" and present and labels[key] == values[0]:
                return False
            if op == "in" and (not present or labels[key] not in values):
                return False
            if op == "notin" and present and labels[key] in values:
                return False
            if op == "exists" and not present:
                return False
            if op == "!" and present:
                return False
        return True
    return match


def parse_fields(text: str, res: Resource) -> List[Tuple[str, bool, str]]:
    reqs = []
    if not text.strip():
        return reqs
    for term in text.split(","):
        t = term.strip()
        if "!=" in t:
            f, _, v = t.partition("!=")
            negate = True
        elif "==" in t:
            f, _, v = t.partition("==")
            negate = False
        elif "=" in t:
            f, _, v = t.partition("=")
            negate = False
        else:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{t}'")
        f = f.strip()
        if f not in ("metadata.name", "metadata.namespace") + res.fields:
            raise bad_request(f'field label not supported: {f}')
        reqs.append((f, negate, v.strip()))
    return reqs


def field_matcher(text: str, res: Resource) -> Callable[[Record], bool]:
    reqs = parse_fields(text, res)
    if not reqs:
        return lambda rec: True

    def match(rec: Record) -> bool:
        for f, negate, v in reqs:
            if (rec.field(f) == v) == negate:
                return False
        return True
    return match


def has_selector(label_text: str, field_text: str) -> bool:
    return bool(label_text.strip() or field_text.strip())
