"""The domain of the CSP migration bot, as packages in their import order (inner first):

- `model`: domain values and the store's interface;
- `azure`: the gateway to Azure, credentials, errors, pacing, permissions;
- `assessment`: rules, catalog, dependencies, Azure's dry run;
- `fixes`: the fixes before a move and the follow-through after it;
- `planning`: drafts, revisions, batches, a plan's groups and steps;
- `reports`: the move report, the assessment export, the checklist;
- `execution`: the request state machine, the step engine, the runner;
- `application`: the services the chat edge calls.

A package imports only packages before it (`tests/migration/test_layers.py`). The domain imports
neither a Teams SDK nor storage code.
"""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"  # facts and texts, each entry with its source
