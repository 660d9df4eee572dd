"""Sending mail over SMTP, as configured."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from engine.config import SmtpSettings


def send_mail(smtp: SmtpSettings, recipients: list[str], subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.username:
            client.login(smtp.username, smtp.password)
        client.send_message(message)
