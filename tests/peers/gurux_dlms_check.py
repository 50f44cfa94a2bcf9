#!/usr/bin/env python3
"""Reads DLMS APDUs with gurux-dlms (an independent DLMS/COSEM implementation) and compares
what it finds with what dccsim found.

Input on stdin, one JSON object per line:
  {"name": ..., "apdu": HEX, "descriptors": [[class_id, "instance hex", id], ...],
   "values": [{"hex": HEX of one A-XDR value, "canon": dccsim's reading of it}, ...]}
An access-request's object descriptors are checked against gurux's GXDLMSTranslator XML, and each data
value is decoded by gurux's A-XDR reader and compared value by value. Prints one line per
mismatch and a final "checked N" line; exits 1 on any mismatch.
"""
import json
import sys
import xml.etree.ElementTree as ET

from gurux_dlms import GXByteBuffer, GXDLMSSettings, GXDLMSTranslator
from gurux_dlms.internal._GXCommon import _GXCommon
from gurux_dlms.internal._GXDataInfo import _GXDataInfo


def canon(x):
    """gurux's Python value in dccsim's canonical JSON shape."""
    if x is None:
        return None
    if isinstance(x, bool):
        return x
    if isinstance(x, (list, tuple)):
        return [canon(i) for i in x]
    if isinstance(x, (bytes, bytearray)):
        return x.hex().upper()
    if isinstance(x, str):
        return x.encode().hex().upper()
    if type(x).__name__ == "GXBitString":
        return str(x)
    if isinstance(x, float):
        return x
    if hasattr(x, "value"):
        return int(x.value)
    return int(x)


def descriptors(xml):
    out = []
    for node in ET.fromstring(xml).iter("AttributeDescriptor"):
        out.append([
            int(node.find("ClassId").get("Value"), 16),
            node.find("InstanceId").get("Value").upper(),
            int(node.find("AttributeId").get("Value"), 16),
        ])
    return out


def main():
    translator = GXDLMSTranslator()
    settings = GXDLMSSettings(False, None)
    checked, bad, untranslated, values = 0, 0, 0, 0
    for line in sys.stdin:
        case = json.loads(line)
        name = case["name"]
        # Only access-requests carry object descriptors; gurux's translator also trips over
        # some GBCS access-responses, whose values are checked below regardless.
        # gurux has no get-with-selection (choice 4) in access-requests: those are counted
        # and their values still checked.
        if case["apdu"].startswith("D9"):
            try:
                xml = translator.pduToXml(GXByteBuffer.hexToBytes(case["apdu"]))
            except ValueError:
                untranslated += 1
                xml = None
        else:
            xml = None
        if xml is not None and descriptors(xml) != case["descriptors"]:
            print(f"{name}: descriptors differ: gurux {descriptors(xml)} dccsim {case['descriptors']}")
            bad += 1
        for i, value in enumerate(case["values"]):
            values += 1
            buf = GXByteBuffer(GXByteBuffer.hexToBytes(value["hex"]))
            theirs = canon(_GXCommon.getData(settings, buf, _GXDataInfo()))
            if buf.position != len(buf):
                print(f"{name}: value {i}: gurux read {buf.position} of {len(buf)} bytes")
                bad += 1
            elif theirs != value["canon"]:
                print(f"{name}: value {i}: gurux {theirs} dccsim {value['canon']}")
                bad += 1
        checked += 1
    print(f"checked {checked} APDUs, {values} values; descriptors of {untranslated} "
          "access-requests not translatable by gurux")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
