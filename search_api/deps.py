"""What every route needs, as ``Annotated`` dependencies: the services and the caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from vidlib.pipelines.context import RunContext
from vidlib.search_api.catalog import Catalog
from vidlib.search_api.errors import AuthError, ForbiddenError
from vidlib.search_api.links import LinkSigner
from vidlib.search_api.moderation import Moderation
from vidlib.search_api.tokens import ApiRole, Principal, TokenBook


@dataclass
class Services:
    ctx: RunContext
    catalog: Catalog
    moderation: Moderation
    tokens: TokenBook
    signer: LinkSigner


# The dependencies are ``async``: FastAPI runs each plain ``def`` dependency on a worker thread, a hop per
# dependency and request for a lookup in memory (the token file is read again only when it changed).
async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]
bearer_scheme = HTTPBearer(auto_error=False)


async def current_principal(
    services: ServicesDep, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
) -> Principal:
    return principal_of(services, creds)


def principal_of(services: Services, creds: HTTPAuthorizationCredentials | None) -> Principal:
    """The caller a bearer token names."""
    if creds is None:
        raise AuthError("this endpoint needs a token: send 'Authorization: Bearer <token>' (ask the operator for one)")
    who = services.tokens.lookup(creds.credentials)
    if who is None:
        raise AuthError("unknown or revoked token; ask the operator for a valid one")
    return who


def _require(role: ApiRole):  # noqa: ANN202 - a dependency factory
    async def check(who: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not who.at_least(role):
            raise ForbiddenError(
                f"this endpoint is for the {role} role or above; your token is a {who.role} token",
                required_role=role,
                your_role=who.role,
            )
        return who

    return check


CurrentUser = Annotated[Principal, Depends(_require("student"))]
ModeratorUser = Annotated[Principal, Depends(_require("moderator"))]
AdminUser = Annotated[Principal, Depends(_require("admin"))]
