"""A foreign key ring copied over the running one under gunicorn: students keep submitting."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from bench import flows, harness
from screening.crypto import KeyRing


def test_a_ring_swapped_under_gunicorn_changes_nothing(tmp_path: Path) -> None:
    with harness.instance("sqlite") as inst:
        harness.python(inst.env, "from bench.seed import main; main(4)")
        ring = inst.folder / "keyring.json"
        kept = tmp_path / "kept.json"
        shutil.copy2(ring, kept)
        env = dict(inst.env, SCREENING_KEYRING_REFRESH_SECONDS="0")  # look at every request
        with harness.gunicorn(env, workers=2, threads=2) as server:
            foreign = KeyRing.create(tmp_path / "other" / "keyring.json")
            shutil.copy2(foreign.path, tmp_path / "copy.json")
            os.replace(tmp_path / "copy.json", ring)  # as `cp other/keyring.json` would
            _, jars = flows.log_in_class(server.port, 4, 2)
            assignments = flows.consent_all(server.port, jars, 2)
            figures = flows.submit(server.port, jars, assignments, 2)  # raises unless 302
            assert figures["errors"] == 0 and figures["count"] == 4
            refused = harness.python(
                env,
                "from screening.startup import StartupError\n"
                "from screening import create_app\n"
                "try:\n    create_app()\nexcept StartupError as e:\n    print('refused', e)\n",
            )
            assert "refused" in refused  # a restart would refuse the swapped ring outright
        os.replace(kept, ring)
        check = harness.flask(inst.env, "keys", "check")
        assert "0 cannot be opened" in check and "Key ring OK." in check
        verified = harness.flask(inst.env, "audit", "verify")
        assert "BROKEN" not in verified and "OK" in verified
