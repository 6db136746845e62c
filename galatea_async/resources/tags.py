"""``client.tags``: execution tags."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from galatea_async._converter import structure
from galatea_async._models import Tag
from galatea_async._validation import check_id, check_tag_name
from galatea_async.resources._base import Resource

__all__ = ["TagsResource"]


class TagsResource(Resource):
    """Create, find, rename and delete tags."""

    def list(
        self, *, name: str | None = None, limit: int | None = None, page_size: int | None = None
    ) -> AsyncIterator[Tag]:
        """Iterate over the organization's tags, optionally filtered by ``name``."""
        params = {"name": name}
        return self._listing("exec/tags", Tag, params, limit=limit, page_size=page_size)

    async def get(self, tag_id: str | uuid.UUID) -> Tag:
        """The tag with this id; ``NotFoundError`` if there is none."""
        data = await self._requester.request(
            "GET", "exec/tags/{tag_id}", path_params={"tag_id": check_id(tag_id, "tag_id")}
        )
        return structure(data, Tag)

    async def create(self, name: str) -> Tag:
        """Create a tag."""
        data = await self._requester.request(
            "POST", "exec/tags", json={"name": check_tag_name(name)}, idempotent=False
        )
        return structure(data, Tag)

    async def rename(self, tag_id: str | uuid.UUID, name: str) -> Tag:
        """Give a tag a new name; returns the tag."""
        data = await self._requester.request(
            "PUT",
            "exec/tags/{tag_id}",
            path_params={"tag_id": check_id(tag_id, "tag_id")},
            json={"name": check_tag_name(name)},
        )
        return structure(data, Tag)

    async def delete(self, tag_id: str | uuid.UUID) -> None:
        """Delete a tag."""
        await self._requester.request(
            "DELETE", "exec/tags/{tag_id}", path_params={"tag_id": check_id(tag_id, "tag_id")}
        )
