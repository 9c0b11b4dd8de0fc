"""Outgoing email: a console backend for development, SMTP otherwise."""

from __future__ import annotations

import logging
import smtplib
import sys
from email.message import EmailMessage
from email.utils import make_msgid

from forum.settings import Settings

log = logging.getLogger("tribune.mail")


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        """Send one message; raises on an SMTP failure so the caller's transaction rolls back."""
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="tribune.local")
        message.set_content(text)
        if html:
            message.add_alternative(html, subtype="html")
        if self.settings.email_backend == "console":
            sys.stdout.write(f"\n--- courriel (console) ---\n{message.as_string()}\n--- fin ---\n")
            sys.stdout.flush()
            return
        with smtplib.SMTP(self.settings.smtp_host, self.settings.smtp_port, timeout=10) as smtp:
            smtp.send_message(message)
