"""Baseline for `cargo bench --bench gbcs`: the same ECS22b response, framed and MAC-checked per
message with Python's `cryptography` (OpenSSL), the ECDH secret cached as in the Rust benchmark;
then all the way to the half-hourly values, as a user would: gurux-dlms reads the DLMS response,
`cryptography` opens the payload sealed for the user, gurux reads the values.

    .venv-peers/bin/python benches/peers/gbcs_mac.py   (scripts/test installs both packages)
"""
import hashlib
import os
import time

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

ROOT = os.path.join(os.path.dirname(__file__), "../../../shared/reference/gbcs-rtds")
KEYS = os.path.join(ROOT, "keystore")
VECTOR = os.path.join(ROOT, "RTDS-4.5.0/4.8.1_ECS22b/ECS22b_4.8.1_SINGLE_SUCCESS_RESPONSE_GBCS.HEX")


def length(b, i):
    first = b[i]
    if first < 0x80:
        return first, i + 1
    if first == 0x81:
        return b[i + 1], i + 2
    return int.from_bytes(b[i + 1:i + 3], "big"), i + 3


def check(b, z):
    n, i = length(b, 7)
    content = b[i:i + n]
    signing, mac = content[5:-12], content[-12:]
    cra, counter, orig, recip = signing[2], signing[3:11], signing[12:20], signing[21:29]
    other = bytes([0x60, 0x85, 0x74, 0x06, 0x08, 0x03, 0x00]) + orig + bytes([0x09, cra]) + counter + recip
    key = hashlib.sha256(b"\x00\x00\x00\x01" + z + other).digest()[:16]
    enc = Cipher(algorithms.AES(key), modes.GCM(orig + b"\x00" * 4, min_tag_length=12)).encryptor()
    enc.authenticate_additional_data(bytes([0x11, 0, 0, 0, 0, 0]) + signing)
    enc.finalize()
    return enc.tag[:12] == mac


def values(b, z):
    """Frame, MAC, then the half-hourly values of the sealed payload."""
    from gurux_dlms import GXByteBuffer, GXDLMSSettings
    from gurux_dlms.internal._GXCommon import _GXCommon
    from gurux_dlms.internal._GXDataInfo import _GXDataInfo

    assert check(b, z)
    n, i = length(b, 7)
    signing = b[i + 5:i + n - 12]
    orig, recip, counter = signing[12:20], signing[21:29], signing[3:11]
    # The content: skip the date-time and other-information fields to reach it.
    j = 29
    dt, j = length(signing, j)
    j += dt
    oi, j = length(signing, j)
    j += oi
    cl, j = length(signing, j)
    content = signing[j:j + cl]
    # access-response: DA, invoke id (4), date-time (00), echo (00), list-of-data.
    buf = GXByteBuffer(content[8:])
    settings = GXDLMSSettings(False, None)
    params, protected = _GXCommon.getData(settings, buf, _GXDataInfo())
    protected = bytes(protected)
    tid = bytes(params[0][1][0])
    other = bytes([0x60, 0x85, 0x74, 0x06, 0x08, 0x03, 0x00]) + orig + b"\x09" + tid + recip
    key = hashlib.sha256(b"\x00\x00\x00\x01" + z + other).digest()[:16]
    dec = Cipher(algorithms.AES(key), modes.GCM(orig + b"\x00" * 4, protected[-12:], min_tag_length=12)).decryptor()
    dec.authenticate_additional_data(b"\x31")
    plain = dec.update(protected[5:-12]) + dec.finalize()
    return _GXCommon.getData(settings, GXByteBuffer(plain), _GXDataInfo())[0]


def median_time(f, n):
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            f()
        runs.append((time.perf_counter() - t) / n)
    runs.sort()
    return runs[len(runs) // 2]


def main():
    b = bytes.fromhex(open(VECTOR).read().strip())
    private = serialization.load_pem_private_key(open(os.path.join(KEYS, "90b3d51f30010000-ka.key"), "rb").read(), None)
    public = x509.load_pem_x509_certificate(open(os.path.join(KEYS, "00db1234567890a0-ka.pem"), "rb").read()).public_key()
    z = private.exchange(ec.ECDH(), public)
    assert check(b, z)
    median = median_time(lambda: check(b, z), 20000)
    print(f"python cryptography: frame + MAC check {median * 1e6:.2f} µs per message ({1 / median:,.0f}/s), median of 5")
    assert len(values(b, z)) == 49
    median = median_time(lambda: values(b, z), 2000)
    print(f"gurux-dlms + cryptography: frame, MAC, open, 49 values {median * 1e6:.2f} µs per message ({1 / median:,.0f}/s), median of 5")


main()
