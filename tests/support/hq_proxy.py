"""HQ's nginx as the reverse_proxy role renders it, run by a test or the bench on free ports.

The site file comes from `provisioning/roles/reverse_proxy/templates/outlet-central.conf.j2`
with the role's defaults and the test's ports, upstreams and certificate; a small
nginx.conf includes it (the template is self-contained for exactly this). The certificate
is self-signed the way the role's tls.yml makes it, so a hub can pin it as its HQ CA.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.processes import Process, free_port, wait_for_port
from tests.support.role_templates import render_role_template

__all__ = ["HqProxy", "render_role_template", "self_signed"]


def self_signed(directory: Path, name: str, addresses: list[str]) -> tuple[Path, Path]:
    """(certificate, key) made as the role's tls.yml makes them, with IP SANs for tests."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "server.crt", directory / "server.key"
    san = ",".join([f"DNS:{name}", *(f"IP:{a}" for a in addresses)])
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName={san}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    return cert, key


class HqProxy(Process):
    """nginx in the foreground with the role's site file in front of `upstreams`."""

    def __init__(self, workdir: Path, upstreams: list[str], *, server_name: str = "hq.test",
                 addresses: list[str] | None = None, listen: str = "",
                 worker_processes: int = 1) -> None:
        self.workdir = workdir
        self.http_port, self.https_port = free_port(), free_port()
        self.cert, self.key = self_signed(workdir / "tls", server_name,
                                          ["127.0.0.1", *(addresses or [])])
        site = render_role_template(
            "reverse_proxy", "outlet-central.conf.j2",
            reverse_proxy_server_name=server_name, reverse_proxy_upstreams=upstreams,
            reverse_proxy_http_port=f"{listen}{self.http_port}",
            reverse_proxy_https_port=f"{listen}{self.https_port}",
            reverse_proxy_tls_cert=str(self.cert), reverse_proxy_tls_key=str(self.key))
        if listen:
            # The template's IPv6 listen lines would clash with an address-bound port.
            site = "\n".join(ln for ln in site.splitlines() if "listen [::]" not in ln)
            site = site.replace(f"https://$host:{listen}", "https://$host:")
        (workdir / "site.conf").write_text(site)
        for sub in ("logs", "tmp"):
            (workdir / sub).mkdir(parents=True, exist_ok=True)
        conf = workdir / "nginx.conf"
        conf.write_text(
            f"worker_processes {worker_processes};\npid {workdir}/nginx.pid;\n"
            f"error_log {workdir}/logs/error.log warn;\n"
            "events { worker_connections 16384; }\n"
            "http {\n"
            f"  access_log off;\n  client_body_temp_path {workdir}/tmp/body;\n"
            f"  proxy_temp_path {workdir}/tmp/proxy;\n"
            f"  fastcgi_temp_path {workdir}/tmp/fcgi;\n  uwsgi_temp_path {workdir}/tmp/uwsgi;\n"
            f"  scgi_temp_path {workdir}/tmp/scgi;\n"
            f"  include {workdir}/site.conf;\n}}\n")
        super().__init__("nginx", ["nginx", "-p", str(workdir), "-c", str(conf),
                                   "-g", "daemon off;"], None, workdir)

    def check(self) -> str:
        """`nginx -t` on the rendered configuration; returns its output."""
        done = subprocess.run([*self.argv[:5], "-t"], capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        return done.stderr

    def start(self, host: str = "127.0.0.1") -> None:
        super().start()
        wait_for_port(self.https_port, host=host)

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"
