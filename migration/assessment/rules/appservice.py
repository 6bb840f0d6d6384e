"""App Service rule A1 (Microsoft's App Service move limitations)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from migration.assessment.dependencies import top_level_id
from migration.assessment.rules.base import Inventory, dig, finding, items
from migration.model import Finding, Resource
from migration.model.commands import Command, Data, Script

SITES = ("microsoft.web/sites", "microsoft.web/sites/slots")


# `webSpace` is "<group>-<Region>webspace" (Linux plans: "...webspace-Linux"): the group where the App Service
# resource was created, the only group it can move to another subscription from.
_WEBSPACE = re.compile(r"^(?P<group>.+)-(?P<region>[A-Za-z0-9]+)webspace(?:-linux)?$", re.IGNORECASE)


def original_group(inv: Inventory, r: Resource) -> str | None:
    """The group named by the resource's webSpace (with its listed casing), None when it does not say."""
    m = _WEBSPACE.match(str(dig(r.properties, "webSpace") or ""))
    return inv.group_name(m["group"]) if m else None


def a1_app_service(inv: Inventory) -> Iterator[Finding]:
    misplaced: set[str] = set()
    for r in inv.of_type(*SITES, "microsoft.web/serverfarms", "microsoft.web/certificates"):
        original = original_group(inv, r)
        if original and original.lower() != r.resource_group.lower():
            misplaced.add(r.id.lower())
            yield finding(inv, "A1", r, case="not_original", original=original,
                          detail=f"is in group {r.resource_group} but was created in group {original}")
    for e in inv.graph.split_edges():
        src, dst = inv.get(e.source), inv.get(e.target)
        if e.kind != "web" or src is None or dst is None:
            continue
        # Azure refuses to move a plan that hosts apps that do not move with it: the plan's group needs the
        # app's fix too, so that it is never "ready" on its own.
        hosted = f"hosts {src.name}, which is in group {src.resource_group}"
        plan = dst.type.lower() == "microsoft.web/serverfarms"
        if e.source.lower() in misplaced:
            original = original_group(inv, src)
            if plan and original and original.lower() == dst.resource_group.lower():
                yield finding(inv, "A1", dst, case="hosts_misplaced", id=src.id, original=original,
                              app=src.name, fix_ids=(src.id,), detail=hosted)
            continue  # moving the misplaced side back is the fix
        if e.target.lower() in misplaced:
            continue
        yield finding(inv, "A1", src, case="split_unknown", detail=f"is in group {src.resource_group} but {dst.name} "
                      f"({dst.type.rsplit('/', 1)[-1]}) is in group {dst.resource_group}")
        if plan:
            yield finding(inv, "A1", dst, case="hosts_split", id=src.id, app=src.name, fix_ids=(src.id,),
                          detail=hosted)
    endpoints: dict[str, set[str]] = {}
    for pe in inv.of_type("microsoft.network/privateendpoints"):
        for c in items(dig(pe.properties, "privateLinkServiceConnections")):
            target = top_level_id(str(dig(c, "properties", "privateLinkServiceId") or "")).lower()
            endpoints.setdefault(target, set()).add(pe.id)
    for site in inv.of_type(*SITES):
        if dig(site.properties, "virtualNetworkSubnetId"):
            yield finding(inv, "A1", site, case="vnet", detail="has VNet integration",
                          app_network_command=Script.of(Command.of(
                              "az", "webapp", "vnet-integration", "remove", "-g", Data(site.resource_group), "-n",
                              Data(site.name))))
        if site.id.lower() in endpoints:
            yield finding(inv, "A1", site, case="vnet", detail="has a private endpoint",
                          app_network_command=Script(tuple(
                              Command.of("az", "network", "private-endpoint", "delete", "--ids", Data(pe))
                              for pe in sorted(endpoints[site.id.lower()]))))
    for r in inv.of_type(*SITES, "microsoft.web/serverfarms"):
        if dig(r.properties, "hostingEnvironmentProfile", "id"):
            yield finding(inv, "A1", r, case="ase", detail="runs on an App Service Environment")
    for cert in inv.of_type("microsoft.web/certificates"):
        if dig(cert.properties, "canonicalName"):
            yield finding(inv, "A1", cert, case="managed_cert", detail="is a free App Service managed certificate",
                          thumbprint=dig(cert.properties, "thumbprint") or "<thumbprint>",
                          site=_site_of(inv, cert), detail_host=dig(cert.properties, "canonicalName"))
        else:
            yield finding(inv, "A1", cert, case="uploaded_cert", detail="is an uploaded TLS/SSL certificate")


def _site_of(inv: Inventory, cert: Resource) -> str:
    """The app that binds the certificate (by thumbprint), for the command that re-creates it."""
    thumb = str(dig(cert.properties, "thumbprint") or "").upper()
    for site in inv.of_type(*SITES):
        for state in items(dig(site.properties, "hostNameSslStates")):
            if thumb and str(dig(state, "thumbprint") or "").upper() == thumb:
                return site.name
    return "<app name>"
