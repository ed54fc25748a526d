#!/usr/bin/env python3
"""A few-line STOMP 1.2 client for bench/activemq.sh: `fill HOST PORT QUEUE N` sends N persistent messages
(one RECEIPT at the end), `drain HOST PORT QUEUE N` consumes N with ack:client-individual, ACKing each
(the same per-message acknowledgement procx does; prefetch 1 by default, `drain ... N PREFETCH` to change it)."""
import socket, sys

def frame(cmd, headers, body=b""):
    head = cmd + "\n" + "".join(f"{k}:{v}\n" for k, v in headers.items())
    if body or cmd == "SEND":
        head += f"content-length:{len(body)}\n"
    return head.encode() + b"\n" + body + b"\0"

class Conn:
    def __init__(self, host, port):
        self.s = socket.create_connection((host, port)); self.buf = b""
        self.s.sendall(frame("CONNECT", {"accept-version": "1.2", "host": "/"}))
        assert self.read()[0] == "CONNECTED"
    def read(self):
        while True:
            while self.buf.startswith(b"\n") or self.buf.startswith(b"\r\n"):
                self.buf = self.buf[1:] if self.buf.startswith(b"\n") else self.buf[2:]
            i = self.buf.find(b"\n\n")
            if i >= 0:
                lines = self.buf[:i].decode().split("\n"); h = dict(l.split(":", 1) for l in reversed(lines[1:]))
                n = int(h.get("content-length", -1)); start = i + 2
                end = start + n if n >= 0 else self.buf.find(b"\0", start)
                if end >= 0 and len(self.buf) > end:
                    body = self.buf[start:end]; self.buf = self.buf[end + 1:]; return lines[0], h, body
            chunk = self.s.recv(65536)
            if not chunk: raise EOFError
            self.buf += chunk

def main():
    mode, host, port, queue, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    c = Conn(host, port)
    if mode == "fill":
        for i in range(n):
            hdr = {"destination": f"/queue/{queue}", "persistent": "true"}
            if i == n - 1: hdr["receipt"] = "done"
            c.s.sendall(frame("SEND", hdr, f"item-{i:06d}".encode()))
        assert c.read()[0] == "RECEIPT"
    else:
        prefetch = sys.argv[6] if len(sys.argv) > 6 else "1"
        c.s.sendall(frame("SUBSCRIBE", {"id": "0", "destination": f"/queue/{queue}", "ack": "client-individual", "activemq.prefetchSize": prefetch}))
        for _ in range(n):
            cmd, h, body = c.read(); assert cmd == "MESSAGE", cmd
            c.s.sendall(frame("ACK", {"id": h["ack"]}))
    c.s.sendall(frame("DISCONNECT", {"receipt": "bye"})); c.read()

main()
