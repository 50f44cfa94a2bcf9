"""Validates DUIS documents against the DUIS XSD with the `xmlschema` package: an independent
validator that, unlike libxml2's xmllint, reads xs:integer values of any length (the ZAZ1 DSP
certificate's serial number in a signed response's KeyInfo has 39 digits).

Reads the schema path, then one document path per line, on stdin; prints `valid PATH` or
`invalid PATH: REASON` per document; exits 1 if any is invalid."""

import sys

import xmlschema

lines = [line.strip() for line in sys.stdin if line.strip()]
schema = xmlschema.XMLSchema(lines[0])
bad = False
for path in lines[1:]:
    try:
        schema.validate(path)
        print(f"valid {path}")
    except xmlschema.XMLSchemaException as e:
        bad = True
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        print(f"invalid {path}: {reason}")
sys.exit(1 if bad else 0)
