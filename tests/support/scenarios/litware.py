"""The ids of the sandbox scenario `litware` (sandbox/scenarios/litware.json): a source subscription whose
settings are set on the subscription itself."""

from __future__ import annotations

LITWARE = "1177a4e0-0000-4000-8000-000000000001"  # the tenant
SOURCE = "1177a4e0-5ab1-4000-8000-000000000001"  # Litware Pay-As-You-Go
TARGET = "1177a4e0-c5b1-4000-8000-000000000002"  # Litware Azure plan (CSP)
ALICE = "1177a4e0-0000-4000-8000-0000000a11ce"  # a user
FINANCE = "1177a4e0-0000-4000-8000-00000000f1a0"  # a group
BOB = "1177a4e0-0000-4000-8000-000000000b0b"  # a user since deleted
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
BILLING = "1177a4e0-b111-4000-8000-0000000b111a"  # custom role, assignable in the source only
PICKED = ("rg-web", "rg-data", "rg-logs")
SOURCE_TAGS = {"costCenter": "CC-1042", "owner": "it-ops@litware.com", "note": "billing $(whoami); 'quoted'"}
WORKSPACE = (f"/subscriptions/{SOURCE}/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/"
             "log-litware")  # the Activity Log's destination, in a group that moves
