#!/usr/bin/env python3
"""Checks GBCS MACs, signatures and sealed payloads made by dccsim's virtual devices with
Python's `cryptography` package (OpenSSL underneath): an implementation dccsim shares no code
with.

Input on stdin, one JSON object per line:
  {"name": ..., "message": HEX of a whole GBCS message,
   "private_key": PEM file of the key-agreement private key of one side,
   "peer_public": HEX (65-byte point) of the other side's key-agreement public key,
   "signer_public": HEX of the originator's signing public key, or null,
   "sealed": {"tid": HEX, "protected": HEX, "plaintext": HEX} or null}
For a MACed message (DD …) the MAC is recomputed (GBCS §4.3: ECDH, the SHA-256 single-step
KDF, AES-128-GCM over 11 00 00 00 00 00 ‖ the general-signing APDU, tag cut to 12 bytes); a
signed message's ECDSA P-256 signature is verified; a sealed payload is decrypted with the
encryption KDF and compared with the plaintext dccsim says it sealed. Prints one line per
failure and a final "checked N" line; exits 1 on any failure.
"""
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

ALGORITHM_ID = bytes.fromhex("60857406080300")


def der_len(b, i):
    first = b[i]
    if first < 0x80:
        return first, i + 1
    n = first - 0x80
    return int.from_bytes(b[i + 1:i + 1 + n], "big"), i + 1 + n


def kdf(z, originator, mode_and_counter, recipient):
    other = ALGORITHM_ID + originator + b"\x09" + mode_and_counter + recipient
    return hashlib.sha256(b"\x00\x00\x00\x01" + z + other).digest()[:16]


def iv(originator):
    return originator + b"\x00\x00\x00\x00"


def check(case, private_keys):
    msg = bytes.fromhex(case["message"])
    with open(case["private_key"], "rb") as f:
        private = serialization.load_pem_private_key(f.read(), None)
    peer = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), bytes.fromhex(case["peer_public"]))
    z = private.exchange(ec.ECDH(), peer)
    failures = []
    if msg[0] == 0xDD:
        _, i = der_len(msg, 7)
        header, signing, mac = msg[i:i + 5], msg[i + 5:-12], msg[-12:]
        cra, counter = signing[2:3], signing[3:11]
        originator, recipient = signing[12:20], signing[21:29]
        key = kdf(z, originator, cra + counter, recipient)
        enc = Cipher(algorithms.AES(key), modes.GCM(iv(originator))).encryptor()
        enc.authenticate_additional_data(b"\x11\x00\x00\x00\x00\x00" + signing)
        enc.finalize()
        if enc.tag[:12] != mac:
            failures.append("MAC does not verify")
    else:
        signing = msg
        originator, recipient = signing[12:20], signing[21:29]
    if case.get("signer_public"):
        signer = ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(), bytes.fromhex(case["signer_public"]))
        sig = signing[-64:]
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        try:
            signer.verify(der, signing[1:-65], ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            failures.append("signature does not verify")
    sealed = case.get("sealed")
    if sealed:
        tid = bytes.fromhex(sealed["tid"])
        protected = bytes.fromhex(sealed["protected"])
        key = kdf(z, originator, tid, recipient)
        dec = Cipher(algorithms.AES(key),
                     modes.GCM(iv(originator), protected[-12:], min_tag_length=12)).decryptor()
        dec.authenticate_additional_data(b"\x31")
        try:
            plain = dec.update(protected[5:-12]) + dec.finalize()
            if plain.hex().upper() != sealed["plaintext"].upper():
                failures.append("sealed payload decrypts to other bytes")
        except InvalidTag:
            failures.append("sealed payload fails authentication")
    return failures


def main():
    checked, bad = 0, 0
    for line in sys.stdin:
        case = json.loads(line)
        for failure in check(case, {}):
            print(f"{case['name']}: {failure}")
            bad += 1
        checked += 1
    print(f"checked {checked}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
