"""Bearer-token access to the query APIs: roles ops, unit and dost (docs/contract.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from fastapi import HTTPException, Request

from dunghan_common.settings import ApiToken, AuthSettings, Role

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def bearer(request: Request) -> str:
    """Return the bearer token of a request, or answer 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "missing bearer token", headers=_CHALLENGE)
    return token.strip()


def token_dependency(
    settings: AuthSettings, roles: Iterable[Role] = tuple(Role)
) -> Callable[[Request], ApiToken]:
    """Build a FastAPI dependency that admits the given roles and returns the caller's token."""
    allowed = frozenset(roles)

    def require(request: Request) -> ApiToken:
        token = settings.find(bearer(request))
        if token is None:
            raise HTTPException(401, "unknown bearer token", headers=_CHALLENGE)
        if token.role not in allowed:
            raise HTTPException(403, f"role {token.role.value!r} may not use this endpoint")
        return token

    return require


def unit_scope(token: ApiToken, requested_unit: str | None) -> str | None:
    """The unit a query is limited to: a unit token sees its own unit only (403 otherwise)."""
    if token.role is not Role.UNIT:
        return requested_unit
    if requested_unit is not None and requested_unit != token.unit_code:
        raise HTTPException(403, "a unit token sees only its own unit")
    return token.unit_code
