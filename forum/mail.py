"""Outgoing email: a console backend for development, SMTP otherwise.

Messages are multipart/alternative: a plain-text part and a simple HTML part, both rendered
from templates/email/<name>.txt and .html (the HTML autoescaped, no remote image, absolute links).
"""

from __future__ import annotations

import logging
import smtplib
import sys
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from jinja2 import Environment

from forum.settings import Settings

log = logging.getLogger("tribune.mail")


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._templates: Environment | None = None

    def render(self, template: str, context: dict[str, Any]) -> tuple[str, str]:
        """The plain-text and HTML bodies of email/<template>; render before the transaction commits,
        so that a template error fails the action instead of a message that never leaves."""
        if self._templates is None:
            from forum.templating import make_environment

            self._templates = make_environment(self.settings)
        values = {"lang": self.settings.locale, **context}
        text = self._templates.get_template(f"email/{template}.txt").render(values)
        html = self._templates.get_template(f"email/{template}.html").render(values)
        return text, html

    def send_template(self, to: str, subject: str, template: str, context: dict[str, Any]) -> None:
        """Render email/<template> (text and HTML) and send it."""
        text, html = self.render(template, context)
        self.send(to, subject, text, html)

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
