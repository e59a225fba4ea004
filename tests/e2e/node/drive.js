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
//   {"action": "id_api_submit_job", "partner_id", "api_key", "sid_server", "partner_params", "id_info"}
//     IDApi.submit_job: /v1/id_verification, or /v1/business_verification for job_type 7
//   {"action": "id_api_submit_async_job", "partner_id", "api_key", "sid_server", "callback_url",
//    "partner_params", "id_info"}
//     IDApi.submitAsyncjob: /v1/async_id_verification, or /v1/async_business_verification for job_type 7
//   {"action": "id_api_poll_job_status", "partner_id", "api_key", "sid_server", "partner_params",
//    "max_retries", "timeout_ms", "return_history", "return_images"}
'use strict';

const { IDApi, WebApi, Signature } = require('smile-identity-core');

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
    case 'id_api_submit_job':
      return new IDApi(request.partner_id, request.api_key, request.sid_server).submit_job(
        request.partner_params,
        request.id_info,
      );
    case 'id_api_submit_async_job':
      return new IDApi(request.partner_id, request.api_key, request.sid_server).submitAsyncjob(
        request.partner_params,
        request.id_info,
        request.callback_url,
      );
    case 'id_api_poll_job_status':
      return new IDApi(request.partner_id, request.api_key, request.sid_server).pollJobStatus(
        request.partner_params,
        request.max_retries,
        request.timeout_ms,
        request.return_history,
        request.return_images,
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
