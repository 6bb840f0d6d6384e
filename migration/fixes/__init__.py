"""The fixes before a move and the follow-through after it: which fixes a plan carries, the steps
planned from them, and how each step is carried out in Azure and checked after a crash.

Imports `migration.model`, `migration.azure` and `migration.assessment.assess`.
"""
