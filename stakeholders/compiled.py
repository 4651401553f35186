"""Lookups on every request, as SQL the ORM compiled once.

Each signed-in request reads its session row and its account row. Through the ORM each
read builds and compiles the same query again (filter, compiler, about 0.3 ms each on the
bench machines, as much as PostgreSQL takes to answer); here the ORM compiles it once per
database and the row is loaded into a model instance as the ORM's own iterator would.
"""

from collections.abc import Callable
from functools import cache

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
