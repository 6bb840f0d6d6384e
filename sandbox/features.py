"""Preview features (AFEC) as Microsoft.Features answers them (api-version 2021-07-01): a subscription's
features with their state, listed, read and registered. A subscription's `features` in the scenario are its
states; every feature any subscription of the world names is listed for the others as `NotRegistered`, as
Azure lists every feature whatever the subscription did. Registering is immediate here (Azure may take
minutes, or wait for Microsoft's approval). Shapes: Azure/azure-rest-api-specs `specification/resources/
resource-manager/Microsoft.Features/stable/2021-07-01/features.json`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.api import ArmApi
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.routing import route
from sandbox.state import Sub

FEATURES = "/subscriptions/{subscription}/providers/Microsoft.Features"
READ = "Microsoft.Features/features/read"


class FeatureApi(ArmApi):
    def _states(self, sub: Sub) -> dict[str, tuple[str, str]]:
        """lower "ns/feature" -> (name, state) for every feature Azure lists for this subscription."""
        known = {key: (name, "NotRegistered") for s in self.world.subscriptions.values()
                 for key, (name, _) in s.features.items()}
        return {**known, **sub.features}

    @staticmethod
    def _body(sub: Sub, name: str, state: str) -> dict[str, Any]:
        namespace, feature = name.split("/", 1)
        return {"id": f"/subscriptions/{sub.id}/providers/Microsoft.Features/providers/{namespace}/features/{feature}",
                "name": name, "type": "Microsoft.Features/providers/features", "properties": {"state": state}}

    @route("GET", FEATURES + "/features", "Features_ListAll", action=READ)
    async def list_all(self, request: web.Request, caller: Caller, *, subscription: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        return self.answer(self.page(request, [self._body(sub, n, s) for n, s in self._states(sub).values()]))

    @route("GET", FEATURES + "/providers/{namespace}/features", "Features_List", action=READ)
    async def list_namespace(self, request: web.Request, caller: Caller, *, subscription: str,
                             namespace: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        prefix = namespace.lower() + "/"
        return self.answer(self.page(request, [self._body(sub, n, s) for k, (n, s) in self._states(sub).items()
                                               if k.startswith(prefix)]))

    @route("GET", FEATURES + "/providers/{namespace}/features/{feature}", "Features_Get", action=READ)
    async def get(self, request: web.Request, caller: Caller, *, subscription: str, namespace: str,
                  feature: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        found = self._states(sub).get(f"{namespace}/{feature}".lower())
        if found is None:
            raise ArmFailure(404, "FeatureNotFound",
                             f"The feature '{feature}' could not be found in namespace '{namespace}'.")
        return self.answer(self._body(sub, *found))

    @route("POST", FEATURES + "/providers/{namespace}/features/{feature}/register", "Features_Register",
           action="Microsoft.Features/providers/features/register/action")
    async def register(self, request: web.Request, caller: Caller, *, subscription: str, namespace: str,
                       feature: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        key = f"{namespace}/{feature}".lower()
        found = self._states(sub).get(key)
        if found is None:
            raise ArmFailure(404, "FeatureNotFound",
                             f"The feature '{feature}' could not be found in namespace '{namespace}'.")
        sub.features[key] = (found[0], "Registered")
        self.changed()
        return self.answer(self._body(sub, found[0], "Registered"))
