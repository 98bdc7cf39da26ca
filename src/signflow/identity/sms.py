"""SMS channels for one-time codes.

`log` (development): each text is written to DATA_DIR/sms/ as a file, and the
log line says where (never the code). `http`: POSTs `{"to", "message"}` as JSON
to SIGNFLOW_SMS_GATEWAY_URL (bearer SIGNFLOW_SMS_GATEWAY_TOKEN when set) through
the SSRF-guarded client; any answer but 2xx is a failure the job retries.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from pathlib import Path
from typing import Protocol

import aiohttp

from signflow.config import Settings
from signflow.file_modes import create_private_file, private_directory
from signflow.webhooks.ssrf import ForbiddenDestination

logger = logging.getLogger("signflow.sms")


class SmsDeliveryError(Exception):
    pass


class SmsChannel(Protocol):
    name: str

    async def send(self, to: str, text: str) -> None: ...


class LogSmsChannel:
    name = "log"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, to: str, text: str) -> None:
        path = await asyncio.to_thread(self._write, to, text)
        logger.info("SMS to ***%s written to %s", to[-2:], path)

    def _write(self, to: str, text: str) -> Path:
        private_directory(self.directory)
        path = self.directory / f"{time.time_ns()}-{secrets.token_hex(4)}.txt"
        create_private_file(path)
        path.write_text(f"To: {to}\n\n{text}\n")
        return path


class HttpSmsChannel:
    name = "http"

    def __init__(
        self, client: aiohttp.ClientSession, url: str, token: str | None, timeout: float
    ) -> None:
        self.client, self.url, self.token, self.timeout = client, url, token, timeout

    async def send(self, to: str, text: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            async with self.client.post(
                self.url,
                json={"to": to, "message": text},
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                allow_redirects=False,
            ) as response:
                status = response.status
        except (aiohttp.ClientError, OSError, TimeoutError, ForbiddenDestination) as exc:
            raise SmsDeliveryError(f"SMS gateway unreachable: {type(exc).__name__}") from exc
        if not 200 <= status < 300:
            raise SmsDeliveryError(f"SMS gateway answered {status}")


def create_sms_channel(settings: Settings, client: aiohttp.ClientSession) -> SmsChannel:
    if settings.sms_channel == "http":
        assert settings.sms_gateway_url  # checked by Settings
        return HttpSmsChannel(
            client,
            settings.sms_gateway_url,
            settings.sms_gateway_token,
            settings.webhook_timeout_seconds,
        )
    return LogSmsChannel(settings.data_dir / "sms")
