#!/usr/bin/env node
// Drives the official Smile ID Node SDK (smile-identity-core), unmodified, for tests/e2e/test_node_sdk.py.
//
// Reads one JSON request on stdin and prints one JSON line on stdout:
//   {"ok": true, "result": <what the SDK resolved>}  or
//   {"ok": false, "error": "<message>", "status": <HTTP status>, "response": <error body>}
// Requests:
//   {"action": "submit_job", "partner_id", "api_key", "sid_server", "callback_url",
//    "partner_params", "image_details", "id_info", "options"}
//   {"action": "get_job_status", "partner_id", "api_key", "sid_server", "partner_params", "options"}
//   {"action": "confirm_signature", "partner_id", "api_key", "timestamp", "signature"}
'use strict';

const { WebApi, Signature } = require('smile-identity-core');

const readStdin = () =>
  new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', (chunk) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });

const run = async (request) => {
  switch (request.action) {
    case 'submit_job':
      return new WebApi(
        request.partner_id,
        request.callback_url,
        request.api_key,
        request.sid_server,
      ).submit_job(request.partner_params, request.image_details, request.id_info, request.options);
    case 'get_job_status':
      return new WebApi(request.partner_id, request.callback_url, request.api_key, request.sid_server)
        .get_job_status(request.partner_params, request.options);
    case 'confirm_signature':
      return new Signature(request.partner_id, request.api_key).confirm_signature(
        request.timestamp,
        request.signature,
      );
    default:
      throw new Error(`unknown action ${JSON.stringify(request.action)}`);
  }
};

const main = async () => {
  const request = JSON.parse(await readStdin());
  try {
    const result = await run(request);
    process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`);
  } catch (err) {
    const failure = { ok: false, error: String((err && err.message) || err) };
    if (err && err.config) {
      failure.request = { method: err.config.method, url: err.config.url };
    }
    if (err && err.response) {
      failure.status = err.response.status;
      failure.response = err.response.data;
    }
    if (err && err.code) {
      failure.code = err.code;
    }
    process.stdout.write(`${JSON.stringify(failure)}\n`);
  }
};

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
    process.exit(2);
  },
);
