"""What the e-mails to students say: plain text is not HTML-escaped, and only http(s)
links from a partner ever reach them."""

from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enrollments.models import Enrollment, EnrollmentStatus
from enrollments.services.notifications import (
    send_certificate_issued,
    send_enrollment_active,
)
from tests.factories import make_account, make_certificate, make_enrollment, make_student


def test_plain_text_is_not_html_escaped(db):
    student = make_student(first_name="D'Arcy", last_name="O'Brien & Sons")
    enrollment = make_enrollment(student=student, status=EnrollmentStatus.ACTIVE)
    send_enrollment_active(enrollment.pk, temporary_password="a<b>&'c\"")
    [message] = mail.outbox
    assert "Hello D'Arcy," in message.body
    assert "Temporary password: a<b>&'c\"" in message.body
    assert "&#x27;" not in message.body and "&amp;" not in message.body
    html = message.alternatives[0][0]
    assert "a&lt;b&gt;&amp;&#x27;c&quot;" in html  # the HTML part stays escaped


def test_a_stored_link_that_is_not_http_never_reaches_an_email(db):
    """Rows written before the write path kept only http(s) links are not trusted."""
    certificate = make_certificate(
        issued_at=timezone.now(),
        url="javascript:alert(1)",
        verification_url="https://verify.example.org/C-1",
    )
    send_certificate_issued(certificate.enrollment_id)
    [message] = mail.outbox
    html = message.alternatives[0][0]
    assert "javascript" not in message.body and "javascript" not in html
    assert "https://verify.example.org/C-1" in message.body


def test_staff_read_the_text_as_sent_without_the_temporary_password(admin_client):
    from django.urls import reverse

    from enrollments.models import StudentEmail

    enrollment = make_enrollment(status=EnrollmentStatus.ACTIVE)
    send_enrollment_active(enrollment.pk, temporary_password="Tmp-9Q!x7")
    [message] = mail.outbox
    record = StudentEmail.objects.get(enrollment=enrollment)
    assert "Tmp-9Q!x7" in message.body
    assert "Tmp-9Q!x7" not in record.body
    # Everything else is kept as sent.
    assert record.body == message.body.replace("Tmp-9Q!x7", "(sent to the student once; not kept)")
    page = admin_client.get(reverse("admin:enrollments_studentemail_change", args=[record.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Temporary password: (sent to the student once; not kept)" in text
    assert "Tmp-9Q!x7" not in text


def test_the_enrolled_email_shows_the_account_and_voucher_code_it_is_given(db):
    # Provisioning hands over the account and voucher code it has just used: the e-mail
    # shows them and reads neither again (it only writes its record).
    enrollment = make_enrollment(status=EnrollmentStatus.ACTIVE)
    account = make_account(
        student=enrollment.student, partner=enrollment.partner, username="learner-7"
    )
    loaded = Enrollment.objects.select_related("student", "course", "partner").get(pk=enrollment.pk)
    with CaptureQueriesContext(connection) as queries:
        send_enrollment_active(
            enrollment.pk, loaded=loaded, account=account, voucher_code="VOUCH-123"
        )
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    [message] = mail.outbox
    assert "Your voucher code: VOUCH-123" in message.body
    assert "login: learner-7" in message.body


def test_an_account_given_for_another_student_is_not_shown(db):
    enrollment = make_enrollment(status=EnrollmentStatus.ACTIVE)
    make_account(student=enrollment.student, partner=enrollment.partner, username="own")
    stranger = make_account(partner=enrollment.partner, username="stranger")
    send_enrollment_active(enrollment.pk, account=stranger, voucher_code="")
    [message] = mail.outbox
    assert "login: own" in message.body and "stranger" not in message.body


def test_an_email_sent_after_commit_writes_its_record_without_a_transaction(transactional_db):
    # E-mails go from on-commit callbacks, outside any transaction: the record's INSERT
    # commits on its own (a transaction around it is two more round trips per e-mail).
    # Inside a caller's transaction it still takes a savepoint. (SQLite shows the BEGIN
    # and the savepoints among the queries; PostgreSQL's driver sends BEGIN unseen.)
    enrollment = make_enrollment(status=EnrollmentStatus.ACTIVE)
    with CaptureQueriesContext(connection) as queries:
        assert send_enrollment_active(enrollment.pk)
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements.count("INSERT") == 1
    assert not {"BEGIN", "SAVEPOINT", "COMMIT"} & set(statements), statements
    with transaction.atomic():
        assert not send_enrollment_active(enrollment.pk)  # sent before: a duplicate
        assert Enrollment.objects.filter(pk=enrollment.pk).exists()  # still usable
