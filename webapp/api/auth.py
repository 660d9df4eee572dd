"""Bearer-token authentication for the JSON API. Only `Authorization: Bearer <token>` authenticates here: a
browser's session cookie never does, which is why the API may be exempt from CSRF."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, jsonify, request
from werkzeug.wrappers import Response

from engine.errors import NotAllowed
from engine.people.policy import Ability
from engine.people.tokens import user_for_token
from engine.people.users import Actor
from webapp.context import engine

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})
CHALLENGE = 'Bearer realm="sopflow"'


def _unauthorized(message: str, code: str) -> tuple[Response, int, dict[str, str]]:
    headers = {"WWW-Authenticate": f'{CHALLENGE}, error="{code}"' if code != "missing" else CHALLENGE}
    return jsonify({"error": message}), 401, headers


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None when there is none."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate() -> tuple[Response, int, dict[str, str]] | None:
    """Run before every API view: set the caller from the bearer token, or answer 401."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = bearer_token()
    if token is None:
        return _unauthorized("authentication required: send the header 'Authorization: Bearer <token>' "
                             "(a token is made with `sopflow token create USER`)", "missing")
    try:
        g.api_user = user_for_token(engine(), token)
    except NotAllowed as error:
        return _unauthorized(str(error), "invalid_token")
    return None


def api_user() -> Actor:
    """The caller of this API request: its username, roles and office."""
    user: Actor = g.api_user
    return user


def api_requires(ability: Ability) -> Callable[[F], F]:
    """The policy's leave for `ability`, otherwise 403 (as JSON, through webapp.errors)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            engine().policy.require(api_user(), ability)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate
