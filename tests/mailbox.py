"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts, for the
notification tests and the delivery benchmark."""

import email
import email.policy
import socket
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword


def free_port() -> int:
    """A TCP port nothing listens on now (aiosmtpd wants one named, not 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """The aiosmtpd handler: records each message; `refuse` answers every DATA with that reply
    instead (e.g. "451 4.3.0 try later", "550 5.1.1 no such user")."""

    def __init__(self):
        self.envelopes: list[Envelope] = []
        self.refuse: str | None = None
        self.sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse
        self.envelopes.append(envelope)
        return "250 OK"

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages received, parsed."""
        return [email.message_from_bytes(e.original_content or e.content,
                                         policy=email.policy.default)
                for e in self.envelopes]


class Accounts:
    """An aiosmtpd authenticator for one login and password; records who signed in."""

    def __init__(self, login: str, password: str):
        self.login, self.password = login, password
        self.signed_in: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.login
              and auth_data.password.decode() == self.password)
        if ok:
            self.signed_in.append(self.login)
        return AuthResult(success=ok)


class SmtpServer:
    """`with SmtpServer() as smtp:` a relay on `smtp.port` whose mailbox is `smtp.mailbox`;
    with `accounts`, it offers AUTH (over plain text: a test relay on 127.0.0.1)."""

    def __init__(self, port: int | None = None, accounts: Accounts | None = None):
        self.mailbox = Mailbox()
        self.port = port or free_port()
        auth = {"authenticator": accounts, "auth_require_tls": False} if accounts else {}
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port, **auth)

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
