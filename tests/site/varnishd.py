"""A real varnishd running ``deploy/varnish/default.vcl`` for tests, and ways to talk to it.

Debian's ``varnish`` and ``varnish-modules`` (the xkey vmod) provide it; without them the
tests that need it are skipped, and fail under CI (when ``CI`` is set).
"""

import http.client
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.site.servers import free_port, unavailable

ROOT = Path(__file__).resolve().parents[2]
VCL = ROOT / "deploy" / "varnish" / "default.vcl"


def world_readable_temp_dir() -> Path:
    """A new folder that varnishd can read after it drops root for its own users.

    The system's temporary folder unless it is closed to others (CI points TMPDIR at a
    private folder), else the first of /tmp and /var/tmp open to everyone.
    """
    for candidate in (tempfile.gettempdir(), "/tmp", "/var/tmp"):
        base = Path(candidate).resolve()
        if base.is_dir() and all(p.stat().st_mode & stat.S_IXOTH for p in (base, *base.parents)):
            folder = Path(tempfile.mkdtemp(prefix="newsroom-varnish-", dir=base))
            folder.chmod(0o755)
            return folder
    pytest.fail("no temporary folder that varnishd's own user can read")


class Varnish:
    """One varnishd in the foreground, its address, and ways to talk to it."""

    def __init__(self, port: int, workdir: Path, process: subprocess.Popen):
        self.port, self.workdir, self.process = port, workdir, process
        self.url = f"http://127.0.0.1:{port}/"

    def request(self, method="GET", target="/", headers=None, source=None):
        """(status, headers, body) of one request, from ``source`` (an address) if given."""
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=10, source_address=(source, 0) if source else None
        )
        try:
            connection.request(method, target, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read().decode()
        finally:
            connection.close()

    def get(self, target, headers=None):
        return self.request("GET", target, headers)

    def forget_everything(self) -> None:
        """Ban every object, so no test sees another's pages."""
        subprocess.run(
            ["varnishadm", "-n", str(self.workdir), "ban", "req.url ~ ."],
            check=True,
            capture_output=True,
            timeout=10,
        )


def start_varnishd(backend_port: int) -> tuple[Varnish, Path]:
    varnishd = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin:/usr/bin")
    if not varnishd or not shutil.which("varnishadm"):
        unavailable("Varnish tests need varnishd (apt-get install varnish varnish-modules)")
    folder = world_readable_temp_dir()
    vcl_text = VCL.read_text(encoding="utf-8")
    assert vcl_text.count('.port = "8000";') == 1, "the VCL's backend port is no longer 8000"
    vcl = folder / "test.vcl"
    vcl.write_text(vcl_text.replace('.port = "8000";', f'.port = "{backend_port}";'))
    vcl.chmod(0o644)
    workdir = folder / "work"
    workdir.mkdir(mode=0o755)
    compiled = subprocess.run(
        [varnishd, "-C", "-f", str(vcl), "-n", str(workdir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if compiled.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        if "xkey" in compiled.stderr and "VMOD" in compiled.stderr.upper():
            unavailable("the VCL needs the xkey vmod (apt-get install varnish-modules)")
        pytest.fail(f"the VCL does not compile:\n{compiled.stderr[-3000:]}")
    port = free_port()
    log = (folder / "varnishd.log").open("w")
    process = subprocess.Popen(
        [
            varnishd,
            "-F",
            "-a",
            f"127.0.0.1:{port}",
            "-f",
            str(vcl),
            "-n",
            str(workdir),
            "-s",
            "malloc,32m",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    instance = Varnish(port, workdir, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:  # a purge of a key no object has: answered by Varnish alone
            if instance.request("PURGE", "/", {"xkey-purge": "no-such-key"})[0] == 200:
                return instance, folder
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    process.wait(timeout=10)
    output = (folder / "varnishd.log").read_text()
    shutil.rmtree(folder, ignore_errors=True)
    pytest.fail(f"varnishd did not start:\n{output[-3000:]}")


@contextmanager
def running_varnishd(backend_port: int) -> Iterator[Varnish]:
    """varnishd with the project's VCL in front of ``backend_port``, stopped and its
    folder removed afterwards."""
    instance, folder = start_varnishd(backend_port)
    try:
        yield instance
    finally:
        instance.process.terminate()
        try:
            instance.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            instance.process.kill()
            instance.process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
