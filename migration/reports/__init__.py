"""What a move or an assessment produced, for people: the move report and its files, the
assessment export, the post-move checklist. Pure: records in, documents out.

Imports `migration.model` and `migration.azure` (plain-word errors).
"""
