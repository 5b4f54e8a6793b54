"""The payloads of human-in-the-loop interrupts (deprecated, as in LangGraph).

Plain ``TypedDict``s an agent passes to ``interrupt()`` and gets back on resume.
"""

from __future__ import annotations

from typing import Literal

from typing_extensions import TypedDict, deprecated

from stategraph.warnings import LangGraphDeprecatedSinceV10


@deprecated(
    "HumanInterruptConfig has been moved to `langchain.agents.interrupt`. Please "
    "update your import to `from langchain.agents.interrupt import "
    "HumanInterruptConfig`.",
    category=LangGraphDeprecatedSinceV10,
)
class HumanInterruptConfig(TypedDict):
    """Which answers a human may give to an interrupt.

    Attributes:
        allow_ignore: The human may skip the step.
        allow_respond: The human may answer with text.
        allow_edit: The human may edit the request.
        allow_accept: The human may accept it as is.
    """

    allow_ignore: bool
    allow_respond: bool
    allow_edit: bool
    allow_accept: bool


@deprecated(
    "ActionRequest has been moved to `langchain.agents.interrupt`. Please update "
    "your import to `from langchain.agents.interrupt import ActionRequest`.",
    category=LangGraphDeprecatedSinceV10,
)
class ActionRequest(TypedDict):
    """An action put to a human: its name and arguments.

    Attributes:
        action: What is requested (e.g. a tool name).
        args: The action's arguments.
    """

    action: str
    args: dict  # type: ignore[type-arg]  # any JSON object, as in LangGraph


@deprecated(
    "HumanInterrupt has been moved to `langchain.agents.interrupt`. Please update "
    "your import to `from langchain.agents.interrupt import HumanInterrupt`.",
    category=LangGraphDeprecatedSinceV10,
)
class HumanInterrupt(TypedDict):
    """The value given to ``interrupt()`` to ask a human about an action.

    Attributes:
        action_request: The action to review.
        config: The answers allowed.
        description: Optional text shown to the human.
    """

    action_request: ActionRequest
    config: HumanInterruptConfig
    description: str | None


class HumanResponse(TypedDict):
    """A human's answer to a ``HumanInterrupt``, given back on resume.

    Attributes:
        type: ``"accept"``, ``"ignore"``, ``"response"`` or ``"edit"``.
        args: ``None`` (accept, ignore), text (response) or the edited
            ``ActionRequest`` (edit).
    """

    type: Literal["accept", "ignore", "response", "edit"]
    args: str | ActionRequest | None
