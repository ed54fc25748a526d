"""A TLS-terminating TCP proxy for tests/runtime/chroot-test.sh: listens on 127.0.0.1:<port> with the given
certificate and forwards the bytes to <host>:<port> (a plain Redis), so a TLS client sees a real server."""
import asyncio
import ssl
import sys

listen_port, target_host, target_port, cert, key = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


async def handle(client_reader, client_writer):
    try:
        server_reader, server_writer = await asyncio.open_connection(target_host, target_port)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))


async def main():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = await asyncio.start_server(handle, "127.0.0.1", int(listen_port), ssl=context)
    async with server:
        await server.serve_forever()


asyncio.run(main())
