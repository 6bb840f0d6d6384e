"""Move plans before approval: drafts and their revisions, the batches of a group's move, and a
plan's groups and steps from what Azure says at plan time.

Imports `migration.model`, `migration.azure`, `migration.assessment.assess` and `migration.fixes`.
"""
