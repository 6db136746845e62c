"""The client's resource namespaces: ``client.auth``, ``client.files``, ``client.orders``..."""

from galatea_async.resources.auth import AuthResource
from galatea_async.resources.files import FilesResource
from galatea_async.resources.orders import OrdersResource
from galatea_async.resources.results import ResultsResource
from galatea_async.resources.tags import TagsResource
from galatea_async.resources.users import OrganizationsResource, UsersResource

__all__ = [
    "AuthResource",
    "FilesResource",
    "OrdersResource",
    "OrganizationsResource",
    "ResultsResource",
    "TagsResource",
    "UsersResource",
]
