"""A TLS front for the dev server, as a secured Temporal frontend is: certificates from a throwaway CA, and a client
certificate from that CA required (mutual TLS). `temporal server start-dev` speaks plain gRPC only, so this front
terminates TLS (ALPN h2) on a free local port, in its own thread, and passes the bytes on to the dev server."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_NAME = "temporal.kinerja.test"  # in the server's certificate; not the address the client dials


@dataclass(frozen=True)
class Pem:
    cert: Path
    key: Path


@dataclass(frozen=True)
class Certificates:
    ca: Path
    server: Pem
    client: Pem  # signed by the CA: let in
    stranger: Pem  # signed by another CA: refused


def make_certificates(directory: Path, server_name: str = SERVER_NAME) -> Certificates:
    """A CA, the server's certificate for `server_name` (a DNS name or an IP address), a client certificate from the
    same CA and one from another."""
    ca_key, ca_cert = _authority("Kinerja test CA")
    other_key, other_cert = _authority("Some other CA")
    ca = directory / "ca.pem"
    ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    return Certificates(
        ca=ca,
        server=_leaf(directory, "server", ca_key, ca_cert, ExtendedKeyUsageOID.SERVER_AUTH, server_name),
        client=_leaf(directory, "client", ca_key, ca_cert, ExtendedKeyUsageOID.CLIENT_AUTH, "kinerja-worker"),
        stranger=_leaf(directory, "stranger", other_key, other_cert, ExtendedKeyUsageOID.CLIENT_AUTH, "stranger"),
    )


def server_context(certificates: Certificates) -> ssl.SSLContext:
    """A server's side of TLS with the test certificate (no client certificate asked for)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificates.server.cert), str(certificates.server.key))
    return context


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject: str, issuer: x509.Name, key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _usage(*, sign_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=sign_certificates,
        crl_sign=sign_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def _authority(name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(name, _name(name), key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(sign_certificates=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(
    directory: Path,
    stem: str,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    purpose: x509.ObjectIdentifier,
    name: str,
) -> Pem:
    key = ec.generate_private_key(ec.SECP256R1())
    authority = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    try:
        alternative: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        alternative = x509.DNSName(name)
    cert = (
        _builder(name, ca_cert.subject, key)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign_certificates=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([purpose]), critical=False)
        .add_extension(x509.SubjectAlternativeName([alternative]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(authority), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = Pem(cert=directory / f"{stem}.pem", key=directory / f"{stem}-key.pem")
    pem.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return pem


class TlsFront:
    """Accepts TLS on 127.0.0.1 (a free port) with the server certificate, requires a client certificate from the CA,
    and pipes each connection to `backend` (host:port, plain)."""

    def __init__(self, backend: str, certificates: Certificates) -> None:
        host, _, port = backend.rpartition(":")
        self._backend = (host, int(port))
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(certificates.ca))
        self._context.load_cert_chain(str(certificates.server.cert), str(certificates.server.key))
        self._context.verify_mode = ssl.CERT_REQUIRED
        self._context.set_alpn_protocols(["h2"])
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tls-front", daemon=True)
        self._server: asyncio.Server | None = None
        self.address = ""

    def start(self) -> str:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=10)
        port = self._server.sockets[0].getsockname()[1]
        self.address = f"127.0.0.1:{port}"
        return self.address

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            connections = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in connections:
                task.cancel()
            if connections:
                await asyncio.wait(connections)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _listen(self) -> asyncio.Server:
        return await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self._context)

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            backend_reader, backend_writer = await asyncio.open_connection(*self._backend)
        except OSError:
            client_writer.close()
            return
        pipes = {
            asyncio.ensure_future(_pipe(client_reader, backend_writer)),
            asyncio.ensure_future(_pipe(backend_reader, client_writer)),
        }
        # Ends normally when the front stops (cancelled), with nothing left running: asyncio's stream callback reads
        # each connection task's outcome and would log a cancelled one as an error.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait(pipes)
        for pipe in pipes:
            pipe.cancel()
        await asyncio.wait(pipes)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until either side closes; the other side is then closed too."""
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (OSError, ssl.SSLError):
        pass
    finally:
        with contextlib.suppress(OSError, RuntimeError, ssl.SSLError):
            writer.close()
