#!/usr/bin/env python3
"""A tiny JetStream client on the raw NATS protocol (no library), for bench/nats.sh: no `nats` CLI is
installed here, so this is what procx is measured against.
  nats_raw.py PORT fill STREAM SUBJECT N     create a file stream and publish N messages (each acked)
  nats_raw.py PORT drain STREAM CONSUMER N   pull N messages from a durable consumer, acking each (+ACK)
"""
import json, socket, sys, time


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.buf = b""
        self.line()  # INFO
        self.send(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\nPING\r\n')
        while self.line() != b"PONG":
            pass
        self.sid = 0

    def send(self, data):
        self.s.sendall(data)

    def fill(self):
        chunk = self.s.recv(1 << 20)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def body(self, n):
        while len(self.buf) < n + 2:
            self.fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def sub(self, subject):
        self.sid += 1
        self.send(b"SUB %s %d\r\n" % (subject.encode(), self.sid))

    def pub(self, subject, data, reply=None):
        r = b" " + reply.encode() if reply else b""
        self.send(b"PUB %s%s %d\r\n%s\r\n" % (subject.encode(), r, len(data), data))

    def next_msg(self):
        """(subject, reply, headers-or-None, payload) of the next MSG/HMSG; answers PINGs."""
        while True:
            line = self.line()
            if line == b"PING":
                self.send(b"PONG\r\n")
                continue
            parts = line.split()
            if parts[0] == b"MSG":
                reply = parts[3] if len(parts) == 5 else None
                return parts[1], reply, None, self.body(int(parts[-1]))
            if parts[0] == b"HMSG":
                reply = parts[3] if len(parts) == 6 else None
                hlen, total = int(parts[-2]), int(parts[-1])
                data = self.body(total)
                return parts[1], reply, data[:hlen], data[hlen:]

    def request(self, subject, data):
        inbox = "_INBOX.bench.%d" % (self.sid + 1)
        self.sub(inbox)
        self.pub(subject, data, inbox)
        return self.next_msg()[3]


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    c = Conn(port)
    if mode == "fill":
        stream, subject, n = sys.argv[3], sys.argv[4], int(sys.argv[5])
        c.request("$JS.API.STREAM.DELETE." + stream, b"")
        c.request("$JS.API.STREAM.CREATE." + stream, json.dumps({"name": stream, "subjects": [subject], "storage": "file"}).encode())
        c.sub("_INBOX.acks")
        for i in range(n):
            c.pub(subject, b"item-%05d" % (i + 1), "_INBOX.acks")
        for _ in range(n):
            c.next_msg()
        return
    stream, consumer, n = sys.argv[3], sys.argv[4], int(sys.argv[5])
    c.request("$JS.API.CONSUMER.DURABLE.CREATE.%s.%s" % (stream, consumer),
              json.dumps({"stream_name": stream, "config": {"durable_name": consumer, "ack_policy": "explicit", "ack_wait": 30_000_000_000}}).encode())
    c.sub("_INBOX.pull")
    start, got = time.time(), 0
    while got < n:
        c.pub("$JS.API.CONSUMER.MSG.NEXT.%s.%s" % (stream, consumer), json.dumps({"batch": 100, "expires": 1_000_000_000}).encode(), "_INBOX.pull")
        while True:
            subject, reply, headers, data = c.next_msg()
            if headers is not None and not data:  # 404/408 status: the pull ended
                break
            c.pub(reply.decode(), b"+ACK")
            got += 1
            if got % 100 == 0 or got == n:
                break
    print("%.3f" % (time.time() - start))


if __name__ == "__main__":
    main()
