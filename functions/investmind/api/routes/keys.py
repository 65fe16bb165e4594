"""``/v1/keys``: create, list and revoke API keys (a caller its own; an admin anyone's)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ..deps import BackendDep, IdentityDep, SettingsDep
from ..errors import ERROR_RESPONSES, described

router = APIRouter(prefix="/v1/keys", tags=["keys"], responses=ERROR_RESPONSES)


class KeyRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[\x20-\x7e]*[\x21-\x7e][\x20-\x7e]*$")
    """Printable ASCII, not only blanks."""
    owner: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
    """Whose key it is: the caller by default; another owner's, or an admin key, needs an admin."""
    role: Literal["user", "admin"] = "user"


class KeyInfo(BaseModel):
    key_id: str
    owner: str
    name: str
    role: Literal["user", "admin"]
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class CreatedKey(KeyInfo):
    key: str
    """The key itself, shown this once: only its digest is kept."""


class KeyList(BaseModel):
    items: list[KeyInfo]


@router.post(
    "", status_code=201, responses={403: described("Another owner's key, or an admin key, without being admin")}
)
async def create_key(body: KeyRequest, caller: IdentityDep, backend: BackendDep, settings: SettingsDep) -> CreatedKey:
    issued = await backend.api_keys(settings).create(caller, body.owner or caller.owner, body.name, body.role)
    return CreatedKey(**issued.record.public(), key=issued.key)


@router.get("", responses={403: described("Another owner's keys without being admin")})
async def list_keys(
    caller: IdentityDep,
    backend: BackendDep,
    settings: SettingsDep,
    owner: Annotated[
        str | None, Query(max_length=200, description="an admin: this owner's keys (default: all)")
    ] = None,
) -> KeyList:
    records = await backend.api_keys(settings).list(caller, owner)
    return KeyList(items=[KeyInfo(**record.public()) for record in records])


@router.delete("/{key_id}")
async def revoke_key(key_id: str, caller: IdentityDep, backend: BackendDep, settings: SettingsDep) -> KeyInfo:
    """Revoke at once (idempotent); another owner's key is not found."""
    return KeyInfo(**(await backend.api_keys(settings).revoke(caller, key_id)).public())
