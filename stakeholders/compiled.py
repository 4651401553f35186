"""Lookups on every request, as SQL the ORM compiled once.

Each signed-in request reads its session row and its account row. Through the ORM each
read builds and compiles the same query again (filter, compiler, about 0.3 ms each on the
bench machines, as much as PostgreSQL takes to answer); here the ORM compiles it once per
database and the row is loaded into a model instance as the ORM's own iterator would.
"""

from collections.abc import Callable, Hashable
from functools import cache
from typing import NamedTuple

from django.db import connections
from django.db.models import Model, QuerySet


class CompiledLookup:
    """One row by a few values. `build` returns the queryset with placeholder values, in
    the order the values are later given (chain one filter() per value: a filter() with
    several keywords sorts them)."""

    def __init__(self, build: Callable[[], QuerySet]) -> None:
        self.build = build

    @cache  # noqa: B019 (a handful of module-level instances, each for the process's life)
    def _compiled(self, alias: str) -> tuple[type[Model], str, list[str]]:
        queryset = self.build()
        sql, _params = queryset.query.get_compiler(using=alias).as_sql()
        model = queryset.model
        return model, sql, [field.attname for field in model._meta.concrete_fields]

    def get(self, *values, using: str = "default") -> Model | None:
        model, sql, attnames = self._compiled(using)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, values)
            row = cursor.fetchone()
        return None if row is None else model.from_db(using, attnames, row)


class CompiledQuery(NamedTuple):
    """A queryset's SQL and parameters, compiled with stand-ins for a request's values."""

    sql: str
    params: tuple
    # (position in the row, the ORM's converters for that column, its expression)
    converters: list[tuple[int, tuple[list[Callable], object]]]


def compile_query(queryset: QuerySet, alias: str, stand_ins) -> tuple[CompiledQuery, object]:
    """The queryset's SQL and parameters, `stand_ins` among them, and its compiler (for
    where each model's columns sit in the row). Pick stand-ins no real call uses."""
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    # A lookup that changed a stand-in would have it sent as it is: refuse to run then.
    if any(stand_in not in params for stand_in in stand_ins):
        raise ValueError("a stand-in is missing from the compiled parameters")
    converters = compiler.get_converters([column for column, _sql, _alias in compiler.select])
    return CompiledQuery(sql, tuple(params), list(converters.items())), compiler


def run_compiled(query: CompiledQuery, alias: str, values: dict) -> list:
    """Send a compiled query with `values` ({stand-in: value}) in place of the stand-ins;
    each row converted as the ORM's own iterator does (e.g. JSON decoded)."""
    connection = connections[alias]
    params = [
        values.get(param, param) if isinstance(param, Hashable) else param for param in query.params
    ]
    with connection.cursor() as cursor:
        cursor.execute(query.sql, params)
        rows = cursor.fetchall()
    if not query.converters:
        return rows
    converted = []
    for row in rows:
        row = list(row)
        for position, (functions, expression) in query.converters:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        converted.append(row)
    return converted
