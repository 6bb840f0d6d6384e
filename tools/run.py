"""`make run`: start the bot; in local mode (no MicrosoftAppId) also the Microsoft 365 Agents Playground
on loopback, and print where to open it. Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from settings import SettingsError, load_settings  # noqa: E402
from tools.playground import load_config, start_playground  # noqa: E402


def _wait_healthy(url: str, bot: subprocess.Popen[bytes], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bot.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def approvers_line(approver_ids: frozenset[str]) -> str:
    """Who may approve, by the Playground's names (.m365agentsplayground.yml), or how to name an approver."""
    cfg = load_config()
    people = {p["aadObjectId"].lower(): p["name"] for p in (cfg["currentUser"], *cfg["users"])}
    if approver_ids:
        named = ", ".join(f"{people.get(i, 'not a Playground user')} ({i})" for i in sorted(approver_ids))
        return f"Approvers: {named}. `make approver` opens a Playground as Megan Bowen."
    megan = next(i for i, name in people.items() if name == "Megan Bowen")
    return (f"No approvers: nobody can approve a move. To try one, restart with APPROVER_IDS={megan} make run "
            "(Megan Bowen), then `make approver`.")


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    bot = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT)
    base = f"http://{settings.host}:{settings.port}"
    playground: subprocess.Popen[bytes] | None = None
    try:
        if not _wait_healthy(base, bot):
            print("The bot did not start; see the messages above.", file=sys.stderr)
            return 1
        if settings.local_mode:
            port = int(os.environ.get("PLAYGROUND_PORT", "56150"))
            playground, url = start_playground(f"{base}/api/messages", port=port)
            print(f"\nAgents Playground: {url}   (type help there; Ctrl-C stops both)", flush=True)
            print(approvers_line(settings.approver_ids) + "\n", flush=True)
        else:
            print(f"\nBot endpoint: {base}/api/messages (Bot registration {settings.app_id})\n", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        return bot.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for process in (playground, bot):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


if __name__ == "__main__":
    sys.exit(main())
