"""The first minute of `make run`: the admin login is the last thing printed and says
where it is kept; e-mails take one console line each, their full text kept on disk."""

import io

import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command

from config.console_mail import OneLineConsoleBackend
from config.mailers import mailers_from_url
from enrollments.management.commands.serve import LoginLastRunserver, QuietSimulatorCalls


@pytest.mark.django_db
def test_the_admin_login_is_printed_after_the_server_banner(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    hint = io.StringIO()
    call_command("ensure_admin", url="http://127.0.0.1:8000/admin/", stdout=hint)
    out = io.StringIO()
    server = LoginLastRunserver(stdout=out, no_color=True)
    server.addr, server.port, server._raw_ipv6, server.protocol = "127.0.0.1", "8000", False, "http"
    server.last_line = hint.getvalue().strip()

    server.on_bind(8000)

    printed = [line for line in out.getvalue().splitlines() if line.strip()]
    assert "Starting WSGI development server" in out.getvalue()
    assert printed[-1].startswith("Log in at http://127.0.0.1:8000/admin/ as admin / ")
    assert printed[-1].endswith(f"(kept in {tmp_path / 'admin-credentials.txt'})")


def test_adapter_calls_to_the_simulator_leave_the_access_log():
    import logging

    quiet = QuietSimulatorCalls()
    record = logging.LogRecord("django.server", 20, "", 0, '"%s" %s', None, None)
    record.args = ("POST /simulator/nds/api/enrollments HTTP/1.1", 201)
    assert not quiet.filter(record)
    record.args = ("GET /admin/ HTTP/1.1", 200)
    assert quiet.filter(record)


def test_one_console_line_per_email_and_the_whole_message_on_disk(tmp_path):
    stream = io.StringIO()
    backend = OneLineConsoleBackend(stream=stream, file_path=str(tmp_path))
    messages = []
    for n in range(2):
        message = EmailMultiAlternatives(
            subject=f"You're enrolled: Course {n}",
            body=f"Hello Ana,\n\nStart here: https://example.org/go/{n}/\n" + "x" * 500,
            to=["ana@example.org"],
        )
        message.attach_alternative("<p>Hello Ana</p>", "text/html")
        messages.append(message)

    assert backend.send_messages(messages) == 2

    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith('E-mail to ana@example.org: "You\'re enrolled: Course 0"')
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2 and str(files[0]) in lines[0]
    assert "Start here: https://example.org/go/0/" in files[0].read_text()


def test_the_development_default_is_one_line_and_consolemail_still_prints_it_whole():
    assert mailers_from_url("consoleline://")["default"]["BACKEND"] == (
        "config.console_mail.OneLineConsoleBackend"
    )
    assert mailers_from_url("consolemail://")["default"]["BACKEND"].endswith("console.EmailBackend")
