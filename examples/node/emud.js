// A small tcpemu client for Node: loads the API straight from ../../proto
// with @grpc/proto-loader (no code generation) and wraps the unary calls in
// promises.
//
// 64-bit integers. proto3 uint64 fields (Event.seq, Session.seed,
// Session.last_event_seq, the endpoint counters) do not fit a JavaScript
// number above 2^53. With `longs: String` (what load() uses) they arrive as
// decimal strings: "42". With proto-loader's default they arrive as Long
// objects ({low, high, unsigned}). Either way, turn them into BigInt with
// toBigInt() before comparing or doing arithmetic — never with Number().
// uint32 fields (SEQ, ACK, ports, windows) are plain numbers.
'use strict';

const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_ROOT = path.resolve(__dirname, '..', '..', 'proto');

/**
 * Loads tcpemu.v1 and returns the EmulatorService client constructor.
 * longs: String by default; pass {longs: undefined} to get proto-loader's
 * default, Long objects. (Number is not offered: it loses precision.)
 */
function load(opts = {}) {
  const longs = 'longs' in opts ? opts.longs : String;
  const def = protoLoader.loadSync('tcpemu/v1/service.proto', {
    includeDirs: [PROTO_ROOT],
    keepCase: true, // field names as in the .proto: last_event_seq, snd_una
    longs,
    enums: String, // 'STATE_ESTABLISHED', not 5
    defaults: true, // unset scalars read as 0 / '' / false, as in proto3
    oneofs: true, // ev.payload === 'state_change' names the set member
  });
  return grpc.loadPackageDefinition(def).tcpemu.v1.EmulatorService;
}

/** The daemon's address: $EMUD_ADDR, else emud's default. unix:PATH works too. */
function address() {
  return process.env.EMUD_ADDR || '127.0.0.1:7411';
}

/**
 * Connects to emud and returns an object with one async method per RPC
 * (camelCase, as grpc-js names them): await c.createSession({...}).
 * A failed call rejects with an Error carrying .code (grpc.status) and
 * .details (the server's message, e.g. the RFC's "connection closing").
 */
function connect(opts = {}) {
  const Service = load(opts);
  const raw = new Service(opts.address || address(), grpc.credentials.createInsecure());
  // grpc-js gives each method a lower-case alias too, so raw.close is the
  // CLOSE call, not the channel's close: reach that through the prototype.
  const c = { raw, disconnect: () => grpc.Client.prototype.close.call(raw) };
  for (const name of Object.keys(Service.service)) {
    const m = Service.service[name];
    if (m.requestStream || m.responseStream) continue; // Watch etc.: use c.raw
    const fn = name.charAt(0).toLowerCase() + name.slice(1);
    c[fn] = (req) =>
      new Promise((resolve, reject) => {
        raw[name](req, { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res)));
      });
  }
  return c;
}

/** Waits until the channel is ready (the daemon is up), or rejects. */
function waitReady(c, ms = 10_000) {
  return new Promise((resolve, reject) =>
    c.raw.waitForReady(Date.now() + ms, (err) => (err ? reject(err) : resolve())),
  );
}

/**
 * A uint64 as BigInt, whichever way it arrived: a decimal string
 * (longs: String), a Long object (proto-loader's default), or a number.
 */
function toBigInt(v) {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'string' || typeof v === 'number') return BigInt(v);
  if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    // Long: two 32-bit halves; >>> 0 reads each as unsigned.
    const u = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
    return v.unsigned || v.high >= 0 ? u : u - (1n << 64n); // a negative int64
  }
  throw new TypeError(`not a 64-bit integer: ${v}`);
}

/** A google.protobuf.Duration ({seconds, nanos}; seconds is int64) as BigInt nanoseconds. */
function durationNs(d) {
  if (!d) return 0n;
  return toBigInt(d.seconds) * 1_000_000_000n + BigInt(d.nanos || 0);
}

/** {seconds, nanos} for a number of seconds (a request field). */
function seconds(s) {
  return { seconds: String(Math.trunc(s)), nanos: Math.round((s % 1) * 1e9) };
}

module.exports = { grpc, load, address, connect, waitReady, toBigInt, durationNs, seconds, PROTO_ROOT };
