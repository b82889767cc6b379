"""E-mail while developing (`make run`): one console line per message, the whole message
kept as a file under DATA_DIR/mail/ (named on that line), so a run that sends dozens of
e-mails does not bury the server's own output."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.console import EmailBackend as ConsoleBackend


class OneLineConsoleBackend(ConsoleBackend):
    _counter = 0
    _counter_lock = threading.Lock()

    def __init__(self, *args, file_path: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.folder = Path(file_path or Path(settings.DATA_DIR) / "mail")

    def write_message(self, message):
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._counter_lock:
            OneLineConsoleBackend._counter += 1
            n = OneLineConsoleBackend._counter
        path = self.folder / f"{datetime.now():%Y%m%d-%H%M%S}-{n:04d}.eml"
        path.write_bytes(message.message().as_bytes())
        to = ", ".join(message.to) or "(no recipient)"
        self.stream.write(f"E-mail to {to}: {message.subject!r} (full text: {path})\n")
