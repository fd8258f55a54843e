"""Point-in-time and scroll ids, encoded as Elasticsearch encodes them: URL-safe base64 of a stream of
its wire primitives (vint, length-prefixed strings, longs).

A scroll id is `include_context_uuid`, the search type, then per shard its context session, context id
and node (TransportSearchHelper.buildScrollId), so it starts with `FGluY2x1ZGVfY29udGV4dF91dWlk` as
Elasticsearch's do. A point-in-time id lists per shard the index, its uuid, the shard, the node, the
context id and the refresh point the shard is frozen at.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass

from . import errors

_INCLUDE_CONTEXT_UUID = "include_context_uuid"
_PIT_FORMAT = 8_190_099  # the transport version Elasticsearch writes first; ours marks the layout


@dataclass(frozen=True)
class ShardRef:
    index: str
    index_uuid: str
    shard_id: int
    node_id: str
    context_id: int
    seq_no: int = -1


class _Out:
    def __init__(self) -> None:
        self.buf = bytearray()

    def vint(self, value: int) -> None:
        while value & ~0x7F:
            self.buf.append((value & 0x7F) | 0x80)
            value >>= 7
        self.buf.append(value)

    def string(self, text: str) -> None:
        raw = text.encode()
        self.vint(len(raw))
        self.buf += raw

    def long(self, value: int) -> None:
        self.buf += struct.pack(">q", value)


class _In:
    def __init__(self, raw: bytes) -> None:
        self.raw, self.pos = raw, 0

    def byte(self) -> int:
        if self.pos >= len(self.raw):
            raise EOFError("tried to read past the end of the stream")
        self.pos += 1
        return self.raw[self.pos - 1]

    def vint(self) -> int:
        value, shift = 0, 0
        while True:
            b = self.byte()
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7
            if shift > 28:
                raise ValueError("Invalid vInt")

    def string(self) -> str:
        length = self.vint()
        if self.pos + length > len(self.raw):
            raise EOFError("tried to read past the end of the stream")
        self.pos += length
        return self.raw[self.pos - length:self.pos].decode()

    def long(self) -> int:
        if self.pos + 8 > len(self.raw):
            raise EOFError("tried to read past the end of the stream")
        self.pos += 8
        return struct.unpack(">q", self.raw[self.pos - 8:self.pos])[0]

    def done(self) -> None:
        if self.pos != len(self.raw):
            raise ValueError("Not all bytes were read")


def _b64decode(text: str) -> bytes:
    """java.util.Base64.getUrlDecoder().decode, with its error for a character outside the alphabet."""
    for ch in text:
        if not (ch.isascii() and (ch.isalnum() or ch in "-_=")):
            raise errors.java_exception("illegal_argument_exception", f"Illegal base64 character {ord(ch):x}")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise errors.java_exception("illegal_argument_exception", "Last unit does not have enough valid bits") from None


def encode_scroll_id(session: str, shards: list[ShardRef]) -> str:
    out = _Out()
    out.string(_INCLUDE_CONTEXT_UUID)
    out.string("queryAndFetch" if len(shards) == 1 else "queryThenFetch")
    out.vint(len(shards))
    for shard in shards:
        out.string(session)
        out.long(shard.context_id)
        out.string(shard.node_id)
    return base64.urlsafe_b64encode(bytes(out.buf)).decode()


def decode_scroll_id(scroll_id: str) -> list[int]:
    """The context ids a scroll id names; illegal_argument_exception "Cannot parse scroll id" otherwise."""
    try:
        stream = _In(_b64decode(scroll_id))
        if stream.string() != _INCLUDE_CONTEXT_UUID:
            raise ValueError("not a scroll id")
        stream.string()
        ids = []
        for _ in range(stream.vint()):
            stream.string()
            ids.append(stream.long())
            stream.string()
        stream.done()
        return ids
    except errors.EsError as cause:
        raise errors.illegal_argument("Cannot parse scroll id", caused_by=cause) from None
    except (EOFError, ValueError, UnicodeDecodeError):
        raise errors.illegal_argument("Cannot parse scroll id") from None


def encode_pit_id(shards: list[ShardRef]) -> str:
    out = _Out()
    out.vint(_PIT_FORMAT)
    out.vint(len(shards))
    for shard in shards:
        out.string(shard.index)
        out.string(shard.index_uuid)
        out.vint(shard.shard_id)
        out.string(shard.node_id)
        out.long(shard.context_id)
        out.long(shard.seq_no)
    out.vint(0)  # alias filters
    return base64.urlsafe_b64encode(bytes(out.buf)).decode()


def decode_pit_id(pit_id: str) -> list[ShardRef]:
    """The shards of a point in time, in the order they are searched; illegal_argument_exception otherwise."""
    raw = _b64decode(pit_id)
    try:
        stream = _In(raw)
        version = stream.vint()
        if version != _PIT_FORMAT:
            raise errors.java_exception("illegal_argument_exception", f"unknown transport version [{version}]")
        shards = []
        for _ in range(stream.vint()):
            shards.append(ShardRef(stream.string(), stream.string(), stream.vint(), stream.string(), stream.long(),
                                   stream.long()))
        stream.vint()
        stream.done()
        return shards
    except (EOFError, ValueError, UnicodeDecodeError) as exc:
        raise errors.java_exception("illegal_argument_exception", str(exc)) from None
