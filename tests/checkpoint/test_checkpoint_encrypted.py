"""EncryptedSerializer: round trips, LangGraph interop, tampering, and use in savers."""

from __future__ import annotations

import operator
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import pytest
from hypothesis import given, settings, strategies as st
from langgraph.checkpoint.serde.encrypted import (
    EncryptedSerializer as LangGraphEncryptedSerializer,
)
from langgraph.checkpoint.serde.jsonplus import (
    JsonPlusSerializer as LangGraphJsonPlusSerializer,
)
from typing_extensions import TypedDict

from stategraph.checkpoint.memory import InMemorySaver
from stategraph.checkpoint.serde.encrypted import EncryptedSerializer
from stategraph.checkpoint.serde.jsonplus import (
    DeserializationError,
    JsonPlusSerializer,
)
from stategraph.checkpoint.sqlite import SqliteSaver
from stategraph.graph import START, StateGraph
from stategraph.types import Command, Send, interrupt

KEY = b"0123456789abcdef0123456789abcdef"
OTHER_KEY = b"fedcba9876543210fedcba9876543210"

leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.binary(max_size=20)
)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def ours(key: bytes = KEY, **kwargs: Any) -> EncryptedSerializer:
    return EncryptedSerializer.from_pycryptodome_aes(key=key, **kwargs)


def theirs(key: bytes = KEY, **kwargs: Any) -> LangGraphEncryptedSerializer:
    return LangGraphEncryptedSerializer.from_pycryptodome_aes(
        LangGraphJsonPlusSerializer(), key=key, **kwargs
    )


# -- round trips and format ------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(values)
def test_round_trip(value: Any) -> None:
    serde = ours()
    tag, blob = serde.dumps_typed(value)
    assert tag.endswith("+aes")
    assert serde.loads_typed((tag, blob)) == value


@pytest.mark.parametrize(
    ("value", "tag", "size"),
    [
        (None, "null+aes", 0),
        (b"raw", "bytes+aes", 3),
        (bytearray(b"ab"), "bytearray+aes", 2),
        ({"a": 1}, "msgpack+aes", len(JsonPlusSerializer().dumps_typed({"a": 1})[1])),
    ],
)
def test_tags_and_layout_match_langgraph(value: Any, tag: str, size: int) -> None:
    ours_tag, blob = ours().dumps_typed(value)
    theirs_tag, their_blob = theirs().dumps_typed(value)
    assert ours_tag == theirs_tag == tag
    assert len(blob) == len(their_blob) == 16 + 16 + size  # nonce, tag, body
    assert ours().loads_typed((tag, blob)) == value


def test_fresh_nonce_per_value() -> None:
    serde = ours()
    first, second = serde.dumps_typed("same"), serde.dumps_typed("same")
    assert first[0] == second[0]
    assert first[1][:16] != second[1][:16]
    assert first[1] != second[1]


def test_plaintext_is_not_stored() -> None:
    _, blob = ours().dumps_typed({"secret": "attack at dawn"})
    assert b"attack at dawn" not in blob
    assert b"secret" not in blob


def test_unencrypted_payloads_go_to_the_inner_serializer() -> None:
    plain = JsonPlusSerializer()
    serde = ours()
    for value in ({"a": [1, "b"]}, None, b"bytes", 3.5):
        typed = plain.dumps_typed(value)
        assert "+" not in typed[0]
        assert serde.loads_typed(typed) == value
        assert theirs().loads_typed(typed) == value


def test_default_inner_serializer_is_the_safe_one() -> None:
    serde = ours()
    assert isinstance(serde.serde, JsonPlusSerializer)
    with pytest.raises(DeserializationError, match="pickle"):
        serde.loads_typed(("pickle", b"\x80\x04N."))
    inner = JsonPlusSerializer()
    assert ours(serde=inner).serde is inner
    assert EncryptedSerializer.from_pycryptodome_aes(inner, key=KEY).serde is inner


def test_repr_does_not_show_the_key() -> None:
    assert KEY.decode() not in repr(ours())
    assert KEY.decode() not in repr(ours().cipher)


# -- LangGraph interop -------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(values)
def test_langgraph_reads_ours_and_we_read_langgraph(value: Any) -> None:
    assert theirs().loads_typed(ours().dumps_typed(value)) == value
    assert ours().loads_typed(theirs().dumps_typed(value)) == value


def test_interop_with_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGGRAPH_AES_KEY", KEY[:16].decode())
    mine = EncryptedSerializer.from_pycryptodome_aes()
    reference = LangGraphEncryptedSerializer.from_pycryptodome_aes(
        LangGraphJsonPlusSerializer()
    )
    value = {"step": 3, "log": ["a", "b"], "blob": b"\x00\x01"}
    assert reference.loads_typed(mine.dumps_typed(value)) == value
    assert mine.loads_typed(reference.dumps_typed(value)) == value
    assert ours(KEY[:16]).loads_typed(mine.dumps_typed(value)) == value


def test_interop_in_gcm_mode() -> None:
    from Crypto.Cipher import AES

    mine, reference = ours(mode=AES.MODE_GCM), theirs(mode=AES.MODE_GCM)
    value = ["gcm", {"n": 1}]
    assert reference.loads_typed(mine.dumps_typed(value)) == value
    assert mine.loads_typed(reference.dumps_typed(value)) == value


def test_interop_with_custom_cipher() -> None:
    class Xor:
        def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
            return "xor", bytes(b ^ 0x5A for b in plaintext)

        def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes:
            assert ciphername == "xor"
            return bytes(b ^ 0x5A for b in ciphertext)

    mine = EncryptedSerializer(Xor())
    reference = LangGraphEncryptedSerializer(Xor(), LangGraphJsonPlusSerializer())
    typed = mine.dumps_typed({"k": [1, 2]})
    assert typed[0] == "msgpack+xor"
    assert reference.loads_typed(typed) == {"k": [1, 2]}
    assert mine.loads_typed(reference.dumps_typed("x")) == "x"


def test_nested_encryption_round_trips() -> None:
    from Crypto.Cipher import AES

    inner = ours(OTHER_KEY, mode=AES.MODE_GCM)
    outer = EncryptedSerializer(ours().cipher, inner)
    tag, blob = outer.dumps_typed({"deep": True})
    assert tag == "msgpack+aes+aes"
    assert outer.loads_typed((tag, blob)) == {"deep": True}


# -- errors ------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(value=values, data=st.data())
def test_any_flipped_bit_is_rejected(value: Any, data: st.DataObject) -> None:
    tag, blob = ours().dumps_typed(value)
    index = data.draw(st.integers(0, len(blob) - 1))
    bit = data.draw(st.integers(0, 7))
    tampered = bytearray(blob)
    tampered[index] ^= 1 << bit
    with pytest.raises(ValueError, match="authentication failed"):
        ours().loads_typed((tag, bytes(tampered)))


@settings(max_examples=60, deadline=None)
@given(value=values, data=st.data())
def test_truncated_or_extended_ciphertext_is_rejected(
    value: Any, data: st.DataObject
) -> None:
    tag, blob = ours().dumps_typed(value)
    cut = data.draw(st.integers(0, len(blob) - 1))
    with pytest.raises(ValueError, match=r"truncated|authentication failed"):
        ours().loads_typed((tag, blob[:cut]))
    with pytest.raises(ValueError, match="authentication failed"):
        ours().loads_typed((tag, blob + b"\x00"))


def test_tampering_raises_deserialization_error_naming_the_cause() -> None:
    tag, blob = ours().dumps_typed({"a": 1})
    with pytest.raises(DeserializationError, match=r"msgpack\+aes.*tampered"):
        ours().loads_typed((tag, blob[:-1] + bytes([blob[-1] ^ 1])))
    with pytest.raises(DeserializationError, match="truncated ciphertext"):
        ours().loads_typed((tag, blob[:20]))
    with pytest.raises(DeserializationError, match="truncated ciphertext"):
        ours().loads_typed((tag, b""))


def test_wrong_key_is_rejected() -> None:
    typed = ours().dumps_typed({"a": 1})
    with pytest.raises(ValueError, match="authentication failed"):
        ours(OTHER_KEY).loads_typed(typed)
    with pytest.raises(ValueError, match="authentication failed"):
        ours(KEY[:16]).loads_typed(typed)
    with pytest.raises(ValueError, match="MAC check failed"):  # LangGraph too
        theirs(OTHER_KEY).loads_typed(typed)


def test_unknown_cipher_name_is_rejected() -> None:
    _, blob = ours().dumps_typed(1)
    with pytest.raises(DeserializationError, match="unsupported cipher 'des'"):
        ours().loads_typed(("msgpack+des", blob))


def test_errors_of_custom_ciphers_become_deserialization_errors() -> None:
    class Broken:
        def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
            return "broken", plaintext

        def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes:
            raise ValueError("bad block")

    serde = EncryptedSerializer(Broken())
    with pytest.raises(DeserializationError, match="bad block"):
        serde.loads_typed(serde.dumps_typed(1))


@pytest.mark.parametrize("key", [b"short", b"x" * 17, "y" * 33])
def test_key_length_is_checked(key: Any) -> None:
    with pytest.raises(ValueError, match="16, 24, or 32 bytes"):
        EncryptedSerializer.from_pycryptodome_aes(key=key)


def test_key_type_is_checked() -> None:
    with pytest.raises(TypeError, match="must be bytes"):
        EncryptedSerializer.from_pycryptodome_aes(key=1234567890123456)


def test_key_may_be_text() -> None:
    value = {"t": 1}
    typed = EncryptedSerializer.from_pycryptodome_aes(key=KEY.decode()).dumps_typed(
        value
    )
    assert ours().loads_typed(typed) == value


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LANGGRAPH_AES_KEY", raising=False)
    with pytest.raises(ValueError, match="LANGGRAPH_AES_KEY environment variable"):
        EncryptedSerializer.from_pycryptodome_aes()
    monkeypatch.setenv("LANGGRAPH_AES_KEY", "too short")
    with pytest.raises(ValueError, match="LANGGRAPH_AES_KEY must be 16, 24, or 32"):
        EncryptedSerializer.from_pycryptodome_aes()
    monkeypatch.setenv("LANGGRAPH_AES_KEY", KEY[:24].decode())
    typed = EncryptedSerializer.from_pycryptodome_aes().dumps_typed([1])
    assert ours(KEY[:24]).loads_typed(typed) == [1]


def test_fixed_nonce_and_unauthenticated_modes_are_refused() -> None:
    from Crypto.Cipher import AES

    with pytest.raises(ValueError, match="fixed nonce"):
        ours(nonce=b"n" * 16)
    with pytest.raises(ValueError, match="authenticated"):
        ours(mode=AES.MODE_ECB)
    with pytest.raises(ValueError, match="16-byte nonces"):
        ours(mode=AES.MODE_OCB)


def test_missing_pycryptodome_raises_import_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "Crypto.Cipher", None)
    with pytest.raises(ImportError, match="pycryptodome"):
        ours()


def test_pycryptodome_is_imported_only_when_a_cipher_is_built() -> None:
    code = (
        "import sys\n"
        "from stategraph.checkpoint.serde.encrypted import EncryptedSerializer\n"
        "assert 'Crypto' not in sys.modules, 'imported eagerly'\n"
        "EncryptedSerializer.from_pycryptodome_aes(key=b'k' * 16)\n"
        "assert 'Crypto' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- inside savers and graphs --------------------------------------------------------


class State(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    item: int


def build() -> StateGraph[Any]:
    def ask(state: State) -> State:
        return {"log": [f"answer:{interrupt('ok?')}"]}

    builder: StateGraph[Any] = StateGraph(State)
    builder.add_node("first", lambda s: {"log": ["secret-first"]})
    builder.add_node("fan", lambda s: {"log": [f"secret-item-{s['item']}"]})
    builder.add_node("ask", ask)
    builder.add_node("last", lambda s: {"log": ["secret-last"]})
    builder.add_edge(START, "first")
    builder.add_conditional_edges(
        "first", lambda s: [Send("fan", {"item": i}) for i in range(3)], ["fan"]
    )
    builder.add_edge("fan", "ask")
    builder.add_edge("ask", "last")
    return builder


EXPECTED = {
    "log": [
        "start",
        "secret-first",
        "secret-item-0",
        "secret-item-1",
        "secret-item-2",
        "answer:yes",
        "secret-last",
    ]
}


class Recording:
    """Cipher wrapper counting calls, to see the saver really encrypts."""

    def __init__(self, cipher: Any) -> None:
        self.cipher, self.encrypted, self.decrypted = cipher, 0, 0

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        self.encrypted += 1
        result: tuple[str, bytes] = self.cipher.encrypt(plaintext)
        return result

    def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes:
        self.decrypted += 1
        result: bytes = self.cipher.decrypt(ciphername, ciphertext)
        return result


def run_graph(saver: Any, thread: str = "enc") -> Any:
    config = {"configurable": {"thread_id": thread}}
    graph = build().compile(checkpointer=saver)
    first = graph.invoke({"log": ["start"]}, config)
    assert [i.value for i in first["__interrupt__"]] == ["ok?"]
    assert graph.get_state(config).next == ("ask",)
    done = graph.invoke(Command(resume="yes"), config)
    assert done == EXPECTED
    history = list(graph.get_state_history(config))
    assert history[0].values == EXPECTED
    assert history[-1].parent_config is None
    return graph


def test_in_memory_saver_with_encryption() -> None:
    serde = ours()
    recorder = Recording(serde.cipher)
    serde.cipher = recorder
    saver = InMemorySaver(serde=serde)
    graph = run_graph(saver)
    assert recorder.encrypted > 0
    assert recorder.decrypted > 0
    config = {"configurable": {"thread_id": "enc"}}
    assert graph.get_state(config).values == EXPECTED


def test_sqlite_saver_stores_only_ciphertext(tmp_path: Path) -> None:
    path = tmp_path / "enc.db"
    conn = sqlite3.connect(str(path), check_same_thread=False)
    try:
        run_graph(SqliteSaver(conn, serde=ours()))
    finally:
        conn.close()
    with sqlite3.connect(str(path)) as raw:
        tags = [
            row[0]
            for query in (
                "SELECT header_type FROM sg_checkpoints",
                "SELECT metadata_type FROM sg_checkpoints",
                "SELECT type FROM sg_blobs WHERE type != 'empty'",
                "SELECT type FROM sg_writes",
            )
            for row in raw.execute(query)
        ]
    assert tags
    assert all(tag.endswith("+aes") for tag in tags), set(tags)
    assert b"secret-" not in path.read_bytes()

    config = {"configurable": {"thread_id": "enc"}}
    with SqliteSaver.from_conn_string(str(path), serde=ours()) as saver:
        graph = build().compile(checkpointer=saver)
        assert graph.get_state(config).values == EXPECTED
    for wrong in (JsonPlusSerializer(), ours(OTHER_KEY)):
        with SqliteSaver.from_conn_string(str(path), serde=wrong) as saver:
            graph = build().compile(checkpointer=saver)
            with pytest.raises(DeserializationError):
                graph.get_state(config)


def test_sqlite_saver_reads_plain_checkpoints_after_enabling_encryption(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "mixed.db")
    config = {"configurable": {"thread_id": "mixed"}}
    with SqliteSaver.from_conn_string(path) as saver:  # unencrypted at first
        graph = build().compile(checkpointer=saver)
        graph.invoke({"log": ["start"]}, config)
    with SqliteSaver.from_conn_string(path, serde=ours()) as saver:
        graph = build().compile(checkpointer=saver)
        assert graph.invoke(Command(resume="yes"), config) == EXPECTED
        history = list(graph.get_state_history(config))
        assert history[0].values == EXPECTED
        reference = run_graph(InMemorySaver(), "mixed")
        assert [h.values for h in history] == [
            h.values for h in reference.get_state_history(config)
        ]


def test_with_allowlist_extends_the_wrapped_serializer() -> None:
    from stategraph.checkpoint.memory import InMemorySaver

    saver = InMemorySaver(
        serde=EncryptedSerializer.from_pycryptodome_aes(key=b"k" * 16)
    )
    clone = saver.with_allowlist([("pkg.mod", "Thing")])
    assert clone is not saver
    assert isinstance(clone.serde, EncryptedSerializer)
    assert clone.serde.serde is not saver.serde.serde  # type: ignore[attr-defined]
    assert clone.storage is saver.storage
