"""The fixes before a move and the follow-through after it: one module per fix family (`families/`,
registered once), each planning its steps, carrying them out in Azure and checking them after a crash; and
what they share: which fixes a plan carries (`choice`), the facts read at plan time (`facts`), planning
(`plan`), the carry dispatcher (`carry`), where a follow-through step acts (`places`).

Imports `migration.model`, `migration.azure` and `migration.assessment`.
"""
