"""The assessment: every resource of a subscription classified (rules, one module per family,
under `rules/`), the move-support catalog, the dependency graph, and Azure's own dry run.

Imports `migration.model` and `migration.azure`.
"""
