"""Per-request data loaders of the audit trail."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from models.users import User as UserRow
from schema.context import GraphQLContext


class UsersByIdLoader(DataLoader[int, UserRow | None]):
    """Users by id, batched: the actors of a page of audit events are one query."""

    def __init__(self) -> None:
        super().__init__(load_fn=_load_users)


async def _load_users(ids: list[int]) -> Sequence[UserRow | None]:
    rows = {row.id: row for row in await UserRow.filter(id__in=ids)}
    return [rows.get(user_id) for user_id in ids]


def users_by_id(context: GraphQLContext) -> UsersByIdLoader:
    """This request's ``UsersByIdLoader``, made on first use."""
    return context.request_scoped(UsersByIdLoader, UsersByIdLoader)
