"""Holding a request at one point, so that a second one arrives while the first is under way."""
import threading
import time


def slowed(monkeypatch, owner, name: str, seconds: float = 1.5) -> threading.Event:
    """`owner.name` replaced by a version whose first call sets the returned event, then waits
    `seconds` before doing the real work: wait on the event, then send the second request."""
    reached = threading.Event()
    real = getattr(owner, name)

    def held(*args, **kwargs):
        if not reached.is_set():
            reached.set()
            time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, held)
    return reached
