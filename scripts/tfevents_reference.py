#!/usr/bin/env python3
"""Independent check of extrapos's TensorBoard event files (dev only; CI does not run this).

Uses Google's protobuf runtime (Debian: apt-get install python3-protobuf) with the Event/Summary
messages declared here from tensorflow/core/util/event.proto and tensorflow/core/framework/summary.proto
(only the fields we write), and a bit-by-bit CRC-32C (no table) for the TFRecord framing.

  python3 scripts/tfevents_reference.py read FILE    # verify framing + CRCs, print one JSON per event
  python3 scripts/tfevents_reference.py golden       # hex of the records used by src/train/log/tfevents.test.ts
"""
import json, math, struct, sys
from google.protobuf import descriptor_pb2, descriptor_pool
try:
    from google.protobuf import message_factory
    def _cls(d): return message_factory.GetMessageClass(d) if hasattr(message_factory, "GetMessageClass") else message_factory.MessageFactory().GetPrototype(d)
except ImportError:
    raise

def build():
    f = descriptor_pb2.FileDescriptorProto(name="extrapos_event.proto", package="tensorflow", syntax="proto3")
    T = descriptor_pb2.FieldDescriptorProto
    v = f.message_type.add(name="SummaryValue")
    v.field.add(name="tag", number=1, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    v.field.add(name="simple_value", number=2, type=T.TYPE_FLOAT, label=T.LABEL_OPTIONAL)
    s = f.message_type.add(name="Summary")
    s.field.add(name="value", number=1, type=T.TYPE_MESSAGE, type_name=".tensorflow.SummaryValue", label=T.LABEL_REPEATED)
    e = f.message_type.add(name="Event")
    e.field.add(name="wall_time", number=1, type=T.TYPE_DOUBLE, label=T.LABEL_OPTIONAL)
    e.field.add(name="step", number=2, type=T.TYPE_INT64, label=T.LABEL_OPTIONAL)
    e.field.add(name="file_version", number=3, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    e.field.add(name="summary", number=5, type=T.TYPE_MESSAGE, type_name=".tensorflow.Summary", label=T.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    return _cls(pool.FindMessageTypeByName("tensorflow.Event"))

Event = build()

def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF

def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF

def frame(data):
    head = struct.pack("<Q", len(data))
    return head + struct.pack("<I", masked(head)) + data + struct.pack("<I", masked(data))

def read(path):
    buf = open(path, "rb").read()
    off = 0
    while off < len(buf):
        if off + 12 > len(buf): raise SystemExit(f"truncated header at {off}")
        (n,) = struct.unpack_from("<Q", buf, off)
        (hc,) = struct.unpack_from("<I", buf, off + 8)
        assert hc == masked(buf[off:off + 8]), f"length CRC mismatch at {off}"
        data = buf[off + 12: off + 12 + n]
        (dc,) = struct.unpack_from("<I", buf, off + 12 + n)
        assert dc == masked(data), f"data CRC mismatch at {off}"
        ev = Event(); ev.ParseFromString(data)
        out = {"wall_time": ev.wall_time, "step": ev.step}
        if ev.file_version: out["file_version"] = ev.file_version
        if ev.HasField("summary"): out["values"] = [[v.tag, v.simple_value if math.isfinite(v.simple_value) else str(v.simple_value)] for v in ev.summary.value]
        print(json.dumps(out))
        off += 12 + n + 4

def golden():
    evs = []
    e = Event(wall_time=1700000000.25, file_version="brain.Event:2"); evs.append(e)
    e = Event(wall_time=1700000001.5, step=0); v = e.summary.value.add(); v.tag = "train/loss"; v.simple_value = 5.5; evs.append(e)
    e = Event(wall_time=1700000002.75, step=300)
    for tag, val in [("train/loss", 2.3125), ("lr", 0.001), ("valid/ppl", float("inf"))]:
        v = e.summary.value.add(); v.tag = tag; v.simple_value = val
    evs.append(e)
    print((b"".join(frame(x.SerializeToString()) for x in evs)).hex())

if __name__ == "__main__":
    if sys.argv[1:2] == ["read"]: read(sys.argv[2])
    elif sys.argv[1:2] == ["golden"]: golden()
    else: raise SystemExit(__doc__)
