"""``create_react_agent``: a model that calls tools in a loop, as a compiled graph.

Checks the arguments, resolves the model and tools, and wires the nodes of
``ReactAgent`` into a ``StateGraph`` of LangGraph's exact shape (node names,
edges, routers), since users stream, interrupt and inspect those by name.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal, cast, get_type_hints

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AnyMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import BaseModel, create_model
from typing_extensions import deprecated

from stategraph.constants import END
from stategraph.graph import StateGraph
from stategraph.graph.state import CompiledStateGraph
from stategraph.prebuilt._agent_model import should_bind_tools
from stategraph.prebuilt._agent_state import (
    AgentState,
    AgentStateWithStructuredResponse,
    Prompt,
    StructuredResponseSchema,
)
from stategraph.prebuilt._react_agent import ReactAgent
from stategraph.prebuilt._runnable import RunnableCallable
from stategraph.prebuilt._tool_node import ToolNode
from stategraph.warnings import LangGraphDeprecatedSinceV10

_MISSING: Any = object()


@deprecated(
    "create_react_agent has been moved to `langchain.agents`. Please update your "
    "import to `from langchain.agents import create_agent`.",
    category=LangGraphDeprecatedSinceV10,
)
def create_react_agent(
    model: Any,
    tools: Sequence[BaseTool | Any | dict[str, Any]] | ToolNode,
    *,
    prompt: Prompt | None = None,
    response_format: StructuredResponseSchema
    | tuple[str, StructuredResponseSchema]
    | None = None,
    pre_model_hook: Any = None,
    post_model_hook: Any = None,
    state_schema: Any = None,
    context_schema: type[Any] | None = None,
    checkpointer: Any = None,
    store: Any = None,
    interrupt_before: list[str] | None = None,
    interrupt_after: list[str] | None = None,
    debug: bool = False,
    version: Literal["v1", "v2"] = "v2",
    name: str | None = None,
    **deprecated_kwargs: Any,
) -> CompiledStateGraph:
    """Build an agent graph that calls a model and its tools until it is done.

    Deprecated in LangGraph 1.0 (it warns with ``LangGraphDeprecatedSinceV10``);
    kept so ported code runs unchanged.

    Args:
        model: A chat model (tools get bound), a model with tools already bound,
            a ``"provider:model"`` string (needs ``langchain``), or a callable
            ``(state, runtime) -> model`` (sync or async) picked per call.
        tools: Tools, functions, provider tool dicts, or a ``ToolNode``.
        prompt: A system prompt string, a ``SystemMessage``, or a callable or
            runnable mapping the state to the model input.
        response_format: Schema of a final structured response (or
            ``(system prompt, schema)``), stored under ``structured_response``.
        pre_model_hook: A node run before each model call; it may return
            ``llm_input_messages`` to change what the model reads.
        post_model_hook: A node run after each model call.
        state_schema: Custom state; needs ``messages`` and ``remaining_steps``
            (and ``structured_response`` with ``response_format``).
        context_schema: Schema of the run context.
        checkpointer: Checkpointer of the compiled graph.
        store: Store of the compiled graph.
        interrupt_before: Nodes to interrupt before.
        interrupt_after: Nodes to interrupt after.
        debug: Debug mode of the compiled graph.
        version: ``"v1"`` runs all tool calls in one task; ``"v2"`` sends one
            task per call.
        name: Name of the graph and of the agent's messages.
        **deprecated_kwargs: ``config_schema``, the old name of
            ``context_schema``.

    Returns:
        The compiled agent graph.

    Raises:
        TypeError: On unknown keyword arguments.
        ValueError: On an unknown version or a state schema missing keys.
    """
    context_schema = _pop_config_schema(deprecated_kwargs, context_schema)
    if version not in ("v1", "v2"):
        raise ValueError(
            f"Invalid version {version}. Supported versions are 'v1' and 'v2'."
        )
    state_schema = _state_schema(state_schema, response_format)
    tool_node, builtin = _tool_node(tools)
    model = _static_model(model, tool_node, builtin)
    agent = ReactAgent(
        model,
        tool_node,
        prompt=prompt,
        response_format=response_format,
        pre_model_hook=pre_model_hook is not None,
        post_model_hook=post_model_hook is not None,
        state_schema=state_schema,
        version=version,
        name=name,
    )
    workflow: StateGraph[Any] = StateGraph(
        state_schema=state_schema, context_schema=context_schema
    )
    _add_model_nodes(workflow, agent, pre_model_hook, post_model_hook)
    if tool_node.tools_by_name:
        _add_tool_loop(workflow, agent)
    else:
        _add_linear_edges(workflow, agent)
    return workflow.compile(
        checkpointer=checkpointer,
        store=store,
        interrupt_before=interrupt_before,
        interrupt_after=interrupt_after,
        debug=debug,
        name=name,
    )


create_tool_calling_executor = create_react_agent


def _pop_config_schema(kwargs: dict[str, Any], context_schema: Any) -> Any:
    config_schema = kwargs.pop("config_schema", _MISSING)
    if config_schema is not _MISSING:
        warnings.warn(
            "`config_schema` is deprecated and will be removed. Please use "
            "`context_schema` instead.",
            category=LangGraphDeprecatedSinceV10,
            stacklevel=4,
        )
        if context_schema is None:
            context_schema = config_schema
    if kwargs:
        raise TypeError(
            f"create_react_agent() got unexpected keyword arguments: {kwargs}"
        )
    return context_schema


def _state_schema(state_schema: Any, response_format: Any) -> Any:
    if state_schema is None:
        return (
            AgentStateWithStructuredResponse
            if response_format is not None
            else AgentState
        )
    required = {"messages", "remaining_steps"}
    if response_format is not None:
        required.add("structured_response")
    if missing := required - set(get_type_hints(state_schema)):
        raise ValueError(f"Missing required key(s) {missing} in state_schema")
    return state_schema


def _tool_node(tools: Any) -> tuple[ToolNode, list[dict[str, Any]]]:
    """The tools node, and the provider tool dicts to bind without running them."""
    if isinstance(tools, ToolNode):
        return tools, []
    builtin = [t for t in tools if isinstance(t, dict)]
    return ToolNode([t for t in tools if not isinstance(t, dict)]), builtin


def _static_model(model: Any, tool_node: ToolNode, builtin: list[Any]) -> Any:
    """Resolve a model string and bind the tools, unless the model is dynamic."""
    if (
        not isinstance(model, str)
        and callable(model)
        and not isinstance(model, Runnable)
    ):
        return model
    if isinstance(model, str):
        try:
            from langchain.chat_models import (  # type: ignore[import-not-found]  # optional
                init_chat_model,
            )
        except ImportError:
            raise ImportError(
                "Please install langchain (`pip install langchain`) to "
                "use '<provider>:<model>' string syntax for `model` parameter."
            ) from None
        model = init_chat_model(model)
    tools: list[Any] = list(tool_node.tools_by_name.values())
    if should_bind_tools(model, tools, num_builtin=len(builtin)) and tools + builtin:
        model = cast(BaseChatModel, model).bind_tools(tools + builtin)
    return model


def _model_input_schema(agent: ReactAgent, with_pre_hook: bool) -> Any:
    """The agent node's input: the state plus ``llm_input_messages`` with a pre hook."""
    schema = agent.state_schema
    if not with_pre_hook:
        return schema
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return create_model(
            "CallModelInputSchema",
            llm_input_messages=(list[AnyMessage], ...),
            __base__=schema,
        )

    class CallModelInputSchema(schema):  # type: ignore[misc,valid-type]  # TypedDict
        llm_input_messages: list[AnyMessage]

    return CallModelInputSchema


def _add_model_nodes(
    workflow: StateGraph[Any], agent: ReactAgent, pre_hook: Any, post_hook: Any
) -> None:
    workflow.add_node(
        "agent",
        RunnableCallable(agent.call_model, agent.acall_model),
        input_schema=_model_input_schema(agent, pre_hook is not None),
    )
    if agent.tool_node.tools_by_name:
        workflow.add_node("tools", agent.tool_node)
    if pre_hook is not None:
        workflow.add_node("pre_model_hook", pre_hook)
        workflow.add_edge("pre_model_hook", "agent")
    workflow.set_entry_point(agent.entrypoint)
    if post_hook is not None:
        workflow.add_node("post_model_hook", post_hook)
    if agent.response_format is not None:
        workflow.add_node(
            "generate_structured_response",
            RunnableCallable(
                agent.generate_structured_response,
                agent.agenerate_structured_response,
            ),
        )


def _add_linear_edges(workflow: StateGraph[Any], agent: ReactAgent) -> None:
    """Without tools: model, then the post hook, then the structured response."""
    last = "agent"
    if agent.has_post_hook:
        workflow.add_edge("agent", "post_model_hook")
        last = "post_model_hook"
    if agent.response_format is not None:
        workflow.add_edge(last, "generate_structured_response")


def _add_tool_loop(workflow: StateGraph[Any], agent: ReactAgent) -> None:
    """With tools: route the model's answer, loop back after the tools."""
    done = "generate_structured_response" if agent.response_format else END
    agent_paths = ["post_model_hook" if agent.has_post_hook else "tools"]
    if agent.has_post_hook:
        workflow.add_edge("agent", "post_model_hook")
        workflow.add_conditional_edges(
            "post_model_hook",
            agent.post_model_hook_router,
            path_map=[agent.entrypoint, "tools", done],
        )
    else:
        agent_paths.append(done)
    workflow.add_conditional_edges("agent", agent.should_continue, path_map=agent_paths)
    if agent.return_direct:
        workflow.add_conditional_edges(
            "tools", agent.route_tool_responses, path_map=[agent.entrypoint, END]
        )
    else:
        workflow.add_edge("tools", agent.entrypoint)
