"""The subset of Resource Graph (KQL) the sandbox understands; anything else is an ARM-shaped 400.

Grammar (case-insensitive keywords, one table: Resources, or RecoveryServicesResources, which holds Site
Recovery and backup items that Resources does not list):
    Resources | RecoveryServicesResources
      [| where <field> <op> '<value>' [and <field> <op> '<value>' ...]]...
      [| project <field>, <field>, ...]
      [| order by <field> [asc|desc]]
      [| limit <n> | take <n>]
with <op> one of == != =~ !~ contains startswith and <field> a column below.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

COLUMNS = (
    "id", "name", "type", "tenantId", "kind", "location", "resourceGroup", "subscriptionId", "managedBy",
    "sku", "plan", "properties", "tags", "identity", "zones", "extendedLocation",
)
_SCALAR = {c.lower(): c for c in ("id", "name", "type", "tenantId", "kind", "location", "resourceGroup",
                                  "subscriptionId", "managedBy")}
_ALL = {c.lower(): c for c in COLUMNS}


class QueryError(ValueError):
    pass


TABLES = ("resources", "recoveryservicesresources")


@dataclass(frozen=True, slots=True)
class Query:
    table: str
    predicates: tuple[Callable[[dict[str, Any]], bool], ...]
    columns: tuple[str, ...]
    order_by: str
    descending: bool
    limit: int | None


def _split_pipes(text: str) -> list[str]:
    parts, buf, quote = [], [], ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "|":
            parts.append("".join(buf).strip())
            buf = []
            continue
        buf.append(ch)
    if quote:
        raise QueryError("unterminated string literal")
    parts.append("".join(buf).strip())
    return parts


_COND = re.compile(
    r"""^\s*(?P<field>\w+)\s*(?P<op>==|!=|=~|!~|\bcontains\b|\bstartswith\b)\s*
        (?P<q>['"])(?P<value>.*?)(?P=q)\s*$""",
    re.IGNORECASE | re.VERBOSE,
)


def _predicate(cond: str) -> Callable[[dict[str, Any]], bool]:
    m = _COND.match(cond)
    if not m:
        raise QueryError(f"unsupported condition '{cond}'")
    field = _SCALAR.get(m["field"].lower())
    if field is None:
        raise QueryError(f"unsupported column '{m['field']}' in where")
    op, value = m["op"].lower(), m["value"]

    def check(row: dict[str, Any]) -> bool:
        cell = str(row.get(field) or "")
        if op == "==":
            return cell == value
        if op == "!=":
            return cell != value
        if op == "=~":
            return cell.lower() == value.lower()
        if op == "!~":
            return cell.lower() != value.lower()
        if op == "contains":
            return value.lower() in cell.lower()
        return cell.lower().startswith(value.lower())

    return check


def parse(text: str) -> Query:
    stages = _split_pipes(text)
    if stages[0].lower() not in TABLES:
        raise QueryError(f"unsupported table '{stages[0]}' (only 'Resources' and 'RecoveryServicesResources')")
    predicates: list[Callable[[dict[str, Any]], bool]] = []
    columns: tuple[str, ...] = COLUMNS
    order_by, descending, limit = "id", False, None
    for stage in stages[1:]:
        word, _, rest = stage.partition(" ")
        word = word.lower()
        if word == "where":
            conds = re.split(r"\s+and\s+", rest, flags=re.IGNORECASE)
            predicates.extend(_predicate(c) for c in conds)
        elif word == "project":
            names = [c.strip() for c in rest.split(",") if c.strip()]
            unknown = [c for c in names if c.lower() not in _ALL]
            if not names or unknown:
                raise QueryError(f"unsupported projection {unknown or rest!r}")
            columns = tuple(_ALL[c.lower()] for c in names)
        elif word in ("order", "sort"):
            m = re.fullmatch(r"by\s+(\w+)(?:\s+(asc|desc))?", rest.strip(), re.IGNORECASE)
            if not m or m[1].lower() not in _SCALAR:
                raise QueryError(f"unsupported ordering '{stage}'")
            order_by, descending = _SCALAR[m[1].lower()], (m[2] or "asc").lower() == "desc"
        elif word in ("limit", "take"):
            if not rest.strip().isdigit():
                raise QueryError(f"unsupported limit '{stage}'")
            limit = int(rest.strip())
        else:
            raise QueryError(f"unsupported operator '{word}'")
    return Query(stages[0].lower(), tuple(predicates), columns, order_by, descending, limit)


def run(query: Query, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    selected = [r for r in rows if all(p(r) for p in query.predicates)]
    selected.sort(key=lambda r: str(r.get(query.order_by) or "").lower(), reverse=query.descending)
    if query.limit is not None:
        selected = selected[: query.limit]
    return [{c: r.get(c) for c in query.columns} for r in selected]


def error_body(message: str) -> dict[str, Any]:
    """ARG's answer to a query it cannot run (SPEC-ARG ErrorResponse, nested details)."""
    return {"error": {
        "code": "BadRequest",
        "message": "Please provide below info when asking for support: timestamp, correlationId.",
        "details": [
            {"code": "InvalidQuery", "message": "Query is invalid. Please refer to the documentation for the "
                                                "Azure Resource Graph service and fix the error before retrying."},
            {"code": "ParserFailure", "message": f"The sandbox supports a subset of KQL: {message}."},
        ],
    }}
