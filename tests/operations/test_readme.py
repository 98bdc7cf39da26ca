"""The README's signing round trip, pasted into bash against a real `signflow serve`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.operations.processes import clean_env, serve
from tests.pdf.builders import make_pdf

README = Path(__file__).resolve().parents[2] / "README.md"


def round_trip_block() -> str:
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.DOTALL)
    [block] = [b for b in blocks if "pdfsig -nssdir" in b]
    return str(block)


def test_the_readme_round_trip_signs_and_pdfsig_trusts_the_enterprise_ca(tmp_path: Path):
    block = round_trip_block()
    env = clean_env(SIGNFLOW_DATA_DIR=str(tmp_path / "var"))
    proc, url = serve([], env, tmp_path)
    try:
        printed = proc.log.read_text()
        client_secret = re.search(r"client_secret   (\S+)", printed)
        password = re.search(r"admin password  (\S+)", printed)
        assert client_secret and password, printed
        # What a reader does: the server's address and the two printed secrets filled in.
        assert "B=http://127.0.0.1:8000 MAIL=var/mail " in block
        assert "CID=demo-app CS='<client_secret>' PW='<admin password>'\n" in block
        pasted = block.replace(
            "B=http://127.0.0.1:8000 MAIL=var/mail ", f"B={url} MAIL={tmp_path / 'var' / 'mail'} "
        ).replace(
            "CS='<client_secret>' PW='<admin password>'",
            f"CS='{client_secret[1]}' PW='{password[1]}'",
        )
        workdir = tmp_path / "reader"
        workdir.mkdir()
        (workdir / "lease.pdf").write_bytes(make_pdf())
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", pasted],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    finally:
        proc.stop()
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert '"VALID"' in done.stdout, output
    assert "Signature is Valid." in done.stdout, output
    assert "Certificate is Trusted." in done.stdout, output
    assert "Total document signed" in done.stdout, output
