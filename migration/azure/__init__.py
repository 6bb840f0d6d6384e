"""The Azure seam: the gateway to Azure Resource Manager (and Entra's OpenID metadata), bound to one tenant
by `for_tenant` and grouped by family (one module each), the credentials it asks for tokens, how Azure's
errors become the domain's (and read in plain words), the pacing of calls by Azure's throttle headers, and
what the bot's identity may do (permissions).

Imports `migration.model` only. The domain depends on the Protocols in `ports`, not on the gateway.
"""
