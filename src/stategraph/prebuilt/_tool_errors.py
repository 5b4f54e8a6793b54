"""Tool errors: the messages a model reads back, and which errors get handled.

``ToolNode(handle_tool_errors=...)`` decides which exceptions become an error
``ToolMessage``; the texts are LangGraph's, word for word, because models and
tests read them.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from types import UnionType
from typing import (
    TYPE_CHECKING,
    Any,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)

from langchain_core.tools import ToolException
from langchain_core.tools.base import TOOL_MESSAGE_BLOCK_TYPES
from pydantic import ValidationError

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

    from stategraph.prebuilt._injection import _InjectedArgs

INVALID_TOOL_NAME_ERROR_TEMPLATE = (
    "Error: {requested_tool} is not a valid tool, try one of [{available_tools}]."
)
TOOL_CALL_ERROR_TEMPLATE = "Error: {error}\n Please fix your mistakes."
TOOL_EXECUTION_ERROR_TEMPLATE = (
    "Error executing tool '{tool_name}' with kwargs {tool_kwargs} with error:\n"
    " {error}\n"
    " Please fix the error and try again."
)
TOOL_INVOCATION_ERROR_TEMPLATE = (
    "Error invoking tool '{tool_name}' with kwargs {tool_kwargs} with error:\n"
    " {error}\n"
    " Please fix the error and try again."
)

ErrorHandling = (
    bool | str | Callable[..., str] | type[Exception] | tuple[type[Exception], ...]
)


def msg_content_output(output: Any) -> str | list[dict[str, Any]]:
    """Turn a tool's output into ``ToolMessage`` content.

    Strings and lists of content blocks pass through; anything else becomes JSON,
    or its ``str()`` when it is not JSON-serialisable.

    Args:
        output: What the tool returned.

    Returns:
        Content for a ``ToolMessage``.
    """
    if isinstance(output, str) or (
        isinstance(output, list)
        and all(
            isinstance(x, dict) and x.get("type") in TOOL_MESSAGE_BLOCK_TYPES
            for x in output
        )
    ):
        return output
    try:
        return json.dumps(output, ensure_ascii=False)
    except (TypeError, ValueError):
        # json.dumps raises these for unserialisable values and circular data.
        return str(output)


class ToolInvocationError(ToolException):
    """Raised by ``ToolNode`` when the model's arguments fail the tool's schema.

    Args:
        tool_name: The tool that was called.
        source: The validation error.
        tool_kwargs: The arguments the model gave.
        filtered_errors: The validation errors about model-controlled arguments
            (injected ones left out); the message lists these when given.
    """

    def __init__(
        self,
        tool_name: str,
        source: ValidationError,
        tool_kwargs: dict[str, Any],
        filtered_errors: list[ErrorDetails] | None = None,
    ) -> None:
        if filtered_errors is not None:
            shown = "\n".join(
                f"{'.'.join(str(p) for p in e.get('loc', ()))}: "
                f"{e.get('msg', 'Unknown error')}"
                for e in filtered_errors
            )
        else:
            shown = str(source)
        self.message = TOOL_INVOCATION_ERROR_TEMPLATE.format(
            tool_name=tool_name, tool_kwargs=tool_kwargs, error=shown
        )
        self.tool_name = tool_name
        self.tool_kwargs = tool_kwargs
        self.source = source
        self.filtered_errors = filtered_errors
        super().__init__(self.message)


def _default_handle_tool_errors(e: Exception) -> str:
    """Handle bad-argument errors (the model can fix those); re-raise the rest."""
    if isinstance(e, ToolInvocationError):
        return e.message
    raise e


def error_content(e: Exception, *, flag: ErrorHandling) -> str:
    """The error ``ToolMessage`` content ``flag`` gives for ``e``."""
    if isinstance(flag, (bool, tuple)) or (
        isinstance(flag, type) and issubclass(flag, Exception)
    ):
        return TOOL_CALL_ERROR_TEMPLATE.format(error=repr(e))
    if isinstance(flag, str):
        return flag
    if callable(flag):
        return cast("Callable[[Exception], str]", flag)(e)
    raise ValueError(
        "Got unexpected type of `handle_tool_error`. Expected bool, str "
        f"or callable. Received: {flag}"
    )


def _infer_handled_types(handler: Callable[..., str]) -> tuple[type[Exception], ...]:
    """The exception types a handler's first parameter is annotated with."""
    params = list(inspect.signature(handler).parameters.values())
    if not params:
        return (Exception,)
    first = (
        params[1]
        if params[0].name in ("self", "cls") and len(params) == 2
        else params[0]
    )
    hints = get_type_hints(handler)
    if first.name not in hints:
        return (Exception,)
    if get_origin(first.annotation) in (Union, UnionType):
        args = get_args(first.annotation)
        if all(issubclass(arg, Exception) for arg in args):
            return tuple(args)
        raise ValueError(
            "All types in the error handler error annotation must be "
            "Exception types. For example, "
            "`def custom_handler(e: Union[ValueError, TypeError])`. "
            f"Got '{first.annotation}' instead."
        )
    hinted = hints[first.name]
    if Exception in hinted.__mro__:
        return (hinted,)
    raise ValueError(
        "Arbitrary types are not supported in the error handler "
        "signature. Please annotate the error with either a "
        "specific Exception type or a union of Exception types. "
        "For example, `def custom_handler(e: ValueError)` or "
        "`def custom_handler(e: Union[ValueError, TypeError])`. "
        f"Got '{hinted}' instead."
    )


def handled_types(flag: ErrorHandling) -> tuple[type[Exception], ...]:
    """The exception types ``handle_tool_errors=flag`` turns into messages."""
    if isinstance(flag, type) and issubclass(flag, Exception):
        return (flag,)
    if isinstance(flag, tuple):
        return flag
    if callable(flag) and not isinstance(flag, type):
        return _infer_handled_types(flag)
    return (Exception,)


def filter_validation_errors(
    error: ValidationError, injected: _InjectedArgs | None
) -> list[ErrorDetails]:
    """The validation errors about arguments the model controls.

    Injected arguments are left out of both the error list and each error's
    ``input``, so the model only reads about what it can fix.
    """
    hidden: set[str] = set()
    if injected:
        hidden.update(injected.state)
        hidden.update(n for n in (injected.store, injected.runtime) if n)
    kept: list[ErrorDetails] = []
    for detail in error.errors():
        if not detail["loc"] or detail["loc"][0] in hidden:
            continue
        copied: Any = {**detail}
        if isinstance(copied.get("input"), dict):
            copied["input"] = {
                k: v for k, v in copied["input"].items() if k not in hidden
            }
        kept.append(copied)
    return kept
