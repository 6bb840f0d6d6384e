"""The assessment rules: pure functions from an `Inventory` to `Finding`s, one module per family.

Ids, texts and sources (each rule's Microsoft Learn page and section): `migration/data/rules.json` and
`migration/data/move-support.json`.
"""

from __future__ import annotations

from migration.assessment.rules import appservice, compute, generic, network, readiness, services
from migration.assessment.rules.base import Inventory, Rule, finding
from migration.assessment.rules.preconditions import preconditions
from migration.model import Finding

# Group- and resource-level rules, in the order their findings are listed.
RULES: tuple[Rule, ...] = (
    generic.g9_classic,
    generic.g7_type_not_movable,
    generic.g8_type_unknown,
    generic.g11_child_without_parent,
    generic.g13_not_succeeded,
    generic.g12_read_only_lock,
    generic.g14_too_many,
    generic.g10_dependencies_split,
    generic.g4_provider_not_registered,
    generic.g19_managed_group,
    readiness.q1_compute_quota,
    readiness.f1_preview_features,
    compute.vm1_marketplace_plan,
    compute.vm2_disk_encryption,
    compute.vm3_backup_restore_points,
    compute.vm4_availability_set_split,
    compute.vm5_network_split,
    compute.vm6_spot_and_scale_sets,
    compute.vm7_zonal_disk,
    compute.vm8_os_profile_secrets,
    compute.cmk1_customer_managed_key,
    compute.sn1_incremental_snapshot,
    network.n1_standard_public_ip,
    network.n2_peered_network,
    network.n3_navigation_links,
    network.n4_vpn_gateway,
    network.n5_private_endpoint,
    network.n6_aks_network,
    network.n7_subnet_attachments,
    appservice.a1_app_service,
    services.r1_recovery_vault,
    services.s1_sql_databases,
    services.s2_workspace_automation,
    services.s4_stream_analytics_running,
    services.s5_hdinsight_network,
    services.s6_apim_consumption,
    services.s7_search_regions,
    services.s8_app_insights,
    services.s9_saas,
    services.s10_classic_cloud_service,
    services.c1_restricted_in_csp,
    services.u1_user_assigned_identity,
    services.kv1_disk_encryption_vault,
    services.sql1_sql_iaas_registration,
    generic.g15_g17_every_move,
)


def run_rules(inv: Inventory) -> list[Finding]:
    return [f for rule in RULES for f in rule(inv)]


__all__ = ["RULES", "Inventory", "Rule", "finding", "preconditions", "run_rules"]
