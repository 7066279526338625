"""The app in a detached tmux session, read back with capture-pane: how the measurements that time
what a person sees drive it. Times include tmux's own polling (a few milliseconds), so they are
upper bounds."""

from __future__ import annotations

import subprocess
import time


def tmux(*args: str) -> str:
    """Run one tmux command; its standard output."""
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def start(session: str, command: str) -> None:
    """Run `command` in a new 120x40 session called `session`, replacing one left from before."""
    tmux("kill-session", "-t", session)
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", command)


def screen(session: str) -> str:
    """The text the session's pane shows now."""
    return tmux("capture-pane", "-p", "-t", session)


def wait_for(session: str, text: str, limit: float = 60.0, poll: float = 0.002) -> float:
    """Seconds until `text` is on the session's screen, looking every `poll` seconds; gives up,
    showing the screen, after `limit`."""
    began = time.perf_counter()
    while text not in screen(session):
        if time.perf_counter() - began > limit:
            raise SystemExit(f"gave up waiting for {text!r} on the app's screen:\n{screen(session)}")
        time.sleep(poll)
    return time.perf_counter() - began
