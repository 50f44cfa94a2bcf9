// Parses DUIS documents with Smart DCC's own parser (@smartdcc/duis-parser, as DCC Boxed's
// clients use it) and prints one JSON line per file: the response code and service reference
// variant it read, or the error it raised. Usage: node duis_parse.js PARSER_DIR FILE...
const { parseDuis } = require(process.argv[2]);
const fs = require('fs');
let failed = false;
for (const file of process.argv.slice(3)) {
  try {
    const duis = parseDuis('simplified', fs.readFileSync(file));
    const header = duis.header || {};
    const body = duis.body || {};
    const message = body.ResponseMessage || {};
    console.log(JSON.stringify({
      file,
      responseCode: header.responseCode ?? null,
      serviceReferenceVariant: message.ServiceReferenceVariant ?? null,
    }));
  } catch (e) {
    failed = true;
    console.log(JSON.stringify({ file, error: String(e && e.message || e) }));
  }
}
process.exit(failed ? 1 : 0);
