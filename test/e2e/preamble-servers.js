'use strict';
/**
 * The live lab's plaintext-first servers (test/e2e/live-netns.test.ts), run in the far namespace:
 * `node preamble-servers.js LISTEN_ADDR TLS_SERVER_ADDR KEY CERT`.
 *
 * STARTTLS servers for SMTP (25), LMTP (24), NNTP (119), ManageSieve (4190), IRC (6667), IMAP
 * (143), POP3 (110), FTP (21), XMPP (5222), LDAP (389), PostgreSQL (5432) and MySQL (3306): each answers a client's plaintext dialogue as its RFC (or
 * protocol documentation) says, then starts TLS on the same socket with Node's TLS and closes
 * after the handshake. And two proxies that relay to the lab's TLS server on 443 whatever name
 * the client asked for: SOCKS 5 (1080) and HTTP CONNECT (3128).
 *
 * Test tooling only: plain Node, no dependencies; prints "ready" once every port listens.
 * Must never listen anywhere but LISTEN_ADDR.
 */
const net = require('net');
const tls = require('tls');
const fs = require('fs');
const stream = require('stream');

const [listen, target, keyFile, certFile] = process.argv.slice(2);
const key = fs.readFileSync(keyFile);
const cert = fs.readFileSync(certFile);

const SERVERS = 14;
let listening = 0;
const up = () => { if (++listening === SERVERS) console.log('ready'); };

/**
 * TLS on the (paused) socket, fed first with `early`: bytes the client sent after its upgrade
 * request that were already read (a MySQL client sends its ClientHello right behind the
 * SSLRequest, with no answer to wait for). Node's TLS reads a net.Socket's handle directly and
 * would never see them, so it runs over a stream that replays them. Closed after the handshake.
 */
function upgrade(sock, early = Buffer.alloc(0)) {
  const wire = new stream.Duplex({
    read() {},
    write(chunk, _enc, done) { sock.write(chunk, done); },
    final(done) { sock.end(); done(); },
  });
  if (early.length > 0) wire.push(early);
  sock.on('data', (d) => wire.push(d));
  sock.on('end', () => wire.push(null));
  sock.resume();
  const t = new tls.TLSSocket(wire, { isServer: true, key, cert });
  t.on('secure', () => t.end());
  t.on('error', () => sock.destroy());
}

/** A line protocol: `answer(line)` returns [reply, startTlsAfterIt]. */
function lineServer(port, greeting, answer) {
  net.createServer((sock) => {
    if (greeting) sock.write(greeting);
    let buf = '';
    const onData = (d) => {
      buf += d.toString('latin1');
      for (let i; (i = buf.indexOf('\n')) >= 0;) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        const [reply, startTls] = answer(line);
        if (startTls) {
          sock.removeListener('data', onData);
          sock.pause();
          sock.write(reply, () => upgrade(sock, Buffer.from(buf, 'latin1')));
          return;
        }
        sock.write(reply);
      }
    };
    sock.on('data', onData);
    sock.on('error', () => {});
  }).listen(port, listen, up);
}

/** A binary protocol: once `length(bytes)` says how long the client's request is and it is all here, `reply` goes out and TLS starts. */
function binaryServer(port, greeting, length, reply) {
  net.createServer((sock) => {
    if (greeting) sock.write(greeting);
    let buf = Buffer.alloc(0);
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      const n = length(buf);
      if (n < 0 || buf.length < n) return;
      sock.removeListener('data', onData);
      sock.pause();
      sock.write(reply(buf), () => upgrade(sock, buf.subarray(n)));
    };
    sock.on('data', onData);
    sock.on('error', () => {});
  }).listen(port, listen, up);
}

// SMTP (RFC 3207 §4)
lineServer(25, '220 lab.example ESMTP\r\n', (line) => {
  const cmd = line.toUpperCase();
  if (cmd.startsWith('EHLO') || cmd.startsWith('HELO')) return ['250-lab.example\r\n250 STARTTLS\r\n', false];
  if (cmd === 'STARTTLS') return ['220 2.0.0 Ready to start TLS\r\n', true];
  return ['250 2.0.0 OK\r\n', false];
});

// LMTP (RFC 2033 §4.1: SMTP with LHLO)
lineServer(24, '220 lab.example LMTP\r\n', (line) => {
  const cmd = line.toUpperCase();
  if (cmd.startsWith('LHLO')) return ['250-lab.example\r\n250 STARTTLS\r\n', false];
  if (cmd === 'STARTTLS') return ['220 2.0.0 Ready to start TLS\r\n', true];
  return ['250 2.0.0 OK\r\n', false];
});

// NNTP (RFC 4642 §2.2)
lineServer(119, '200 lab.example NNTP ready\r\n', (line) => {
  const cmd = line.toUpperCase();
  if (cmd === 'CAPABILITIES') return ['101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\n.\r\n', false];
  if (cmd === 'STARTTLS') return ['382 Continue with TLS negotiation\r\n', true];
  return ['500 unknown\r\n', false];
});

// ManageSieve (RFC 5804 §2.2): the server speaks first, with its capabilities
lineServer(4190, '"IMPLEMENTATION" "lab"\r\n"SIEVE" "fileinto"\r\n"STARTTLS"\r\n"VERSION" "1.0"\r\nOK\r\n', (line) => {
  if (line.toUpperCase() === 'STARTTLS') return ['OK "Begin TLS negotiation now"\r\n', true];
  return ['NO "unknown"\r\n', false];
});

// IRC (IRCv3 tls extension): STARTTLS answered with numeric 670
lineServer(6667, null, (line) => {
  if (line.toUpperCase() === 'STARTTLS') return [':lab.example 670 * :STARTTLS successful, go ahead with TLS handshake\r\n', true];
  return [':lab.example 421 * :Unknown command\r\n', false];
});

// IMAP (RFC 9051 §6.2.1)
lineServer(143, '* OK [CAPABILITY IMAP4rev1 STARTTLS] lab.example ready\r\n', (line) => {
  const [tag, cmd = ''] = line.split(' ');
  if (cmd.toUpperCase() === 'CAPABILITY') return [`* CAPABILITY IMAP4rev1 STARTTLS\r\n${tag} OK CAPABILITY completed\r\n`, false];
  if (cmd.toUpperCase() === 'STARTTLS') return [`${tag} OK Begin TLS negotiation now\r\n`, true];
  return [`${tag} BAD unknown\r\n`, false];
});

// POP3 (RFC 2595 §4)
lineServer(110, '+OK lab.example POP3 ready\r\n', (line) => {
  const cmd = line.toUpperCase();
  if (cmd === 'CAPA') return ['+OK\r\nSTLS\r\n.\r\n', false];
  if (cmd === 'STLS') return ['+OK Begin TLS negotiation\r\n', true];
  return ['-ERR unknown\r\n', false];
});

// FTP (RFC 4217 §4)
lineServer(21, '220 lab.example FTP ready\r\n', (line) => {
  const cmd = line.toUpperCase();
  if (cmd === 'FEAT') return ['211-Features:\r\n AUTH TLS\r\n211 End\r\n', false];
  if (cmd === 'AUTH TLS' || cmd === 'AUTH SSL') return ['234 AUTH TLS successful\r\n', true];
  return ['500 unknown\r\n', false];
});

// XMPP (RFC 6120 §5.4): stream header and features, <starttls/>, <proceed/>
net.createServer((sock) => {
  let text = '';
  let opened = false;
  const onData = (d) => {
    text += d.toString('utf8');
    if (!opened && text.includes('<stream:stream')) {
      opened = true;
      sock.write("<?xml version='1.0'?><stream:stream from='lab.example' id='s1' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" +
        "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>");
    }
    if (opened && /<starttls[^>]*\/>|<\/starttls>/.test(text.slice(text.indexOf('<stream:stream')))) {
      sock.removeListener('data', onData);
      sock.pause();
      sock.write("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", () => upgrade(sock)); // the client waits for <proceed/>
    }
  };
  sock.on('data', onData);
  sock.on('error', () => {});
}).listen(5222, listen, up);

// LDAP (RFC 4511 §4.14): the StartTLS extended request, answered with success for its messageID
binaryServer(389, null, (b) => (b.length >= 2 ? 2 + b[1] : -1), (b) => {
  const id = b.subarray(2, 4 + b[3]); // INTEGER tag, length, value
  const resp = Buffer.from([0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]);
  const body = Buffer.concat([id, resp]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
});

// PostgreSQL: the 8-byte SSLRequest, answered 'S'
binaryServer(5432, null, () => 8, () => Buffer.from('S'));

// MySQL: a HandshakeV10 greeting offering CLIENT_SSL, then the client's 32-byte SSLRequest (packet header included: 36)
const mysqlGreeting = (() => {
  const payload = Buffer.concat([
    Buffer.from([10]), Buffer.from('8.0.36\0'), Buffer.from([1, 0, 0, 0]), Buffer.from('abcdefgh'), Buffer.from([0]),
    Buffer.from([0xff, 0xff]), Buffer.from([0xff]), Buffer.from([0x02, 0x00]), Buffer.from([0xff, 0xdf]), Buffer.from([21]),
    Buffer.alloc(10), Buffer.from('ijklmnopqrst\0'), Buffer.from('caching_sha2_password\0'),
  ]);
  return Buffer.concat([Buffer.from([payload.length, 0, 0, 0]), payload]);
})();
binaryServer(3306, mysqlGreeting, () => 36, () => Buffer.alloc(0));

// Proxies: paused until the upstream connection is up (the client's first TLS bytes may arrive before it is)
function relay(sock, head) {
  sock.pause();
  const upstream = net.connect(443, target, () => { upstream.write(head); sock.pipe(upstream); upstream.pipe(sock); });
  upstream.on('error', () => sock.destroy());
  sock.on('error', () => upstream.destroy());
}

// SOCKS 5 (RFC 1928): greeting (VER, NMETHODS, METHODS), then the request (VER, CMD, RSV, ATYP, address, port)
net.createServer((sock) => {
  let buf = Buffer.alloc(0);
  let greeted = false;
  const onData = (d) => {
    buf = Buffer.concat([buf, d]);
    if (!greeted) {
      if (buf.length < 2 || buf.length < 2 + buf[1]) return;
      buf = buf.subarray(2 + buf[1]);
      greeted = true;
      sock.write(Buffer.from([5, 0]));
    }
    if (buf.length < 5) return;
    const addrLen = buf[3] === 1 ? 4 : buf[3] === 4 ? 16 : 1 + buf[4];
    if (buf.length < 4 + addrLen + 2) return;
    sock.removeListener('data', onData);
    sock.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
    relay(sock, buf.subarray(4 + addrLen + 2));
  };
  sock.on('data', onData);
  sock.on('error', () => {});
}).listen(1080, listen, up);

// HTTP CONNECT (RFC 9110 §9.3.6)
net.createServer((sock) => {
  let head = '';
  const onData = (d) => {
    head += d.toString('latin1');
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    sock.removeListener('data', onData);
    sock.write('HTTP/1.1 200 Connection established\r\n\r\n');
    relay(sock, Buffer.from(head.slice(end + 4), 'latin1'));
  };
  sock.on('data', onData);
  sock.on('error', () => {});
}).listen(3128, listen, up);
