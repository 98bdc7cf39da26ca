"""A real SMTP server (aiosmtpd) for the tests that read the mail people get."""

from tests.notify.conftest import smtp_server, smtp_server_factory

__all__ = ["smtp_server", "smtp_server_factory"]
