"""The signed-in account in the API: `GET /api/v1/me` (the outbox sends only its own user's items)."""
from typing import Any


def me_json(user) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role}
