// The seed's story (3-way handshake, data, 4-way close, TIME-WAIT) driven
// through a real emud from JavaScript, checked with node's test runner.
//
//   EMUD_ADDR=127.0.0.1:7411 node --test      (or EMUD_ADDR=unix:/tmp/emud.sock)
//
// Every mutating call returns the events it caused; the checks below read
// those events, the way a grader would.
'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { connect, waitReady, toBigInt, durationNs } = require('./emud');

const SESSION_ID = `node-story-${process.pid}`;
const SESSION = `sessions/${SESSION_ID}`;
const SERVER = `${SESSION}/endpoints/server`;
const CLIENT = `${SESSION}/endpoints/client`;
const ISN = 1000;

// Sequence numbers are uint32 and wrap modulo 2^32 (RFC 9293 §3.4).
const seqAdd = (a, b) => (a + b) >>> 0;

describe('the seed story through emud', { timeout: 30_000 }, () => {
  let c;
  const events = []; // every event every call returned, in order
  const record = (res) => {
    events.push(...res.events);
    return res;
  };
  let child; // the listener's child: its ID and resource name
  let childName;

  // One endpoint's state history: the first from_state, then every to_state.
  const states = (endpoint) => {
    const out = [];
    for (const ev of events) {
      if (ev.payload !== 'state_change' || ev.endpoint !== endpoint) continue;
      if (out.length === 0) out.push(ev.state_change.from_state);
      out.push(ev.state_change.to_state);
    }
    return out;
  };
  const sent = (endpoint) =>
    events.filter((ev) => ev.payload === 'segment_sent' && ev.endpoint === endpoint).map((ev) => ev.segment_sent);
  const entered = (endpoint, state) => {
    let at = -1n;
    for (const ev of events) {
      if (ev.payload === 'state_change' && ev.endpoint === endpoint && ev.state_change.to_state === state) {
        at = durationNs(ev.time);
      }
    }
    return at;
  };
  const untilIdle = async () => record(await c.advance({ session: SESSION, until_idle: {} }));
  const advanceNow = async () => record(await c.advance({ session: SESSION, by: { seconds: '0', nanos: 0 } }));

  before(async () => {
    c = connect();
    await waitReady(c);
    // seed is a uint64: send it as a string (a number works below 2^53).
    await c.createSession({ session_id: SESSION_ID, session: { seed: '7', fixed_isn: ISN } });
    await c.createEndpoint({ parent: SESSION, endpoint_id: 'server', endpoint: { local: { ip: '10.0.0.2', port: 80 } } });
    await c.createEndpoint({ parent: SESSION, endpoint_id: 'client', endpoint: { local: { ip: '10.0.0.1', port: 40000 } } });
  });

  after(async () => {
    if (!c) return;
    await c.deleteSession({ name: SESSION }).catch(() => {});
    c.disconnect();
  });

  it('3-way handshake: listen, connect, advance until idle', async () => {
    record(await c.listen({ name: SERVER }));
    record(await c.connect({ name: CLIENT, remote: { ip: '10.0.0.2', port: 80 } }));
    const r = await untilIdle();
    assert.equal(r.idle, true);

    // accept: the listener forked a child that is now ESTABLISHED.
    const kids = await c.listEndpoints({ parent: SESSION, listener: SERVER, states: ['STATE_ESTABLISHED'] });
    assert.equal(kids.endpoints.length, 1);
    childName = kids.endpoints[0].name;
    child = childName.slice(childName.lastIndexOf('/') + 1);
    assert.equal(kids.endpoints[0].parent, SERVER);
    assert.deepEqual(kids.endpoints[0].remote, { ip: '10.0.0.1', port: 40000 });

    // <SEQ=1000><CTL=SYN>, <SEQ=y><ACK=1001><CTL=SYN,ACK>, <SEQ=1001><ACK=y+1><CTL=ACK>
    const [syn, ack] = sent('client');
    const [synAck] = sent(child);
    assert.ok(syn.header.flags.syn && !syn.header.flags.ack);
    assert.equal(syn.header.seq, ISN);
    assert.equal(syn.seg_len, 1, 'a SYN occupies one sequence number');
    assert.ok(synAck.header.flags.syn && synAck.header.flags.ack);
    assert.equal(synAck.header.ack, seqAdd(syn.header.seq, syn.seg_len));
    assert.ok(ack.header.flags.ack && !ack.header.flags.syn);
    assert.equal(ack.header.seq, ISN + 1);
    assert.equal(ack.header.ack, seqAdd(synAck.header.seq, synAck.seg_len));

    assert.deepEqual(states('client'), ['STATE_CLOSED', 'STATE_SYN_SENT', 'STATE_ESTABLISHED']);
    assert.deepEqual(states(child), ['STATE_LISTEN', 'STATE_SYN_RECEIVED', 'STATE_ESTABLISHED']);
    assert.deepEqual(states('server'), ['STATE_CLOSED', 'STATE_LISTEN']);
  });

  it('data both ways, acknowledged with ACK = SEQ + SEG.LEN', async () => {
    record(await c.send({ name: CLIENT, data: Buffer.from('hello') }));
    await advanceNow();
    const got = record(await c.receive({ name: childName }));
    assert.equal(got.data.toString(), 'hello'); // bytes arrive as a Buffer
    assert.equal(got.end_of_stream, false);

    const data = sent('client').find((s) => s.payload_length === 5);
    assert.ok(data, 'the client sent a 5-octet segment');
    assert.equal(data.seg_len, 5);
    const acks = sent(child);
    const last = acks[acks.length - 1];
    assert.ok(last.header.flags.ack);
    assert.equal(last.header.ack, seqAdd(data.header.seq, data.seg_len), 'ACK = SEQ + SEG.LEN');
    assert.equal(last.header.ack, 1006);

    // And back: the child answers, the client reads it.
    record(await c.send({ name: childName, data: Buffer.from('world!') }));
    await advanceNow();
    const back = record(await c.receive({ name: CLIENT }));
    assert.equal(back.data.toString(), 'world!');
    const reply = sent(child).find((s) => s.payload_length === 6);
    const clientAcks = sent('client');
    assert.equal(clientAcks[clientAcks.length - 1].header.ack, seqAdd(reply.header.seq, reply.seg_len));
  });

  it('4-way close, then TIME-WAIT for 2×MSL', async () => {
    record(await c.close({ name: CLIENT }));
    await advanceNow();
    // RECEIVE after the peer's FIN with nothing left: RFC 9293 §3.10.3.
    await assert.rejects(c.receive({ name: childName }), (err) => {
      assert.equal(err.code, 9 /* FAILED_PRECONDITION */);
      assert.match(err.details, /connection closing/);
      return true;
    });
    assert.deepEqual(states(child).slice(-1), ['STATE_CLOSE_WAIT']);
    assert.deepEqual(states('client').slice(-1), ['STATE_FIN_WAIT_2']);

    record(await c.close({ name: childName }));
    await advanceNow();
    assert.deepEqual(states('client').slice(-1), ['STATE_TIME_WAIT']);
    const r = await untilIdle(); // past TIME-WAIT
    assert.equal(r.idle, true);
    assert.equal(r.complete, true);

    assert.deepEqual(states('client'), [
      'STATE_CLOSED', 'STATE_SYN_SENT', 'STATE_ESTABLISHED',
      'STATE_FIN_WAIT_1', 'STATE_FIN_WAIT_2', 'STATE_TIME_WAIT', 'STATE_CLOSED',
    ]);
    assert.deepEqual(states(child), [
      'STATE_LISTEN', 'STATE_SYN_RECEIVED', 'STATE_ESTABLISHED',
      'STATE_CLOSE_WAIT', 'STATE_LAST_ACK', 'STATE_CLOSED',
    ]);
    const timeWait = entered('client', 'STATE_CLOSED') - entered('client', 'STATE_TIME_WAIT');
    assert.equal(timeWait, 240_000_000_000n, 'TIME-WAIT lasts 2×MSL = 240 s in the rfc9293 profile');
    for (const ev of events.filter((e) => e.payload === 'state_change')) {
      assert.ok(ev.state_change.rule && ev.state_change.explanation, 'every transition says why');
    }
  });

  it('64-bit integers: strings (longs: String) or Longs, compared as BigInt', async () => {
    // Event.seq is uint64: with longs: String it is a decimal string.
    for (const ev of events) assert.equal(typeof ev.seq, 'string');
    for (let i = 1; i < events.length; i++) {
      assert.ok(toBigInt(events[i].seq) > toBigInt(events[i - 1].seq), 'seq strictly increases');
    }
    const s = await c.getSession({ name: SESSION });
    assert.equal(typeof s.last_event_seq, 'string');
    assert.equal(typeof s.seed, 'string');
    assert.equal(s.seed, '7');
    assert.ok(toBigInt(s.last_event_seq) >= toBigInt(events[events.length - 1].seq));
    assert.equal(durationNs(s.now), entered('client', 'STATE_CLOSED'));

    // The same read with proto-loader's default: Long objects.
    const raw = connect({ longs: undefined });
    try {
      const l = await raw.getSession({ name: SESSION });
      assert.equal(typeof l.last_event_seq, 'object');
      assert.ok('low' in l.last_event_seq && 'high' in l.last_event_seq);
      assert.equal(toBigInt(l.last_event_seq), toBigInt(s.last_event_seq));
      assert.equal(toBigInt(l.seed), 7n);
    } finally {
      raw.disconnect();
    }
    // Above 2^53 a JavaScript number would lose precision; BigInt does not.
    assert.equal(toBigInt('18446744073709551615'), 2n ** 64n - 1n);
    assert.equal(toBigInt({ low: -1, high: -1, unsigned: true }), 2n ** 64n - 1n);
    assert.equal(toBigInt({ low: -1, high: -1, unsigned: false }), -1n);
  });
});
