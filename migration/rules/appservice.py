"""App Service rule A1 (Microsoft's App Service move limitations)."""

from __future__ import annotations

from collections.abc import Iterator

from migration.dependencies import top_level_id
from migration.model import Finding
from migration.rules.base import Inventory, dig, finding, items

SITES = ("microsoft.web/sites", "microsoft.web/sites/slots")


def a1_app_service(inv: Inventory) -> Iterator[Finding]:
    for e in inv.graph.split_edges():
        if e.kind != "web":
            continue
        src, dst = inv.get(e.source), inv.get(e.target)
        if src is None or dst is None:
            continue
        yield finding(inv, "A1", src, case="split", detail=f"is in group {src.resource_group} but {dst.name} "
                      f"({dst.type.rsplit('/', 1)[-1]}) is in group {dst.resource_group}")
        yield finding(inv, "A1", dst, case="split", detail=f"is in group {dst.resource_group} but {src.name}, "
                      f"which uses it, is in group {src.resource_group}")
    endpoints = {top_level_id(str(dig(c, "properties", "privateLinkServiceId") or "")).lower()
                 for pe in inv.of_type("microsoft.network/privateendpoints")
                 for c in items(dig(pe.properties, "privateLinkServiceConnections"))}
    for site in inv.of_type(*SITES):
        if dig(site.properties, "virtualNetworkSubnetId"):
            yield finding(inv, "A1", site, case="vnet", detail="has VNet integration")
        if site.id.lower() in endpoints:
            yield finding(inv, "A1", site, case="vnet", detail="has a private endpoint")
    for r in inv.of_type(*SITES, "microsoft.web/serverfarms"):
        if dig(r.properties, "hostingEnvironmentProfile", "id"):
            yield finding(inv, "A1", r, case="ase", detail="runs on an App Service Environment")
    for cert in inv.of_type("microsoft.web/certificates"):
        if dig(cert.properties, "canonicalName"):
            yield finding(inv, "A1", cert, case="managed_cert", detail="is a free App Service managed certificate")
        else:
            yield finding(inv, "A1", cert, case="uploaded_cert", detail="is an uploaded TLS/SSL certificate")
