"""Resource providers of a subscription, as Microsoft.Resources answers them: listed, read and registered.
Azure lists the common namespaces (`move-facts.json`) and every namespace a resource of the world uses,
registered unless the scenario says otherwise."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.api import ArmApi
from sandbox.auth import Caller
from sandbox.routing import route
from sandbox.state import Sub

PROVIDERS = "/subscriptions/{subscription}/providers"
READ = "Microsoft.Resources/subscriptions/providers/read"


class ProviderApi(ArmApi):
    def _namespaces(self, sub: Sub) -> dict[str, str]:
        """Every provider Azure lists, by lower-case namespace."""
        names: dict[str, str] = {ns.lower(): ns for ns in self.runtime.facts.namespaces}
        for s in self.world.subscriptions.values():
            for res in self.world.resources(s):
                names.setdefault(res.type.split("/")[0].lower(), res.type.split("/")[0])
        for key, (ns, _) in sub.providers.items():
            names[key] = ns
        return names

    def _body(self, sub: Sub, namespace: str) -> dict[str, Any]:
        prefix = namespace.lower() + "/"
        types = sorted({r.type.split("/", 1)[1] for r in self.world.resources(sub)
                        if r.type.lower().startswith(prefix)})
        return {
            "id": f"/subscriptions/{sub.id}/providers/{namespace}", "namespace": namespace,
            "registrationState": sub.provider_state(namespace), "registrationPolicy": "RegistrationRequired",
            "resourceTypes": [{"resourceType": t, "locations": [], "apiVersions": []} for t in types],
        }

    @route("GET", PROVIDERS, "Providers_List", action=READ)
    async def list_providers(self, request: web.Request, caller: Caller, *, subscription: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        names = sorted(self._namespaces(sub).values(), key=str.lower)
        return self.answer(self.page(request, [self._body(sub, ns) for ns in names]))

    @route("GET", PROVIDERS + "/{namespace}", "Providers_Get", action=READ)
    async def get_provider(self, request: web.Request, caller: Caller, *, subscription: str,
                           namespace: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        return self.answer(self._body(sub, self._namespaces(sub).get(namespace.lower(), namespace)))

    @route("POST", PROVIDERS + "/{namespace}/register", "Providers_Register", action="{namespace}/register/action")
    async def register(self, request: web.Request, caller: Caller, *, subscription: str,
                       namespace: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        name = self._namespaces(sub).get(namespace.lower(), namespace)
        sub.providers[namespace.lower()] = (name, "Registered")
        self.changed()
        return self.answer(self._body(sub, name))
