/*
 * Entry point of egress-audit-native: loads the compiled libpcap addon and nothing more.
 * It never builds anything and never falls back silently: when the addon is absent it throws an
 * Error with code EA_NATIVE_NOT_BUILT (and the reason install.js recorded), which
 * src/capture/live.ts catches to choose the tcpdump fallback.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const ADDON = path.join(__dirname, 'build', 'Release', 'egress_audit_native.node');

try {
  module.exports = require(ADDON);
} catch (cause) {
  let reason = '';
  try {
    reason = fs.readFileSync(path.join(__dirname, 'build', 'SKIPPED'), 'utf8').trim();
  } catch {
    reason = cause && cause.code === 'MODULE_NOT_FOUND' ? 'never built' : String(cause && cause.message);
  }
  const err = new Error(`egress-audit-native is not available: ${reason}`);
  err.code = 'EA_NATIVE_NOT_BUILT';
  err.cause = cause;
  throw err;
}
