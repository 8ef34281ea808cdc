"""Per-run PKI made with the openssl CLI: a CA, a server certificate, a client certificate.

EC P-256 keys: as good as RSA for the test and ten times quicker to make, and both libcurl
(OpenSSL) and kubectl (Go) accept them.
"""
import ipaddress
import os
import subprocess
from typing import List


def _openssl(*args: str, cwd: str):
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed: {proc.stderr.strip()}")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def _issue(d: str, name: str, subject: str, extensions: List[str]):
    """Makes NAME.key and NAME.crt signed by ca.crt/ca.key."""
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=d)
    ext = os.path.join(d, f"{name}.ext")
    with open(ext, "w") as f:
        f.write("\n".join(extensions) + "\n")
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "7", "-sha256", "-extfile", ext, "-out", f"{name}.crt",
             cwd=d)
    os.unlink(os.path.join(d, f"{name}.csr"))
    os.unlink(ext)


def make_pki(d: str, hosts: List[str]):
    """Writes ca.crt/ca.key, server.crt/server.key (SANs: hosts) and client.crt/client.key
    (CN=kpx-test, O=system:masters) into directory d."""
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "7", "-sha256",
             "-subj", "/CN=kpx-fake-apiserver-ca",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    sans = []
    for h in dict.fromkeys(hosts):  # ordered, no duplicates
        sans.append(f"IP:{h}" if _is_ip(h) else f"DNS:{h}")
    _issue(d, "server", "/CN=kpx-fake-apiserver",
           ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature",
            "extendedKeyUsage=serverAuth", "subjectAltName=" + ",".join(sans)])
    _issue(d, "client", "/O=system:masters/CN=kpx-test",
           ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature",
            "extendedKeyUsage=clientAuth"])
    for name in ("ca.key", "server.key", "client.key"):
        os.chmod(os.path.join(d, name), 0o600)
