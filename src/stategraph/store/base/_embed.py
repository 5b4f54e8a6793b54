"""Embedding adapters and the JSON-path text extraction used for indexing.

Owns ``ensure_embeddings`` (any supported ``embed`` setting to one object with
``embed_documents``/``embed_query`` and their async twins), ``tokenize_path``
and ``get_text_at_path``. langchain is imported only for a provider string.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

if TYPE_CHECKING:
    from stategraph.store.base._records import PutOp

EmbeddingsFunc = Callable[[Sequence[str]], list[list[float]]]
"""A function embedding a batch of texts."""

AEmbeddingsFunc = Callable[[Sequence[str]], Awaitable[list[list[float]]]]
"""An async function embedding a batch of texts."""


@runtime_checkable
class EmbeddingsLike(Protocol):
    """What the stores need of an embeddings object (langchain's ``Embeddings``)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed a batch of texts."""

    def embed_query(self, text: str) -> list[float]:
        """Embed one query text."""

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed a batch of texts (async)."""

    async def aembed_query(self, text: str) -> list[float]:
        """Embed one query text (async)."""


class EmbeddingsLambda:
    """Embeddings backed by one sync or async function of a batch of texts.

    Args:
        func: ``texts -> vectors``, plain or ``async``.

    Raises:
        ValueError: If ``func`` is ``None``.
    """

    def __init__(self, func: EmbeddingsFunc | AEmbeddingsFunc) -> None:
        if func is None:
            raise ValueError("func must be provided")
        import inspect  # heavy to import; only needed for embedding functions

        is_async = inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
            getattr(func, "__call__", None)  # noqa: B004 - callable objects too
        )
        self.func: EmbeddingsFunc | None = None if is_async else func  # type: ignore[assignment]
        self.afunc = cast("AEmbeddingsFunc", func) if is_async else None

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed ``texts`` with the sync function.

        Raises:
            ValueError: If only an async function was given.
        """
        if self.func is None:
            raise ValueError(
                "EmbeddingsLambda was given an async function only: use "
                "aembed_documents/aembed_query, or pass a sync function."
            )
        return self.func(texts)

    def embed_query(self, text: str) -> list[float]:
        """Embed one query text with the sync function."""
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed ``texts``; a sync function runs in the default executor."""
        if self.afunc is not None:
            return await self.afunc(texts)
        import asyncio  # imported by whoever runs this coroutine already

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        """Embed one query text."""
        return (await self.aembed_documents([text]))[0]


def ensure_embeddings(embed: Any) -> Any:
    """Return an embeddings object for an ``IndexConfig["embed"]`` setting.

    Args:
        embed: A langchain ``Embeddings`` (or any object with its four
            methods), a sync or async function of a list of texts, or a
            ``"provider:model"`` string.

    Returns:
        An object with ``embed_documents``, ``embed_query`` and async twins.

    Raises:
        ValueError: If ``embed`` is ``None``, or is a string and
            ``langchain.embeddings.init_embeddings`` cannot be imported.
    """
    if embed is None:
        raise ValueError("embed must be provided")
    if isinstance(embed, str):
        try:
            from langchain.embeddings import init_embeddings  # type: ignore[import-not-found,unused-ignore]
        except ImportError as exc:
            raise ValueError(
                f"Could not load embeddings from string {embed!r}: this needs "
                "langchain>=0.3.9 and the provider's package (pip install "
                "'langchain>=0.3.9' langchain-openai, for example); or pass an "
                "Embeddings object or a function instead."
            ) from exc
        return init_embeddings(embed)
    if isinstance(embed, EmbeddingsLike):
        return embed
    return EmbeddingsLambda(embed)


def tokenize_path(path: str) -> list[str]:
    """Split a JSON path into tokens: names, ``[i]``/``[*]`` and ``{a,b}`` groups.

    Example:
        >>> tokenize_path("a.b[0].{c,d}")
        ['a', 'b', '[0]', '{c,d}']
    """
    tokens: list[str] = []
    current: list[str] = []
    i, n = 0, len(path)
    while i < n:
        char = path[i]
        if char in "[{":
            if current:
                tokens.append("".join(current))
                current = []
            end = _matching(path, i)
            tokens.append(path[i:end])
            i = end
            continue
        if char == ".":
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
        i += 1
    if current:
        tokens.append("".join(current))
    return tokens


def _matching(path: str, start: int) -> int:
    """Index just past the bracket closing the one at ``start`` (or the end)."""
    opening = path[start]
    closing = "]" if opening == "[" else "}"
    depth, i = 0, start
    while i < len(path):
        if path[i] == opening:
            depth += 1
        elif path[i] == closing:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def _dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def _leaf_text(obj: Any) -> list[str]:
    if isinstance(obj, (str, int, float, bool)):
        return [str(obj)]
    if isinstance(obj, (list, dict)):
        return [_dumps(obj)]
    return []


def get_text_at_path(obj: Any, path: str | list[str]) -> list[str]:
    """Return the texts found at a JSON path of ``obj``, for embedding.

    Scalars become ``str(value)``, lists and dicts their sorted JSON, and a
    path of ``"$"`` (or empty) the JSON of the whole object.

    Args:
        obj: The value to read.
        path: A path string or its tokens (see ``tokenize_path``).

    Returns:
        The texts, in document order (empty when the path finds nothing).
    """
    if isinstance(obj, Mapping) and not isinstance(obj, dict):
        obj = dict(obj)
    if not path or path == "$":
        return [_dumps(obj)]
    tokens = tokenize_path(path) if isinstance(path, str) else path
    return _extract(obj, tokens, 0)


def _extract(obj: Any, tokens: list[str], pos: int) -> list[str]:
    if pos == len(tokens):
        return _leaf_text(obj)
    token = tokens[pos]
    if token.startswith("[") and token.endswith("]"):
        return _extract_index(obj, token[1:-1], tokens, pos)
    if token.startswith("{") and token.endswith("}"):
        return _extract_group(obj, token[1:-1]) if isinstance(obj, dict) else []
    if token == "*":
        children = obj.values() if isinstance(obj, dict) else obj
        if not isinstance(obj, (dict, list)):
            return []
        return [text for child in children for text in _extract(child, tokens, pos + 1)]
    if isinstance(obj, dict) and token in obj:
        return _extract(obj[token], tokens, pos + 1)
    return []


def _extract_index(obj: Any, index: str, tokens: list[str], pos: int) -> list[str]:
    if not isinstance(obj, list):
        return []
    if index == "*":
        return [text for item in obj for text in _extract(item, tokens, pos + 1)]
    try:
        idx = int(index)
    except ValueError:
        return []
    if idx < 0:
        idx += len(obj)
    return _extract(obj[idx], tokens, pos + 1) if 0 <= idx < len(obj) else []


def _extract_group(obj: dict[str, Any], fields: str) -> list[str]:
    # "{a, b.c}" picks several plain dotted fields of one object; a missing
    # field (or a null one) contributes nothing.
    texts: list[str] = []
    for field in (f.strip() for f in fields.split(",")):
        current: Any = obj
        for name in tokenize_path(field):
            if not (isinstance(current, dict) and name in current):
                current = None
                break
            current = current[name]
        if current is not None and tokenize_path(field):
            texts.extend(_leaf_text(current))
    return texts


def tokenized_fields(fields: Sequence[str] | None) -> list[tuple[str, Any]]:
    """Pair each configured JSON path with its tokens (``"$"`` stays as is)."""
    return [(p, p if p == "$" else tokenize_path(p)) for p in (fields or ["$"])]


def texts_to_embed(
    op: PutOp, default_fields: list[tuple[str, Any]]
) -> list[tuple[str, str]]:
    """Return the ``(field name, text)`` pairs a put asks to embed.

    A path yielding several texts names them ``path.0``, ``path.1``, ...
    """
    if op.value is None or op.index is False:
        return []
    fields = default_fields if op.index is None else tokenized_fields(op.index)
    out: list[tuple[str, str]] = []
    for path, tokens in fields:
        texts = get_text_at_path(op.value, tokens)
        if len(texts) == 1:
            out.append((path, texts[0]))
        else:
            out.extend((f"{path}.{i}", text) for i, text in enumerate(texts))
    return out
