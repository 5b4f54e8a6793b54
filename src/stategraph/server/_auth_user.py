"""The authenticated user: what ``@auth.authenticate`` returned, in one shape.

An authenticate handler may return a string identity, a dict with
``identity`` (plus ``permissions``, ``display_name`` and any fields of its
own), an object with an ``identity`` attribute, or a ``(permissions, user)``
pair. ``normalize`` turns each into an ``AuthUser``: a JSON dict that also
answers ``user.identity`` and the other ``BaseUser`` attributes, so handlers,
graphs (``config["configurable"]["langgraph_auth_user"]``) and run records see
the same thing. Nothing here runs a handler.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class AuthUser(dict[str, Any]):
    """A user as a dict with attribute access (``user.identity``, ``user["identity"]``).

    The keys are ``identity``, ``display_name``, ``is_authenticated``,
    ``permissions`` and whatever else the authenticate handler returned.
    When the handler returned an object, its other attributes stay reachable
    as attributes.
    """

    __slots__ = ("_source",)

    def __init__(self, data: Mapping[str, Any], source: Any = None) -> None:
        super().__init__(data)
        self._source = source

    @property
    def identity(self) -> str:
        """The user's unique id."""
        return str(self["identity"])

    @property
    def display_name(self) -> str:
        """A name to show (the identity unless the handler gave one)."""
        return str(self.get("display_name") or self.identity)

    @property
    def is_authenticated(self) -> bool:
        """Whether the user is authenticated (``True`` unless the handler said not)."""
        return bool(self.get("is_authenticated", True))

    @property
    def permissions(self) -> list[str]:
        """The permissions the authenticate handler granted."""
        return list(self.get("permissions") or [])

    def dict(self) -> dict[str, Any]:
        """The user as a plain dict (LangGraph's proxy user has this method)."""
        return {**self}

    def __getattr__(self, name: str) -> Any:
        source = object.__getattribute__(self, "_source")
        if source is not None:
            return getattr(source, name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"the user has no attribute {name!r}") from None

    def __reduce__(self) -> Any:
        return (AuthUser, (dict(self),))


def _fields(user: Any) -> dict[str, Any]:
    """The extra fields an object user carries (``dict()`` or ``model_dump()``)."""
    for method in ("model_dump", "dict"):
        dump = getattr(user, method, None)
        if callable(dump):
            fields = dump()
            if isinstance(fields, Mapping):
                return dict(fields)
    return {}


def _user(user: Any, permissions: Sequence[str]) -> AuthUser:
    if isinstance(user, str):
        return AuthUser(_base(user, None, True, permissions))
    if isinstance(user, Mapping):
        if not isinstance(user.get("identity"), str):
            raise TypeError(
                f"the user dict needs a string 'identity', got {dict(user)!r}"
            )
        base = _base(
            user["identity"],
            user.get("display_name"),
            user.get("is_authenticated", True),
            permissions,
        )
        return AuthUser({**user, **base})
    identity = getattr(user, "identity", None)
    if not isinstance(identity, str):
        raise TypeError(
            "an authenticate handler must return a string identity, a dict with"
            " 'identity', or an object with an 'identity' attribute;"
            f" got {user!r}"
        )
    base = _base(
        identity,
        getattr(user, "display_name", None),
        getattr(user, "is_authenticated", True),
        permissions,
    )
    return AuthUser({**_fields(user), **base}, source=user)


def _base(
    identity: str, display_name: Any, authenticated: Any, permissions: Sequence[str]
) -> dict[str, Any]:
    return {
        "identity": identity,
        "display_name": display_name if isinstance(display_name, str) else identity,
        "is_authenticated": bool(authenticated),
        "permissions": list(permissions),
    }


def normalize(response: Any) -> tuple[list[str], AuthUser]:
    """The permissions and user an authenticate handler's return value names.

    Raises:
        TypeError: For a return value that names no user identity.
    """
    if isinstance(response, tuple):
        if len(response) != 2:
            raise TypeError(
                "an authenticate handler returning a tuple must return"
                f" (permissions, user), got {response!r}"
            )
        permissions, user = response
    elif isinstance(response, Mapping):
        permissions, user = response.get("permissions") or [], response
    else:
        permissions, user = getattr(response, "permissions", None) or [], response
    if isinstance(permissions, str) or not isinstance(permissions, Sequence):
        raise TypeError(f"permissions must be a list of strings, got {permissions!r}")
    granted = [str(p) for p in permissions]
    return granted, _user(user, granted)


def from_config(value: Any) -> Any:
    """A stored ``langgraph_auth_user`` (a JSON dict) as an ``AuthUser`` again."""
    stored = isinstance(value, Mapping) and not isinstance(value, AuthUser)
    if stored and isinstance(value.get("identity"), str):
        return AuthUser(value)
    return value
