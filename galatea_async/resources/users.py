"""``client.users`` and ``client.organizations``: who is calling, and what they may order."""

from __future__ import annotations

import uuid

from galatea_async._converter import structure
from galatea_async._models import OrganizationModel, User
from galatea_async._validation import check_id
from galatea_async.resources._base import Resource, bool_param

__all__ = ["OrganizationsResource", "UsersResource"]


class UsersResource(Resource):
    """The caller's profile."""

    async def me(self) -> User:
        """The caller, with ``.org`` (available models, webhook secret, report flags)."""
        data = await self._requester.request("GET", "users/me")
        user = structure(data, User)
        if user.org is not None:
            # From now on, the webhook secret is hidden wherever a server echoes it.
            self._context.credentials.remember_secret(user.org.webhooks_secret)
        return user


class OrganizationsResource(Resource):
    """The caller's organization."""

    async def models(
        self, org_id: str | uuid.UUID | None = None, *, hide_deprecated: bool = True
    ) -> list[OrganizationModel]:
        """The models the organization may order; ``org_id`` defaults to the caller's."""
        if org_id is None:
            me = await UsersResource(self._context).me()
            if me.org is None:
                raise ValueError("users/me names no organization: pass org_id explicitly")
            org = me.org.id
        else:
            org = check_id(org_id, "org_id")
        data = await self._requester.request(
            "GET",
            "organizations/{org_id}/models",
            path_params={"org_id": org},
            params={"hide_deprecated": bool_param(hide_deprecated)},
        )
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            data = data["results"]
        return structure(data or [], list[OrganizationModel])
