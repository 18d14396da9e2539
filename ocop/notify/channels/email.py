"""Email over SMTP with the standard library: one connection for a batch, a message in plain
text and HTML (multipart/alternative) built by `email.message.EmailMessage`.

Settings (OCOP_ prefix): MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS (STARTTLS), MAIL_USE_SSL,
MAIL_USERNAME, MAIL_PASSWORD, MAIL_DEFAULT_SENDER. Every message carries the Message-ID fixed
when it was queued (a resend after a crash is recognisably the same message), the recipient's
language, and a one-click unsubscribe (RFC 8058).
"""

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from ...models import Delivery
from . import SendError


def message_id(value: str) -> str:
    """`value` as a Message-ID header wants it: inside angle brackets."""
    return value if value.startswith("<") else f"<{value}>"


def build(delivery: Delivery, sender: str) -> EmailMessage:
    """The message for `delivery`: its text and HTML, headers from the outbox row."""
    body = delivery.body
    message = EmailMessage()
    message["Message-ID"] = message_id(delivery.message_id)
    message["Date"] = formatdate(usegmt=True)
    message["From"] = sender
    message["To"] = delivery.address
    message["Subject"] = delivery.subject
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to it
    if body.get("unsubscribe"):
        message["List-Unsubscribe"] = f"<{body['unsubscribe']}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(body["text"])
    if body.get("html"):
        message.add_alternative(body["html"], subtype="html")
    # After the parts: setting content replaces the message's Content-* headers.
    message["Content-Language"] = body.get("language") or "vi"
    return message


def refused(code: int, text: bytes | str) -> SendError:
    """An SMTP refusal: 5xx is final for this message, 4xx is worth another try."""
    reply = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return SendError(f"SMTP {code}: {reply}", retry=code < 500)


class Sender:
    """Sends a batch of email over one SMTP connection, opened on the first message."""

    def __init__(self, config):
        self.server = str(config["MAIL_SERVER"])
        self.port = int(config["MAIL_PORT"])
        self.use_ssl = bool(config["MAIL_USE_SSL"])
        self.use_tls = bool(config["MAIL_USE_TLS"])
        # Prefixed-env loading reads a numeric value as a number: secrets are strings.
        self.username = str(config["MAIL_USERNAME"] or "")
        self.password = str(config["MAIL_PASSWORD"] or "")
        self.sender = str(config["MAIL_DEFAULT_SENDER"] or self.username)
        self.timeout = float(config["NOTIFY_TIMEOUT"])
        self.smtp: smtplib.SMTP | None = None
        # A relay that could not be reached is not asked again for every message of the batch.
        self.down: SendError | None = None

    def connect(self) -> smtplib.SMTP:
        """A connection to the relay, signed in when a username is set."""
        if self.use_ssl:
            smtp = smtplib.SMTP_SSL(self.server, self.port, timeout=self.timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(self.server, self.port, timeout=self.timeout)
        try:
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, delivery: Delivery) -> None:
        """Send one message; SendError says whether to try again."""
        if self.down:
            raise self.down
        if not self.sender:
            raise SendError("OCOP_MAIL_DEFAULT_SENDER is not set", retry=True)
        try:
            message = build(delivery, self.sender)
        except (KeyError, TypeError, ValueError) as exc:  # no text, a header with a line break
            raise SendError(f"malformed message: {exc!r}", retry=False) from None
        reused = self.smtp is not None
        try:
            self.deliver(message)
        except smtplib.SMTPServerDisconnected:
            if not reused:
                raise SendError("SMTP: the relay closed the connection", retry=True) from None
            try:  # an idle connection the relay dropped: one try on a fresh one
                self.deliver(message)
            except smtplib.SMTPServerDisconnected:
                raise SendError("SMTP: the relay closed the connection", retry=True) from None

    def deliver(self, message: EmailMessage) -> None:
        """Hand `message` to the relay, connecting first if need be; errors as SendError."""
        try:
            if self.smtp is None:
                try:
                    self.smtp = self.connect()
                except smtplib.SMTPAuthenticationError as exc:
                    self.down = SendError(f"SMTP sign-in refused: {exc.smtp_code}", retry=True)
                    raise self.down from None
                except OSError as exc:  # refused, timed out, TLS failed, greeting refused
                    self.down = SendError(f"SMTP {self.server}:{self.port}: {exc}", retry=True)
                    raise self.down from None
            self.smtp.send_message(message)
        except smtplib.SMTPServerDisconnected:
            self.smtp = None
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise refused(code, text) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise refused(exc.smtp_code, exc.smtp_error) from None
        except OSError as exc:  # a timeout or reset mid-message: the connection is spent
            self.close()
            raise SendError(f"SMTP: {exc}", retry=True) from None

    def close(self) -> None:
        """End the batch's connection politely (QUIT), or just drop it if that fails."""
        if self.smtp is None:
            return
        smtp, self.smtp = self.smtp, None
        try:
            smtp.quit()
        except OSError:
            smtp.close()
