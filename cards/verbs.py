"""Every `Action.Execute` verb a card sends, and the `data` keys that come with it.

The bot routes invokes by these names. `data` carries ids only; the bot looks the rest up
server-side and re-checks who may do what. Inputs arrive merged into `data` under their ids.
"""

from __future__ import annotations

HELP = "help.show"  # {}
ATTACH_START = "attach.start"  # {}: ask for a tenant
ATTACH_CHECK = "attach.check"  # {tenant}: check the reseller relationship again
ASSESS_START = "assess.start"  # {tenantId?}: ask for tenant / subscription
ASSESS_SUBSCRIPTION = "assess.subscription"  # {tenantId} + input subscriptionId
ASSESS_RUN = "assess.run"  # {tenantId, subscriptionId}: assess again
ASSESSMENT_SUMMARY = "assessment.summary"  # {tenantId, subscriptionId}
ASSESSMENT_BLOCKERS = "assessment.blockers"  # {tenantId, subscriptionId, page}
ASSESSMENT_DRY_RUN = "assessment.dryrun"  # {tenantId, subscriptionId, page}
MOVE_START = "move.start"  # {tenantId, sourceSubscriptionId}: pick the target
MOVE_SOURCE = "move.source"  # {tenantId} + input subscriptionId
MOVE_TARGET = "move.target"  # {tenantId, sourceSubscriptionId} + input targetSubscriptionId
MOVE_GROUPS = "move.groups"  # {tenantId, sourceSubscriptionId, targetSubscriptionId, page?} + input groups
REQUEST_CREATE_GROUPS = "request.creategroups"  # {requestId}: create target groups, run dry run
REQUEST_SUBMIT = "request.submit"  # {requestId, revision}: ask for approval of that revision of the plan
REQUEST_FIXES = "request.fixes"  # {requestId, revision} + input fixes: plan again with the fixes kept
REQUEST_PLAN = "request.plan"  # {requestId}: the plan as it stands (the new one once planning again ends)
REQUEST_REFRESH = "request.refresh"  # {requestId}: refresh (automatic) of the approval card; read-only
REQUEST_APPROVE = "request.approve"  # {requestId}
REQUEST_REJECT = "request.reject"  # {requestId} + input comment
REQUEST_CANCEL = "request.cancel"  # {requestId}
REQUEST_STATUS = "request.status"  # {requestId}
REQUEST_REPORT = "request.report"  # {requestId}: the final report with a fresh link to the move report
REQUEST_RECHECK = "request.recheck"  # {requestId}: a move waiting for access checks it again now
HISTORY_PAGE = "history.page"  # {page}
MOVE_GROUPS_PAGE = "move.groupspage"  # {tenantId, sourceSubscriptionId, targetSubscriptionId, page}
